/**
 * posix start lock: `flock(2)` on `<socket>.lock` next to the group's socket, so that two `start`s of one
 * group never both decide to spawn a server, and a stale socket is only replaced by the one holding the
 * lock (binding alone cannot arbitrate: removing a dead server's socket file races with a new bind).
 *
 * The kernel drops a flock when its holder dies, so a killed `start` never leaves the group locked. The
 * lock file is removed on release; a waiter that then gets the lock on the removed file notices (the path
 * no longer names the inode it locked) and locks the path again. The lock is taken with LOCK_NB and
 * retried on a timer: a blocking flock would stop the event loop (and the server's readiness pipe).
 */

import { createHash } from "node:crypto";
import { closeSync, fstatSync, mkdirSync, openSync, statSync, unlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

type Koffi = typeof import("koffi").default;

const LOCK_EX = 2;
const LOCK_NB = 4;
const RETRY_MS = 20;

let flockFn: ((fd: number, op: number) => number) | undefined;
function flock(fd: number, op: number): number {
  flockFn ??= (createRequire(import.meta.url)("koffi") as Koffi)
    .load("libc.so.6")
    .func("int flock(int fd, int op)") as (fd: number, op: number) => number;
  return flockFn(fd, op);
}

/** The lock file of a listen path: beside a socket file; for an abstract name, in the temp dir. */
export function startLockPath(listenPath: string): string {
  if (!listenPath.startsWith("\0")) return `${listenPath}.lock`;
  const digest = createHash("sha256").update(listenPath).digest("hex");
  return join(tmpdir(), `containerd-shim-${digest}.lock`);
}

/** Holds the start lock of `listenPath` while `fn` runs (at most `timeoutMs` waiting for it). */
export async function withStartLock<T>(
  listenPath: string,
  fn: () => Promise<T>,
  timeoutMs = 60_000,
): Promise<T> {
  const path = startLockPath(listenPath);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 }); // as the server makes the socket dir
  const fd = await acquire(path, Date.now() + timeoutMs);
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(path); // still ours: only the holder removes it
    } catch {
      // gone already
    }
    closeSync(fd); // releases the flock
  }
}

async function acquire(path: string, deadline: number): Promise<number> {
  for (;;) {
    const fd = openSync(path, "a", 0o600);
    if (flock(fd, LOCK_EX | LOCK_NB) === 0 && sameFile(fd, path)) return fd;
    closeSync(fd);
    if (Date.now() > deadline) throw new Error(`start: timed out waiting for the lock ${path}`);
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}

/** Whether `path` still names the file `fd` has open (the previous holder may have removed it). */
function sameFile(fd: number, path: string): boolean {
  try {
    const a = fstatSync(fd);
    const b = statSync(path);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}
