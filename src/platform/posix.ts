/**
 * The posix (Linux) {@link Platform}: same shape as `windows.ts`; `index.ts` chooses between them.
 * Importing this module loads nothing native: libc is bound on `ProcessWaiter.init()`.
 */

import { PosixShimAddress } from "./posix-address.js";
import { PosixContainerProcesses } from "./posix-container-processes.js";
import { loadLibc } from "./posix-libc.js";
import { ProcProcessTree } from "./posix-tree.js";
import { PosixProcessWaiter } from "./posix-waiter.js";
import { PosixSignals } from "./signals.js";
import type {
  ContainerProcesses,
  Platform,
  ProcessTree,
  ProcessWaiter,
  ShimAddress,
  ShimAddressOptions,
  Signals,
  StreamListener,
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

/** All posix concerns. */
export const posixPlatform: Platform = {
  name: "posix",
  createProcessWaiter,
  createProcessTree,
  createSignals,
  createContainerProcesses,
  createShimAddress,
  listenPipe,
};
