/**
 * The server's log output: JSON lines to the endpoint containerd reads and copies into its own log.
 *
 * posix: the `log` FIFO in the bundle. containerd holds it open read-write (`O_RDWR|O_NONBLOCK`), so our
 * non-blocking write-only open succeeds without waiting. When containerd goes away (restart) writes fail
 * with EPIPE: lines are dropped, and the FIFO is opened again on a later line (containerd re-opens it when
 * it reloads the shim). Logging never blocks the event loop and never kills the shim.
 *
 * Windows: containerd dials `\\.\pipe\containerd-shim-<ns>-<id>-log` (we are the pipe server); the newest
 * connection gets the output (containerd dials again after a restart).
 */
import { closeSync, constants, openSync } from "node:fs";
import { Socket } from "node:net";
import type { StreamListener } from "../platform/index.js";

/** Lines queued for a slow reader before new ones are dropped. */
export const MAX_PENDING_LOG_BYTES = 1024 * 1024;
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
  #socket: Socket | undefined;
  #nextOpen = 0;
  #closed = false;

  constructor(path: string, opts: { reopenBackoffMs?: number } = {}) {
    this.#path = path;
    this.#backoffMs = opts.reopenBackoffMs ?? REOPEN_BACKOFF_MS;
  }

  write(line: string): void {
    const sock = this.#open();
    if (!sock || sock.writableLength > MAX_PENDING_LOG_BYTES) return;
    sock.write(line);
  }

  #open(): Socket | undefined {
    if (this.#socket || this.#closed) return this.#socket;
    const now = Date.now();
    if (now < this.#nextOpen) return undefined;
    let fd: number | undefined;
    try {
      fd = openSync(this.#path, constants.O_WRONLY | constants.O_NONBLOCK);
      const sock = new Socket({ fd, readable: false, writable: true });
      fd = undefined; // the socket owns it now
      sock.unref();
      sock.on("error", () => {
        sock.destroy();
        if (this.#socket === sock) this.#socket = undefined;
        this.#nextOpen = Date.now() + this.#backoffMs;
      });
      this.#socket = sock;
      return sock;
    } catch {
      // A path that opened but is no FIFO (a file, run by hand) cannot become a socket: release its fd.
      if (fd !== undefined) closeSync(fd);
      // ENXIO: nobody reads the FIFO now (containerd restarting); ENOENT: no FIFO (run by hand).
      this.#nextOpen = now + this.#backoffMs;
      return undefined;
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    const sock = this.#socket;
    this.#socket = undefined;
    return endSocket(sock);
  }
}

/**
 * Log sink serving a named pipe (Windows): output goes to the newest client. `listener` already listens
 * on the pipe (`Platform.listenPipe`: only SYSTEM and Administrators may dial it).
 */
export class PipeLogSink implements LogSink {
  readonly #server: StreamListener;
  #client: Socket | undefined;

  constructor(listener: StreamListener, onError: (err: Error) => void = () => {}) {
    this.#server = listener;
    this.#server.on("connection", (conn: Socket) => {
      const old = this.#client;
      this.#client = conn;
      conn.on("error", () => conn.destroy());
      conn.on("close", () => {
        if (this.#client === conn) this.#client = undefined;
      });
      conn.resume(); // containerd never writes; do not let anything pile up
      old?.destroy();
    });
    this.#server.on("error", onError);
    this.#server.unref();
  }

  write(line: string): void {
    const c = this.#client;
    if (c && c.writableLength <= MAX_PENDING_LOG_BYTES) c.write(line);
  }

  async close(): Promise<void> {
    this.#server.close();
    const c = this.#client;
    this.#client = undefined;
    await endSocket(c);
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
