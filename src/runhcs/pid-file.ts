/**
 * Reading the `--pid-file` runhcs writes: the decimal host pid of the `runhcs shim` helper, no newline,
 * written atomically before `create`/`exec` exit. We still retry briefly on a missing, empty or
 * partial file (a different writer, a slow filesystem) and fail with a clear {@link PidFileError}.
 */
import { readFile } from "node:fs/promises";
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
    let content: string | undefined;
    try {
      content = await readFile(path, "utf8");
    } catch (e: unknown) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new PidFileError(path, "missing", "", `cannot read pid file ${path}: ${(e as Error).message}`, {
          cause: e,
        });
      }
    }
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
