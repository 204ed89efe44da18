/** Temp bundle directories for the bundle tests (each removed by the test that made it). */
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEMP_PREFIX } from "../../../src/bundle/atomic-write.js";

/** A fresh empty directory under the OS temp dir; pair with {@link removeBundle}. */
export function makeBundle(): Promise<string> {
  return mkdtemp(join(tmpdir(), "shim-bundle-test-"));
}

export function removeBundle(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** The directory holds exactly `names` (so no temp file was left behind). */
export async function assertEntries(dir: string, names: string[]): Promise<void> {
  const entries = (await readdir(dir)).sort();
  assert.ok(!entries.some((e) => e.startsWith(TEMP_PREFIX)), `temp file left in ${dir}: ${entries}`);
  assert.deepEqual(entries, [...names].sort());
}
