/**
 * Helpers around `fake-runhcs.mjs` (see its header for the FAKE_RUNHCS_* switches): its path, making it
 * executable, and reading the argv it recorded.
 */
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

/** Absolute path of the fake runhcs script (tests run from the repo root). */
export const FAKE_RUNHCS = resolve("test/fakes/runhcs/fake-runhcs.mjs");

/** Makes the fake executable (a checkout may have lost the mode) and returns its path. */
export function fakeRunhcsBinary(): string {
  chmodSync(FAKE_RUNHCS, 0o755);
  return FAKE_RUNHCS;
}

/** One invocation recorded by the fake. */
export interface FakeRecord {
  argv: string[];
  pid: number;
}

/** Invocations recorded in `file` (FAKE_RUNHCS_RECORD), oldest first. */
export function readRecords(file: string): FakeRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as FakeRecord);
}

/** True while a process with this pid exists (zombies included until reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (polling) until the process is gone; false if it is still alive after `timeoutMs`. */
export async function waitGone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !isAlive(pid);
}
