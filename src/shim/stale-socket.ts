import { lstat, unlink } from "node:fs/promises";
import { accepts } from "./probe.js";

/**
 * Removes the socket file at `path` when nobody accepts on it any more (its server was killed). A path
 * that is not a socket, an abstract name, or a socket something still answers on is left alone.
 * Returns true when a file was removed.
 */
export async function removeStaleSocket(path: string): Promise<boolean> {
  if (path.startsWith("\0") || path.startsWith("\\\\")) return false;
  try {
    if (!(await lstat(path)).isSocket()) return false;
    if (await accepts(path)) return false;
    await unlink(path);
    return true;
  } catch {
    return false;
  }
}
