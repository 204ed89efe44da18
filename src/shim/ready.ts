/**
 * The readiness handshake between `start` and the server it spawns (hcsshim's pattern): `start` gives the
 * server one extra pipe (fd 3) and reads it to EOF. The server writes `ok` once its socket listens, or the
 * reason it could not start, and closes it. The server's stdout/stderr are never containerd's: containerd
 * waits for `start`'s output pipes to close, so nothing long-lived may hold them.
 */
import { closeSync, writeSync } from "node:fs";

/** Environment variable telling the server which descriptor is the readiness pipe. */
export const READY_FD_ENV = "CONTAINERD_SHIM_RUNHCS_READY_FD";
/** What the server writes when it listens. */
export const READY_OK = "ok";

/**
 * The server side: reports readiness (or `err`) once and closes the pipe. The variable is removed from
 * the environment first, and the descriptor closed, so nothing the server spawns later inherits either.
 */
export function signalReady(err?: unknown): void {
  const fdText = process.env[READY_FD_ENV];
  delete process.env[READY_FD_ENV];
  if (!fdText) return;
  const fd = Number(fdText);
  if (!Number.isInteger(fd) || fd < 3) return;
  const message = err === undefined ? READY_OK : errorText(err);
  try {
    writeSync(fd, `${message}\n`);
  } catch {
    // start gave up (timeout) and closed its end: nothing to tell.
  } finally {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}

/** One line of text for an error (its message, never a stack). */
export function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ").trim();
}
