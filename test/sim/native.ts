/**
 * The two libc calls the simulator needs, through koffi: flock(2) for the state lock (the kernel drops it
 * when the holder dies, so a crashed call never leaves the state locked) and prctl(2) to make helpers
 * child subreapers (orphaned container processes stay under their helper, as they stay in an HCS silo).
 */
import { closeSync, openSync } from "node:fs";
import koffi, { type LibraryHandle } from "koffi";

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

const PR_SET_CHILD_SUBREAPER = 36;

let libc: LibraryHandle | undefined;
const lib = () => {
  libc ??= koffi.load("libc.so.6");
  return libc;
};
let flockFn: ((fd: number, op: number) => number) | undefined;
function flock(fd: number, op: number): number {
  flockFn ??= lib().func("int flock(int fd, int op)") as (fd: number, op: number) => number;
  return flockFn(fd, op);
}

/** Makes this process a child subreaper: orphaned descendants re-parent to it instead of to init. */
export function becomeSubreaper(): void {
  const prctl = lib().func(
    "int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)",
  );
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0)
    throw new Error("prctl(PR_SET_CHILD_SUBREAPER) failed");
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
