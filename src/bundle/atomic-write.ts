/**
 * Atomic file replacement for files that another program (runhcs) reads.
 *
 * The seed truncated config.json and re-encoded it in place, so a crash or a failed encode left a
 * half-written or empty spec. Here the new content goes to a temp file in the SAME directory (rename
 * is only atomic within one file system), is fsynced, and is renamed over the target. Readers see
 * either the old or the new file; on any failure the temp file is removed and the target is untouched.
 */
import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Prefix of our temp files, so a leftover (after a power cut) is recognisable. */
export const TEMP_PREFIX = ".tmp-";
const TEMP_NAME = /^\.tmp-(.+)-[0-9a-f]{12}$/;

/** The file name a leftover temp file of {@link writeFileAtomic} was written for, if `name` is one. */
export function tempTarget(name: string): string | undefined {
  return TEMP_NAME.exec(name)?.[1];
}

/**
 * Write `data` to `path` atomically, with permission bits `mode` (applied with chmod, so the umask
 * does not narrow them; used to keep the mode of a rewritten file).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `${TEMP_PREFIX}${basename(path)}-${randomBytes(6).toString("hex")}`);
  const file = await open(temp, "wx", mode);
  try {
    try {
      await file.writeFile(data);
      await file.chmod(mode);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err: unknown) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDirectory(dir);
}

/** Persist the rename itself. Best effort: Windows cannot open a directory for fsync. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The file content is already durable; only the directory entry's durability is at stake.
  }
}
