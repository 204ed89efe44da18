/**
 * Atomic file writes (temp file in the same directory, then rename), so concurrent readers see either the
 * old or the new content, never a partial one. runhcs writes its pid file the same way (`.<name>` temp).
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

let counter = 0;

/** Writes `data` to `path` atomically; the temp file is `.<name>.<pid>.<n>` next to it. */
export function writeFileAtomic(path: string, data: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}`);
  const fd = openSync(tmp, "wx", 0o644);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err: unknown) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
