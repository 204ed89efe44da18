/**
 * Log lines on their way to containerd's log endpoint (the bundle's `log` FIFO, or the Windows log pipe).
 *
 * Lines are written to the attached stream while it takes them; while there is none (containerd restarting,
 * nobody reading the FIFO, no client on the pipe), while it is full, and when it broke with lines not yet
 * taken, they are kept: at most {@link MAX_BUFFERED_LOG_BYTES} / {@link MAX_BUFFERED_LOG_LINES}, the oldest
 * dropped beyond that. The next stream gets a line saying how many were dropped, then the kept lines in order.
 */
import type { Socket } from "node:net";

/** Bytes of log lines kept while containerd's log endpoint is away (the oldest are dropped beyond it). */
export const MAX_BUFFERED_LOG_BYTES = 1024 * 1024;
/** Log lines kept while containerd's log endpoint is away. */
export const MAX_BUFFERED_LOG_LINES = 10_000;
/** Bytes handed to a slow stream before further lines wait in the buffer. */
export const MAX_PENDING_LOG_BYTES = 1024 * 1024;

export interface LineWriterOptions {
  maxBytes?: number;
  maxLines?: number;
}

/** Lines in order with O(1) amortised push, shift and re-queue at the front. */
class Lines {
  #items: string[] = [];
  #head = 0;
  bytes = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }
  push(line: string): void {
    this.#items.push(line);
    this.bytes += Buffer.byteLength(line);
  }
  shift(): string | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const line = this.#items[this.#head] as string;
    this.#items[this.#head++] = "";
    this.bytes -= Buffer.byteLength(line);
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return line;
  }
  /** Puts `lines` (oldest first) back in front. */
  unshiftAll(lines: string[]): void {
    if (lines.length === 0) return;
    this.#items = [...lines, ...this.#items.slice(this.#head)];
    this.#head = 0;
    for (const l of lines) this.bytes += Buffer.byteLength(l);
  }
}

/** One attached stream and the lines it was given but has not confirmed yet (write callbacks come in order). */
interface Attached {
  sock: Socket;
  unconfirmed: string[];
  confirmed: number;
}

export class LineWriter {
  readonly #maxBytes: number;
  readonly #maxLines: number;
  readonly #kept = new Lines();
  #dropped = 0;
  #current: Attached | undefined;
  readonly #onDetach: () => void;

  constructor(opts: LineWriterOptions = {}, onDetach: () => void = () => {}) {
    this.#maxBytes = opts.maxBytes ?? MAX_BUFFERED_LOG_BYTES;
    this.#maxLines = opts.maxLines ?? MAX_BUFFERED_LOG_LINES;
    this.#onDetach = onDetach;
  }

  /** Lines waiting for a stream. */
  get backlog(): number {
    return this.#kept.length;
  }

  get attached(): boolean {
    return this.#current !== undefined;
  }

  write(line: string): void {
    this.#kept.push(line);
    this.#bound();
    this.#drain();
  }

  /** Makes `sock` the stream lines go to (the previous one is given up first) and sends it the kept lines. */
  attach(sock: Socket): void {
    this.detach();
    const a: Attached = { sock, unconfirmed: [], confirmed: 0 };
    this.#current = a;
    sock.on("drain", () => this.#drain());
    sock.once("close", () => {
      if (this.#current === a) this.detach();
    });
    this.#drain();
  }

  /** Gives up the current stream: the lines it did not confirm are kept again, in front, in order. */
  detach(): Socket | undefined {
    const a = this.#current;
    if (!a) return undefined;
    this.#current = undefined;
    this.#kept.unshiftAll(a.unconfirmed.slice(a.confirmed));
    a.unconfirmed = [];
    a.confirmed = 0;
    this.#bound();
    this.#onDetach();
    return a.sock;
  }

  /** Hands every kept line to the current stream (bounded by the buffer; used on the way out). */
  flushAll(): void {
    this.#drain(Number.POSITIVE_INFINITY);
  }

  #drain(highWater = MAX_PENDING_LOG_BYTES): void {
    const a = this.#current;
    if (!a || a.sock.destroyed || !a.sock.writable) return;
    if (this.#dropped > 0) {
      this.#send(a, droppedNotice(this.#dropped, this.#maxBytes, this.#maxLines));
      this.#dropped = 0;
    }
    while (this.#kept.length > 0 && a.sock.writableLength <= highWater) {
      this.#send(a, this.#kept.shift() as string);
    }
  }

  #send(a: Attached, line: string): void {
    a.unconfirmed.push(line);
    a.sock.write(line, (err) => {
      if (err || this.#current !== a) return;
      a.confirmed++;
      if (a.confirmed > 1024 && a.confirmed * 2 > a.unconfirmed.length) {
        a.unconfirmed = a.unconfirmed.slice(a.confirmed);
        a.confirmed = 0;
      }
    });
  }

  #bound(): void {
    while (this.#kept.length > this.#maxLines || this.#kept.bytes > this.#maxBytes) {
      this.#kept.shift();
      this.#dropped++;
    }
  }
}

/** A line in the shim's own log format (pino JSON, level warn) saying how many lines were lost. */
function droppedNotice(dropped: number, maxBytes: number, maxLines: number): string {
  const msg = `shim log: ${dropped} lines dropped while containerd's log endpoint was away (kept the last ${maxLines} lines / ${maxBytes} bytes)`;
  return `${JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, msg })}\n`;
}
