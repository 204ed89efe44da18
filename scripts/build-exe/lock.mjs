// A lock file for build-exe.mjs: concurrent test runs (several helpers, CI) share build/, so builds take
// turns. The file holds the owner's pid; a lock whose owner is gone is taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const WAIT_MS = 15 * 60_000;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

function tryAcquire(path) {
  try {
    const fd = openSync(path, "wx");
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if (err.code !== "EEXIST") throw err;
    const owner = Number(readFileSync(path, "utf8").trim() || "0");
    // An empty file is a lock being written right now; only a dead owner's lock is removed.
    if (owner > 0 && !alive(owner)) rmSync(path, { force: true });
    return false;
  }
}

/** Runs `fn` holding the lock at `path`; waits (bounded) for another holder. */
export async function withLock(path, log, fn) {
  const deadline = Date.now() + WAIT_MS;
  let said = false;
  while (!tryAcquire(path)) {
    if (Date.now() > deadline) throw new Error(`${path} is still held after ${WAIT_MS / 60_000} min`);
    if (!said) log(`waiting for another build (${path})`);
    said = true;
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
