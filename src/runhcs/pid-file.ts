/**
 * Reading the `--pid-file` runhcs writes: the decimal host pid of the `runhcs shim` helper, no newline,
 * written atomically before `create`/`exec` exit. We still retry briefly on a missing, empty or
 * partial file (a different writer, a slow filesystem) and fail with a clear {@link PidFileError}.
 */
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** How long {@link readPidFile} keeps retrying by default. */
export const PID_FILE_TIMEOUT_MS = 2000;
/** Pause between attempts. */
export const PID_FILE_RETRY_MS = 25;
/** Windows pids are DWORDs. */
const MAX_PID = 0xffff_ffff;

/** Why a pid file could not be used. */
export type PidFileProblem = "missing" | "invalid";

/** A pid file that did not appear, or did not hold a positive integer, within the bound. */
export class PidFileError extends Error {
  override name = "PidFileError";
  constructor(
    readonly path: string,
    readonly problem: PidFileProblem,
    /** Last content read (for `invalid`). */
    readonly content: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Options of {@link readPidFile}. */
export interface ReadPidFileOptions {
  timeoutMs?: number;
  retryMs?: number;
  signal?: AbortSignal;
}

/** The pid in `content`, or undefined unless it is a positive decimal integer (surrounding space allowed). */
export function parsePid(content: string): number | undefined {
  const t = content.trim();
  if (!/^[0-9]+$/.test(t)) return undefined;
  const pid = Number(t);
  return pid > 0 && pid <= MAX_PID ? pid : undefined;
}

/**
 * Reads a pid file, retrying while it is missing/empty/not a valid pid until `timeoutMs` has passed.
 * Other read errors (permissions, a directory) fail at once.
 */
export async function readPidFile(path: string, opts: ReadPidFileOptions = {}): Promise<number> {
  const timeoutMs = opts.timeoutMs ?? PID_FILE_TIMEOUT_MS;
  const start = Date.now();
  for (;;) {
    opts.signal?.throwIfAborted();
    const content = readContent(path);
    if (content !== undefined) {
      const pid = parsePid(content);
      if (pid !== undefined) return pid;
    }
    if (Date.now() - start >= timeoutMs) {
      if (content === undefined) {
        throw new PidFileError(
          path,
          "missing",
          "",
          `pid file ${path} does not exist (waited ${timeoutMs} ms)`,
        );
      }
      throw new PidFileError(
        path,
        "invalid",
        content,
        `pid file ${path} does not hold a positive integer pid: ${JSON.stringify(content.slice(0, 64))}`,
      );
    }
    await sleep(opts.retryMs ?? PID_FILE_RETRY_MS, undefined, opts.signal ? { signal: opts.signal } : {});
  }
}

/** Options of {@link awaitPidFile}. */
export interface AwaitPidFileOptions {
  /** Stop waiting once this settles (the writer exited): one last read decides. */
  until: Promise<unknown>;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** First and longest pause between two reads of {@link awaitPidFile}. */
const AWAIT_FIRST_MS = 1;
const AWAIT_MAX_MS = 50;

/**
 * Waits for a pid file that a still-running writer will produce (`runhcs exec` without `--detach`
 * writes it once its helper is up, then waits for the process): reads at once, then after 1, 2, 4 …
 * 50 ms, until the pid is there or `until` settled (then one last read). Resolves `undefined` when the
 * writer ended without a valid pid file; rejects with `PidFileError` at `timeoutMs`, or the abort reason.
 */
export async function awaitPidFile(path: string, opts: AwaitPidFileOptions): Promise<number | undefined> {
  let ended = false;
  const ends = opts.until.then(
    () => {
      ended = true;
    },
    () => {
      ended = true;
    },
  );
  const deadline = Date.now() + opts.timeoutMs;
  for (let delay = AWAIT_FIRST_MS; ; delay = Math.min(delay * 2, AWAIT_MAX_MS)) {
    opts.signal?.throwIfAborted();
    const last = ended;
    const pid = readPidOnce(path);
    if (pid !== undefined || last) return pid;
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new PidFileError(
        path,
        "missing",
        "",
        `pid file ${path} did not appear within ${opts.timeoutMs} ms`,
      );
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ends, new Promise((r) => (timer = setTimeout(r, Math.min(delay, remaining))))]);
    clearTimeout(timer);
  }
}

/** One read: the pid, or undefined while the file is missing or not (yet) a valid pid. */
function readPidOnce(path: string): number | undefined {
  const content = readContent(path);
  return content === undefined ? undefined : parsePid(content);
}

/**
 * The file's text, undefined while it does not exist; other read errors (permissions, a directory) throw.
 * A synchronous read: a pid file is a few bytes on a local disk (see `bundle/files.ts`).
 */
function readContent(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new PidFileError(path, "missing", "", `cannot read pid file ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}
