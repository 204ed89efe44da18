/**
 * runhcs's error message from its JSON `--log` file. With `--log-format json` runhcs (logrus) logs its
 * final error as `{"level":"error","msg":"..."}`; with caller-provided stdio that is the only place the
 * message reaches us (its stderr is the container's stderr). We remember the file size before the call
 * and read only what was appended during it.
 */
import { statSync } from "node:fs";
import { open } from "node:fs/promises";

/** At most this much of the log is read back after a failed call. */
export const MAX_LOG_TAIL_BYTES = 256 * 1024;

const ERROR_LEVELS: ReadonlySet<string> = new Set(["error", "fatal", "panic"]);

/**
 * Current size of the log file (0 when it does not exist yet): where this call's lines will start. Taken
 * before every runhcs call, so synchronously: a stat takes microseconds, a thread-pool round trip more.
 */
export function logOffset(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Reads what was appended to `path` since `offset` (the last {@link MAX_LOG_TAIL_BYTES} of it). */
async function readSince(path: string, offset: number): Promise<string> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(path, "r");
    const size = (await fh.stat()).size;
    const start = Math.max(offset > size ? 0 : offset, size - MAX_LOG_TAIL_BYTES);
    const buf = Buffer.alloc(size - start);
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    return buf.subarray(0, bytesRead).toString("utf8");
  } catch {
    return "";
  } finally {
    await fh?.close();
  }
}

/** The message of the last error-level JSON line in `text` (plus its `error` field), or "". */
export function lastErrorMessage(text: string): string {
  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]?.trim();
    if (!line?.startsWith("{")) continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof entry !== "object" || entry === null) continue;
    const { level, msg, error } = entry as Record<string, unknown>;
    if (typeof level !== "string" || !ERROR_LEVELS.has(level.toLowerCase())) continue;
    const m = typeof msg === "string" ? msg : "";
    if (typeof error === "string" && error !== "" && !m.includes(error)) return m ? `${m}: ${error}` : error;
    if (m) return m;
  }
  return "";
}

/** The last error message runhcs logged to `path` since `offset`, or "". */
export async function logErrorSince(path: string, offset: number): Promise<string> {
  return lastErrorMessage(await readSince(path, offset));
}
