/**
 * Advisory whole-file lock (flock(2) through koffi). The kernel drops it when the holder dies, so a crashed
 * runhcs call can never leave the state locked — the property a lock-file scheme cannot give.
 */
import { closeSync, openSync } from "node:fs";
import koffi from "koffi";

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

let flockFn: ((fd: number, op: number) => number) | undefined;
function flock(fd: number, op: number): number {
  if (!flockFn)
    flockFn = koffi.load("libc.so.6").func("int flock(int fd, int op)") as (fd: number, op: number) => number;
  return flockFn(fd, op);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * Runs `fn` while holding an exclusive lock on `path` (created if missing). Polls with LOCK_NB rather than
 * blocking so a stuck holder turns into an error after `timeoutMs` instead of a hang. `fn` must be
 * synchronous: the lock is released as soon as it returns.
 */
export function withFileLock<T>(path: string, fn: () => T, timeoutMs = 10_000): T {
  const fd = openSync(path, "a", 0o644);
  try {
    const deadline = Date.now() + timeoutMs;
    let wait = 1;
    while (flock(fd, LOCK_EX | LOCK_NB) !== 0) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${path}`);
      sleepSync(wait);
      wait = Math.min(wait * 2, 20);
    }
    try {
      return fn();
    } finally {
      flock(fd, LOCK_UN);
    }
  } finally {
    closeSync(fd);
  }
}
