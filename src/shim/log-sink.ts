/**
 * The server's log output: JSON lines to the endpoint containerd reads and copies into its own log.
 *
 * posix: the `log` FIFO in the bundle. containerd holds it open read-write (`O_RDWR|O_NONBLOCK`), so our
 * non-blocking write-only open succeeds without waiting. When containerd goes away (restart) writes fail
 * with EPIPE and opening fails with ENXIO: lines are kept (bounded, `log-writer.ts`), the FIFO is tried
 * again every `reopenBackoffMs` while lines wait, and the kept lines are written, in order, once containerd
 * reads it again (it re-opens the FIFO when it reloads the shim). Logging never blocks the event loop
 * and never kills the shim.
 *
 * Windows: containerd dials `\\.\pipe\containerd-shim-<ns>-<id>-log` (we are the pipe server); the newest
 * connection gets the output (containerd dials again after a restart), and lines written between
 * connections are kept for the next one.
 */
import { closeSync, constants, openSync } from "node:fs";
import { Socket } from "node:net";
import type { StreamListener } from "../platform/index.js";
import { LineWriter, type LineWriterOptions } from "./log-writer.js";

export { MAX_BUFFERED_LOG_BYTES, MAX_BUFFERED_LOG_LINES, MAX_PENDING_LOG_BYTES } from "./log-writer.js";
/** After a failed open, the FIFO is not tried again for this long. */
export const REOPEN_BACKOFF_MS = 1_000;
const FLUSH_TIMEOUT_MS = 2_000;

/** A pino destination that can be flushed and closed. */
export interface LogSink {
  write(line: string): void;
  /** Waits (bounded) until written lines left the process, then releases everything. */
  close(): Promise<void>;
}

/** Log sink on the bundle's `log` FIFO (posix). */
export class FifoLogSink implements LogSink {
  readonly #path: string;
  readonly #backoffMs: number;
  readonly #lines: LineWriter;
  #nextOpen = 0;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(path: string, opts: { reopenBackoffMs?: number } & LineWriterOptions = {}) {
    this.#path = path;
    this.#backoffMs = opts.reopenBackoffMs ?? REOPEN_BACKOFF_MS;
    this.#lines = new LineWriter(opts, () => {
      this.#nextOpen = Date.now() + this.#backoffMs;
      this.#scheduleRetry();
    });
  }

  write(line: string): void {
    if (this.#closed) return;
    this.#lines.write(line);
    if (!this.#lines.attached && this.#open()) return;
    this.#scheduleRetry();
  }

  /** Opens the FIFO when it is due; true when lines now flow to it. */
  #open(): boolean {
    if (this.#lines.attached) return true;
    if (Date.now() < this.#nextOpen) return false;
    let fd: number | undefined;
    try {
      fd = openSync(this.#path, constants.O_WRONLY | constants.O_NONBLOCK);
      const sock = new Socket({ fd, readable: false, writable: true });
      fd = undefined; // the socket owns it now
      sock.unref();
      sock.on("error", () => sock.destroy()); // EPIPE: containerd left; "close" keeps the unwritten lines
      this.#lines.attach(sock);
      return true;
    } catch {
      // A path that opened but is no FIFO (a file, run by hand) cannot become a socket: release its fd.
      if (fd !== undefined) closeSync(fd);
      // ENXIO: nobody reads the FIFO now (containerd restarting); ENOENT: no FIFO (run by hand).
      this.#nextOpen = Date.now() + this.#backoffMs;
      return false;
    }
  }

  /** While lines wait and nobody reads, the FIFO is tried again (the timer never keeps the shim alive). */
  #scheduleRetry(): void {
    if (this.#retry || this.#closed || this.#lines.attached || this.#lines.backlog === 0) return;
    const delay = Math.max(0, this.#nextOpen - Date.now());
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (!this.#open()) this.#scheduleRetry();
    }, delay);
    this.#retry.unref();
  }

  close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    // One last try, whatever the backoff, so that lines kept while containerd was away still reach it.
    this.#nextOpen = 0;
    this.#open();
    this.#lines.flushAll();
    return endSocket(this.#lines.detach());
  }
}

/**
 * Log sink serving a named pipe (Windows): output goes to the newest client. `listener` already listens
 * on the pipe (`Platform.listenPipe`: only SYSTEM and Administrators may dial it).
 */
export class PipeLogSink implements LogSink {
  readonly #server: StreamListener;
  readonly #lines: LineWriter;

  constructor(
    listener: StreamListener,
    onError: (err: Error) => void = () => {},
    opts: LineWriterOptions = {},
  ) {
    this.#server = listener;
    this.#lines = new LineWriter(opts);
    this.#server.on("connection", (conn: Socket) => {
      conn.on("error", () => conn.destroy());
      conn.resume(); // containerd never writes; do not let anything pile up
      // The previous client's unconfirmed lines are kept again first; then the new client gets them all.
      this.#lines.detach()?.destroy();
      this.#lines.attach(conn);
    });
    this.#server.on("error", onError);
    this.#server.unref();
  }

  write(line: string): void {
    this.#lines.write(line);
  }

  async close(): Promise<void> {
    this.#server.close();
    this.#lines.flushAll();
    await endSocket(this.#lines.detach());
  }
}

function endSocket(sock: Socket | undefined): Promise<void> {
  if (!sock || sock.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, FLUSH_TIMEOUT_MS);
    function done(): void {
      clearTimeout(timer);
      sock?.destroy();
      resolve();
    }
    sock.once("error", done);
    sock.end(done);
  });
}
