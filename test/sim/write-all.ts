/**
 * Synchronous writes to stdout/stderr. The simulator never touches `process.stdout`: Node would switch
 * the inherited pipe to non-blocking mode, and that flag is shared with the container process and the
 * caller, which hold the same open file description.
 */
import { writeSync } from "node:fs";

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Writes the whole string (or buffer), retrying on EAGAIN (someone else may have set O_NONBLOCK). */
export function writeAll(fd: number, text: string | Buffer): void {
  let buf = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  while (buf.length > 0) {
    try {
      const n = writeSync(fd, buf);
      buf = buf.subarray(n);
    } catch (err: unknown) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") Atomics.wait(sleeper, 0, 0, 5);
      else if (code === "EPIPE" || code === "EBADF") return;
      else throw err;
    }
  }
}
