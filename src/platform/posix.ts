/**
 * The posix (Linux) {@link Platform}: same shape as `windows.ts`; `index.ts` chooses between them.
 * Importing this module loads nothing native: libc is bound on `ProcessWaiter.init()`.
 */

import { chmod, mkdir } from "node:fs/promises";
import { posix } from "node:path";
import { PosixShimAddress } from "./posix-address.js";
import { PosixContainerProcesses } from "./posix-container-processes.js";
import { loadLibc } from "./posix-libc.js";
import { withStartLock } from "./posix-start-lock.js";
import { ProcProcessTree } from "./posix-tree.js";
import { PosixProcessWaiter } from "./posix-waiter.js";
import { PosixSignals } from "./signals.js";
import type {
  ContainerProcesses,
  ExecutableLookup,
  Platform,
  ProcessTree,
  ProcessWaiter,
  ShimAddress,
  ShimAddressOptions,
  Signals,
  StreamListener,
  TaskApiServer,
} from "./types.js";

/** Subreaper + SIGCHLD waiter; keep ONE per process (it owns the process-wide subreaper flag). */
export function createProcessWaiter(): ProcessWaiter {
  return new PosixProcessWaiter({ libc: loadLibc });
}

/** procfs process tree. */
export function createProcessTree(): ProcessTree {
  return new ProcProcessTree();
}

/** Signal range 1..64, `kill(2)`. */
export function createSignals(): Signals {
  return new PosixSignals();
}

/** The helper's process tree (the simulator's container processes descend from the helper). */
export function createContainerProcesses(): ContainerProcesses {
  return new PosixContainerProcesses(new ProcProcessTree(), new PosixSignals());
}

/** containerd's unix socket naming. */
export function createShimAddress(options?: ShimAddressOptions): ShimAddress {
  return new PosixShimAddress(options);
}

/** Named pipes are Windows only (the shim's unix socket is protected by its mode, see `serve.ts`). */
export function listenPipe(name: string): StreamListener {
  throw new Error(`cannot listen on ${name}: named pipes exist on Windows only`);
}

/** The socket directory 0700 before the bind, the socket 0600 after it; an abstract socket has no file. */
export async function listenTaskApi(listenPath: string, server: TaskApiServer): Promise<void> {
  const file = !listenPath.startsWith("\0");
  if (file) await mkdir(posix.dirname(listenPath), { recursive: true, mode: 0o700 });
  await server.listen(listenPath);
  if (file) await chmod(listenPath, 0o600);
}

/** PATH's absolute directories; names as they are. */
export const executables: ExecutableLookup = {
  runhcsName: "runhcs",
  pathDirs: (env) => (env["PATH"] ?? "").split(posix.delimiter).filter((d) => posix.isAbsolute(d)),
  join: (dir, name) => posix.join(dir, name),
};

const SIGKILL = 9;

/** All posix concerns. */
export const posixPlatform: Platform = {
  name: "posix",
  createProcessWaiter,
  createProcessTree,
  createSignals,
  createContainerProcesses,
  createShimAddress,
  listenPipe,
  listenTaskApi,
  openShimLog: (endpoint, ways) => ways.fifo(endpoint),
  endStrayServer: (ways) => ways.signalByPid(),
  withStartLock,
  pickStdio: (ways) => ways.fifos(),
  requiresLayerFolders: false,
  killedExitStatus: 128 + SIGKILL,
  executables,
};
