/**
 * The single writer of a connection: frames written in one tick leave in one vectored write.
 *
 * The first write of a tick corks the stream and schedules an uncork on `process.nextTick`, which runs
 * after the current microtask queue has drained — so all replies of handlers that settled together
 * (and all requests issued together) are flushed with one `writev` instead of one syscall each.
 */
import type { Duplex } from "node:stream";

/** Batches frame writes per tick; see the module comment. */
export class FrameWriter {
  readonly #stream: Duplex;
  #corked = false;

  constructor(stream: Duplex) {
    this.#stream = stream;
  }

  /** Queues a frame (one or two chunks). Returns false once the stream's buffer is over its high-water mark. */
  write(head: Uint8Array, tail?: Uint8Array): boolean {
    const s = this.#stream;
    if (s.destroyed || s.writableEnded) return true;
    if (!this.#corked) {
      this.#corked = true;
      s.cork();
      process.nextTick(uncork, this);
    }
    s.write(head);
    if (tail !== undefined && tail.length > 0) s.write(tail);
    return !s.writableNeedDrain;
  }

  /** Bytes queued in the stream and not yet handed to the OS. */
  get pendingBytes(): number {
    return this.#stream.writableLength;
  }

  /** @internal */
  static flush(w: FrameWriter): void {
    w.#corked = false;
    w.#stream.uncork();
  }
}

function uncork(w: FrameWriter): void {
  FrameWriter.flush(w);
}
