/**
 * The record of the files the shim created in a bundle. The `delete` action (containerd runs it when the
 * server is gone, maybe long after) reads, kills by and removes only the files named here: a file that
 * was in the bundle before the shim (a foreign `runhcs-pidfile.pid`, someone's `runhcs.log`) is never
 * trusted, never removed, and never names a process to kill.
 *
 * A name is recorded once the shim owns that path: after checking that the file does not exist and before
 * the operation that creates it (Create and Exec, see `service/bundle-guard.ts`: a crash in between leaves
 * a name whose file is absent, which `delete` skips), or right after the shim wrote it over whatever was
 * there (`start`'s `address` and `shim.pid`: what was there is gone by then).
 *
 * One file, appended to: each record is one synchronous `write` of whole lines through O_APPEND, so within
 * a process no two records overlap (Create and Exec run concurrently; Windows does not make concurrent
 * appends through separate handles atomic: under Wine a test of 100 at once lost names), and across
 * processes there is no overlap either (`start` has recorded its files before it prints the address, and
 * only then does the server get a Create for the bundle). A last line without its newline (a crash
 * mid-write) is ignored.
 * Whoever creates the file (O_EXCL) names the record itself in it: a record that does not name itself was
 * not created by the shim and is trusted for nothing. Only shim file names count ({@link isShimFile}), so
 * even a damaged record never names `config.json`, `rootfs` or containerd's `log`. No fsync: a record lost
 * to a power cut only leaves files behind (containerd removes the bundle), it never makes `delete` remove
 * another's.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { BUNDLE_FILES, isShimFile } from "./files.js";

/** Records `names` (shim file names) as files the shim created in `bundle`. */
export function recordCreated(bundle: string, names: readonly string[]): void {
  const bad = names.find((n) => !isShimFile(n) || n.includes("\n"));
  if (bad !== undefined) throw new Error(`not a shim file name: ${JSON.stringify(bad)}`);
  if (names.length === 0) return;
  const path = join(bundle, BUNDLE_FILES.created);
  let fd: number;
  let lines = names;
  try {
    fd = openSync(path, "ax");
    lines = [BUNDLE_FILES.created, ...names];
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    fd = openSync(path, "a");
  }
  try {
    const bytes = Buffer.from(lines.map((n) => `${n}\n`).join(""));
    if (writeSync(fd, bytes) !== bytes.length) throw new Error(`${path}: short write`);
  } finally {
    closeSync(fd);
  }
}

/** The files the shim recorded as created in `bundle` (the record included); none without a record of the shim's. */
export async function readCreated(bundle: string): Promise<Set<string>> {
  const text = await readFile(join(bundle, BUNDLE_FILES.created), "utf8").catch(() => "");
  // The piece after the last newline is empty, or a line a crash cut short.
  const names = text.split("\n").slice(0, -1).filter(isShimFile);
  return names.includes(BUNDLE_FILES.created) ? new Set(names) : new Set();
}
