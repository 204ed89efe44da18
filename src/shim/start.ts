/**
 * `start`: containerd runs it in the bundle directory, with stdout and stderr combined and read until
 * they close, and takes the trimmed output as the Task API address. So `start` prints exactly the
 * address and nothing else on success, and a one-line reason (non-zero exit) on failure.
 *
 * The address is the container's group's (`group.ts`: an annotation, else the CRI sandbox id, else the
 * container id). When a server already answers there, the container joins it (or containerd retried) and
 * `start` prints that address, taking no lock. Otherwise, under the group's start lock (one `start` at a
 * time across processes), it asks again (a `start` it waited for may have spawned one) and else spawns the
 * server (this program without an action, plus `-socket`) in its own session, with no stdio of
 * containerd's (a private readiness pipe instead, see `ready.ts`), waits until it reports listening, checks
 * the socket accepts, writes `shim.pid` and `address` atomically, records them as the shim's (for the
 * `delete` action, `bundle/created-files.ts`), and prints the address. Whatever goes wrong,
 * the spawned server is killed and the files written are removed, so nothing is left running or listening.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { writeFileAtomic } from "../bundle/atomic-write.js";
import { recordCreated } from "../bundle/created-files.js";
import { BUNDLE_FILES } from "../bundle/files.js";
import { platform } from "../platform/index.js";
import type { StartInput } from "./compat.js";
import type { ShimFlags } from "./flags.js";
import { shimGroup } from "./group.js";
import { accepts } from "./probe.js";
import { errorText, READY_FD_ENV, READY_OK } from "./ready.js";
import { selfCommand, selfDir } from "./self.js";
import { removeStaleSocket } from "./stale-socket.js";
import { readAll } from "./stdin.js";
import { TTRPC_ADDRESS_ENV } from "./ttrpc-address.js";

/** How long the server gets to report that it listens. */
export const READY_TIMEOUT_MS = 30_000;
/** After the readiness pipe closed silently, how long to wait for the server's exit status. */
const EXIT_GRACE_MS = 2_000;

/** What `start` needs besides the flags; tests substitute the server command. */
export interface StartOptions {
  /** Bundle directory (default: cwd). */
  bundle?: string;
  /** stdin of `start` (runtime options); default: the process's stdin. */
  input?: Uint8Array;
  /** The server command: executable and leading arguments (default: this node and script). */
  serverCommand?: readonly string[];
  readyTimeoutMs?: number;
}

/** Runs `start`; resolves with the address to print. Throws with a one-line message on failure. */
export async function start(flags: ShimFlags, opts: StartOptions = {}): Promise<string> {
  const bundle = opts.bundle ?? (flags.bundle || process.cwd());
  const input = await decodeInput(opts.input ?? (await readAll(process.stdin)));
  const shimAddress = platform.createShimAddress(input.socketDir ? { socketDir: input.socketDir } : {});
  const address = shimAddress.socketAddress({
    namespace: flags.namespace,
    id: await shimGroup(bundle, flags.id, input.defaultAnnotations),
    containerdAddress: flags.address,
  });
  const listenPath = shimAddress.toListenPath(address);
  // A server that accepts is live, and the lock only decides who spawns a server or replaces a dead one's
  // socket: a container joining a running group (the common case in a pod) takes no lock.
  if (await accepts(listenPath)) return joinServer(bundle, address);
  return platform.withStartLock(listenPath, async () => {
    if (await accepts(listenPath)) return joinServer(bundle, address); // spawned by the start we waited for
    await removeStaleSocket(listenPath); // a dead server's socket: nobody else replaces it while we hold the lock
    await spawnAndWait(flags, input, address, listenPath, bundle, opts);
    return address;
  });
}

/**
 * The group's server runs (another container of the group, or a second start of this one): this container
 * joins it. containerd reconnects through the address file after a restart, so it is written here too (as
 * containerd's own StartShim does). No shim.pid: the server is not this task's.
 */
async function joinServer(bundle: string, address: string): Promise<string> {
  await writeFileAtomic(join(bundle, BUNDLE_FILES.address), address);
  recordCreated(bundle, [BUNDLE_FILES.address]);
  return address;
}

/** Spawns the group's server, waits until it listens, writes and records `shim.pid` and `address`. */
async function spawnAndWait(
  flags: ShimFlags,
  input: StartInput,
  address: string,
  listenPath: string,
  bundle: string,
  opts: StartOptions,
): Promise<void> {
  const child = spawnServer(flags, input, address, bundle, opts.serverCommand);
  const written: string[] = [];
  const write = async (name: string, text: string) => {
    await writeFileAtomic(join(bundle, name), text);
    written.push(name);
  };
  try {
    await awaitReady(child, opts.readyTimeoutMs ?? READY_TIMEOUT_MS);
    if (!(await accepts(listenPath))) throw new Error(`shim server does not accept on ${address}`);
    if (child.pid === undefined) throw new Error("shim server has no pid");
    await write(BUNDLE_FILES.shimPid, String(child.pid));
    await write(BUNDLE_FILES.address, address);
    recordCreated(bundle, written);
  } catch (err: unknown) {
    await killServer(child);
    await removeStaleSocket(listenPath);
    await Promise.all(written.map((f) => rm(join(bundle, f), { force: true }).catch(() => undefined)));
    throw err;
  }
  child.unref();
}

/** Empty stdin (the usual case) needs no decoding, so protobuf is loaded only for real input. */
async function decodeInput(bytes: Uint8Array): Promise<StartInput> {
  if (bytes.length === 0) return { debug: false };
  const { parseStartInput } = await import("./compat.js");
  return parseStartInput(bytes);
}

function spawnServer(
  flags: ShimFlags,
  input: StartInput,
  address: string,
  bundle: string,
  command: readonly string[] | undefined,
): ChildProcess {
  const [exe, ...lead] = command ?? selfCommand();
  const args = [
    ...lead,
    "-namespace",
    flags.namespace,
    "-id",
    flags.id,
    "-address",
    flags.address,
    "-publish-binary",
    flags.publishBinary,
    "-bundle",
    bundle,
    "-socket",
    address,
    ...(flags.debug || input.debug ? ["-debug"] : []),
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, [READY_FD_ENV]: "3" };
  if (input.ttrpcAddress && !env[TTRPC_ADDRESS_ENV]) env[TTRPC_ADDRESS_ENV] = input.ttrpcAddress;
  return spawn(exe as string, args, {
    cwd: selfDir(),
    env,
    detached: true, // own session: containerd's signals and terminal are not the server's
    stdio: ["ignore", "ignore", "ignore", "pipe"],
    windowsHide: true,
  });
}

/** Reads the readiness pipe to EOF: `ok` = listening; other text = the server's reason for failing. */
function awaitReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  const pipe = child.stdio[3] as Readable | null | undefined;
  return new Promise((resolve, reject) => {
    let text = "";
    let exit: string | undefined;
    const timer = setTimeout(
      () => finish(new Error(`shim server did not report ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const finish = (err?: Error) => {
      clearTimeout(timer);
      pipe?.destroy();
      if (err) reject(err);
      else resolve();
    };
    child.once("error", (err) => finish(new Error(`cannot run the shim server: ${errorText(err)}`)));
    child.once("exit", (code, signal) => {
      exit = signal ? `signal ${signal}` : `status ${code}`;
    });
    if (!pipe) return finish(new Error("no readiness pipe"));
    pipe.setEncoding("utf8");
    pipe.on("data", (s: string) => {
      if (text.length < 4096) text += s;
    });
    pipe.on("error", () => undefined);
    pipe.on("end", () => {
      const line = text.trim();
      if (line === READY_OK) return finish();
      if (line) return finish(new Error(`shim server failed to start: ${line}`));
      // Closed without a word: it died. Its exit status usually follows the EOF closely.
      const fail = () =>
        finish(new Error(`shim server failed to start: it exited (${exit ?? "no reason given"})`));
      if (exit !== undefined) return fail();
      const grace = setTimeout(fail, EXIT_GRACE_MS);
      child.once("exit", () => {
        clearTimeout(grace);
        setImmediate(fail);
      });
    });
  });
}

/** Kills the server (if it still runs) and waits until it is gone. */
async function killServer(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once("exit", resolve));
  try {
    process.kill(child.pid, "SIGKILL");
  } catch {
    return; // already gone
  }
  await gone;
}
