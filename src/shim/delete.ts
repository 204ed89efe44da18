/**
 * `delete`: containerd runs it after the shim's connection closed (normally after Shutdown, or because
 * the shim died) to clean up, and reads a protobuf `DeleteResponse` from stdout (stderr = warnings).
 * cwd may not be the bundle (Windows), so the bundle comes from `-bundle`.
 *
 * It never fails because something is already gone: `runhcs delete --force` (not-found is fine), then the
 * processes still left (the init and exec pids runhcs wrote in the bundle, with their descendants) are
 * killed, then the files the shim created in the bundle are removed (never the bundle itself, `config.json`,
 * `rootfs` or containerd's `log`). containerd 1.6 runs it after every task's connection closed, also for a
 * task whose server holds other containers of its group: a server that still answers is asked to let this
 * task go (Delete, then Shutdown without `now`: it exits only once no task is left), never signalled. A
 * server that no longer answers is ended the platform's way (posix: SIGTERM when `shim.pid` still names
 * it), and a socket file nobody answers on is removed.
 *
 * Which files are the shim's is not guessed from their names: `start`, Create and Exec record every file
 * they create, once they own the path (`bundle/created-files.ts`), and only recorded files are read (pid
 * files, `address`, `runhcs-root`) or removed, with the leftover temp files of their atomic writes. A file
 * with a shim name that was in the bundle before (Create refused it, or it was never the shim's) is left
 * alone, and so is the process it names.
 *
 * Exit status reported: the platform's `killedExitStatus` when we had to kill the init process (posix:
 * 137, 128 + SIGKILL, as containerd's runc shim reports); otherwise 255, the "unknown" status containerd and
 * hcsshim use (we cannot know how a process we did not see exit ended). `exited_at` is now, `pid` the init
 * pid when its file remains.
 */

import { readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { tempTarget } from "../bundle/atomic-write.js";
import { readCreated } from "../bundle/created-files.js";
import { BUNDLE_FILES, isExecPidFile } from "../bundle/files.js";
import { DeleteResponseSchema, Task as TaskV2 } from "../gen/containerd/task/v2/shim_pb.js";
import { isSafeId, platform, UNKNOWN_EXIT_CODE } from "../platform/index.js";
import { isNotFound, parsePid, Runhcs } from "../runhcs/index.js";
import { Client, Code, createClient, StatusError } from "../ttrpc/index.js";
import type { ShimFlags } from "./flags.js";
import { accepts } from "./probe.js";
import { errorText } from "./ready.js";
import { selfDir } from "./self.js";
import { removeStaleSocket } from "./stale-socket.js";

const SIGKILL = 9;
const SIGTERM = 15;

/** What delete did (also what it prints, as a DeleteResponse). */
export interface DeleteResult {
  pid: number;
  exitStatus: number;
  exitedAt: Date;
  /** Bundle files removed (names). */
  removed: string[];
}

export interface DeleteOptions {
  /** Where warnings go (containerd logs them); default stderr. */
  warn?: (message: string) => void;
  /** The runhcs client (tests give one with a fake binary). */
  runhcs?: Pick<Runhcs, "delete">;
}

/** Runs the cleanup; never throws for things already gone. */
export async function deleteShim(flags: ShimFlags, opts: DeleteOptions = {}): Promise<DeleteResult> {
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`${m}\n`));
  const bundle = flags.bundle || process.cwd();
  if (!isSafeId(flags.id)) throw new Error(`delete: invalid id ${JSON.stringify(flags.id)}`);

  const created = await readCreated(bundle);
  const ours = (name: string) => (created.has(name) ? join(bundle, name) : undefined);
  try {
    // The --root the task was created with (the server wrote it): runhcs keeps its state under it.
    const root = await readText(ours(BUNDLE_FILES.runhcsRoot));
    const runhcs =
      opts.runhcs ?? new Runhcs({ cwd: bundle, besideDir: selfDir(), ...(root ? { root } : {}) });
    await runhcs.delete(flags.id, { force: true });
  } catch (err: unknown) {
    if (!isNotFound(err)) warn(`runhcs delete --force ${flags.id}: ${errorText(err)}`);
  }

  const names = await readdir(bundle).catch(() => [] as string[]);
  const signals = platform.createSignals();
  const tree = platform.createProcessTree();
  const initPid = await helperPid(ours(BUNDLE_FILES.initPid), tree, warn);
  const execPids = await Promise.all(
    [...created].filter(isExecPidFile).map((n) => helperPid(ours(n), tree, warn)),
  );
  let killedInit = false;
  for (const pid of [...execPids, initPid]) {
    if (!pid) continue;
    const below = await tree.descendants(pid).catch(() => [] as number[]);
    for (const p of below) signals.kill(p, SIGKILL);
    const killed = signals.kill(pid, SIGKILL);
    if (pid === initPid && (killed || below.length > 0)) killedInit = true;
  }

  const address = await readText(ours(BUNDLE_FILES.address));
  const shimPid = parsePid(await readText(ours(BUNDLE_FILES.shimPid)));
  const listenPath = address ? platform.createShimAddress().toListenPath(address) : "";
  if (!(address && (await releaseTask(listenPath, flags.id, warn)))) {
    await platform.endStrayServer({
      nothingLeft: async () => {},
      signalByPid: async () => {
        // containerd gave up on a server that still runs and no longer answers: let it go.
        if (shimPid && address && (await isServerOf(shimPid, address))) signals.kill(shimPid, SIGTERM);
        else if (address) await removeStaleSocket(listenPath);
      },
    });
  }

  const isOurs = (n: string) => created.has(n) || created.has(tempTarget(n) ?? "");
  const removed = names.filter((n) => isOurs(n) && n !== BUNDLE_FILES.created);
  const remove = (n: string) =>
    rm(join(bundle, n), { force: true }).catch((err: unknown) => warn(`remove ${n}: ${errorText(err)}`));
  await Promise.all(removed.map(remove));
  // The record goes last: a delete run again after a failure above still knows what is the shim's.
  if (created.has(BUNDLE_FILES.created)) {
    await remove(BUNDLE_FILES.created);
    removed.push(BUNDLE_FILES.created);
  }
  return {
    pid: initPid ?? 0,
    exitStatus: killedInit ? platform.killedExitStatus : UNKNOWN_EXIT_CODE,
    exitedAt: new Date(),
    removed,
  };
}

/** The DeleteResponse bytes containerd reads from stdout. */
export function encodeDeleteResponse(r: DeleteResult): Uint8Array {
  return toBinary(
    DeleteResponseSchema,
    create(DeleteResponseSchema, {
      pid: r.pid,
      exitStatus: r.exitStatus,
      exitedAt: timestampFromDate(r.exitedAt),
    }),
  );
}

/** How long delete waits for a server that still answers (each call, and for the task to stop). */
const SERVER_CALL_TIMEOUT_MS = 5_000;
const STOP_POLL_MS = 100;

/**
 * Lets a server that still answers on `listenPath` go of task `id`: Delete of the task (its processes were
 * killed above, so it stops; not found when containerd deleted it already), then Shutdown without `now`,
 * after which the server exits only when no task is left. It may hold other containers of its group, so
 * it is never signalled or told to stop now. False when nobody answers (the caller ends a stray server).
 */
async function releaseTask(listenPath: string, id: string, warn: (m: string) => void): Promise<boolean> {
  if (!(await accepts(listenPath))) return false;
  let client: Client | undefined;
  try {
    client = await Client.connect(listenPath, { timeoutMs: SERVER_CALL_TIMEOUT_MS });
    const task = createClient(client, TaskV2);
    const call = { timeoutMs: SERVER_CALL_TIMEOUT_MS };
    const deadline = Date.now() + SERVER_CALL_TIMEOUT_MS;
    for (;;) {
      const done = await task.delete({ id }, call).then(
        () => true,
        (err: unknown) => {
          if (codeOf(err) === Code.NotFound) return true;
          if (codeOf(err) !== Code.FailedPrecondition || Date.now() > deadline) throw err;
          return false; // not stopped yet: the server has not seen the exit of what was killed
        },
      );
      if (done) break;
      await new Promise((r) => setTimeout(r, STOP_POLL_MS));
    }
    await task.shutdown({ id, now: false }, call);
  } catch (err: unknown) {
    // Unavailable: the server closed the connection as it exited, which is what was asked.
    if (codeOf(err) !== Code.Unavailable)
      warn(`releasing task ${id} from its shim server: ${errorText(err)}`);
  } finally {
    client?.close();
  }
  return true;
}

const codeOf = (err: unknown) => (err instanceof StatusError ? err.code : undefined);

/**
 * Whether `pid` is the server `start` spawned for `address` (its command line carries `-socket <address>`),
 * so a reused pid is never signalled. Without /proc (Windows) the answer is no.
 */
async function isServerOf(pid: number, address: string): Promise<boolean> {
  if (pid === process.pid) return false;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return cmdline.split("\0").some((arg, i, all) => arg === "-socket" && all[i + 1] === address);
}

/** The trimmed text of a file; "" when there is no path (not the shim's) or no file. */
async function readText(path: string | undefined): Promise<string> {
  return path === undefined ? "" : (await readFile(path, "utf8").catch(() => "")).trim();
}

/** A process counts as started before its pid file was written within this much (btime has 1 s steps). */
const PID_FILE_SLACK_MS = 2_000;

/**
 * The runhcs helper pid from a pid file, but only while that pid still names the helper: a process that
 * started after the file was written reused the pid (the shim died long ago) and must not be killed.
 */
async function helperPid(
  path: string | undefined,
  tree: { startedAt(pid: number): Promise<Date | undefined> },
  warn: (m: string) => void,
): Promise<number | undefined> {
  const pid = parsePid(await readText(path));
  if (!pid || path === undefined) return undefined;
  const [written, started] = await Promise.all([
    stat(path).then(
      (st) => st.mtimeMs,
      () => undefined,
    ),
    tree.startedAt(pid),
  ]);
  if (written === undefined || started === undefined) return undefined; // gone, or cannot be told apart
  if (started.getTime() > written + PID_FILE_SLACK_MS) {
    warn(`pid ${pid} from ${path} now names a process started after the file was written: not killed`);
    return undefined;
  }
  return pid;
}
