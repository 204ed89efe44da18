/**
 * ttrpc framing: a 10-byte header (length u32 BE, stream id u32 BE, type u8, flags u8) and a payload.
 *
 * {@link FrameDecoder} is a pure state machine (no I/O) so it can be fed any chunking of the byte
 * stream — one byte at a time or a megabyte at once — and yields the same frames. Payloads that lie
 * wholly inside one chunk are returned as views (no copy); only frames split across chunks are
 * assembled, once, into a buffer of their exact size. Oversized frames are skipped without buffering
 * and reported, like Go's `channel.recv`, so the stream stays in sync and the peer can be answered.
 */

/** Bytes in a frame header. */
export const FRAME_HEADER_BYTES = 10;
/** Largest payload ttrpc accepts or sends (Go `messageLengthMax`, 4 MiB). */
export const MAX_MESSAGE_BYTES = 4 << 20;

/**
 * Largest length a header may declare before the stream is judged not to be ttrpc at all. Lengths
 * above {@link MAX_MESSAGE_BYTES} are skipped and answered (Go behaviour), but a length of 16 MiB or
 * more sets the header's reserved first byte, which no ttrpc peer does (Go refuses to send over
 * 4 MiB): such a stream is garbage, and skipping gigabytes of it would only hide that.
 */
export const MAX_DISCARD_BYTES = 0xffffff;

/** The byte stream is not ttrpc framing; the connection cannot continue. */
export class FrameError extends Error {
  override name = "FrameError";
}

/** Frame types (§3). Unknown values must be ignored by receivers for forward compatibility. */
export const MessageType = { Request: 0x01, Response: 0x02, Data: 0x03 } as const;
/** Frame flags (§4). Unary requests carry no flags. */
export const Flags = { RemoteClosed: 0x01, RemoteOpen: 0x02, NoData: 0x04 } as const;

/** A complete frame. `payload` may be a view into the chunk it arrived in. */
export interface Frame {
  streamId: number;
  type: number;
  flags: number;
  /** Payload bytes, or `undefined` when the frame was over the limit and has been discarded. */
  payload: Buffer | undefined;
  /** Declared payload length (equals `payload.length` unless oversized). */
  length: number;
}

/** The ResourceExhausted message Go uses for an oversized frame (clients compare it verbatim). */
export function oversizeMessage(length: number, max: number = MAX_MESSAGE_BYTES): string {
  return `message length ${length} exceed maximum message size of ${max}`;
}

/** Where the decoder is within the current frame. */
export enum ReadState {
  Header = 0,
  Payload = 1,
  Discard = 2,
}

const EMPTY = Buffer.alloc(0);

/** Incremental frame decoder; see the module comment. */
export class FrameDecoder {
  readonly maxMessageBytes: number;
  readonly maxDiscardBytes: number;
  #state: ReadState = ReadState.Header;
  readonly #header = Buffer.alloc(FRAME_HEADER_BYTES);
  #headerFilled = 0;
  #streamId = 0;
  #type = 0;
  #flags = 0;
  #length = 0;
  #payload: Buffer = EMPTY;
  #filled = 0;

  constructor(maxMessageBytes: number = MAX_MESSAGE_BYTES, maxDiscardBytes: number = MAX_DISCARD_BYTES) {
    this.maxMessageBytes = maxMessageBytes;
    this.maxDiscardBytes = Math.max(maxDiscardBytes, maxMessageBytes);
  }

  /** The current read state (for tests and diagnostics). */
  get state(): ReadState {
    return this.#state;
  }

  /** True if the bytes seen so far end inside a frame (a truncated stream at EOF). */
  get midFrame(): boolean {
    return this.#state !== ReadState.Header || this.#headerFilled > 0;
  }

  /**
   * Consume a chunk; returns the frames it completes, in order. Throws {@link FrameError} for a
   * header beyond {@link MAX_DISCARD_BYTES}; the decoder is unusable afterwards.
   */
  write(chunk: Buffer): Frame[] {
    const out: Frame[] = [];
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      if (this.#state === ReadState.Header) {
        if (this.#headerFilled === 0 && end - pos >= FRAME_HEADER_BYTES) {
          this.#parseHeader(chunk, pos);
          pos += FRAME_HEADER_BYTES;
        } else {
          const n = Math.min(FRAME_HEADER_BYTES - this.#headerFilled, end - pos);
          chunk.copy(this.#header, this.#headerFilled, pos, pos + n);
          this.#headerFilled += n;
          pos += n;
          if (this.#headerFilled < FRAME_HEADER_BYTES) break;
          this.#headerFilled = 0;
          this.#parseHeader(this.#header, 0);
        }
        const len = this.#length;
        if (len > this.maxDiscardBytes) {
          throw new FrameError(`frame length ${len} on stream ${this.#streamId}: not a ttrpc stream`);
        }
        if (len > this.maxMessageBytes) {
          this.#state = ReadState.Discard;
          this.#filled = 0;
        } else if (end - pos >= len) {
          out.push(this.#frame(chunk.subarray(pos, pos + len)));
          pos += len;
        } else {
          this.#state = ReadState.Payload;
          this.#payload = Buffer.allocUnsafe(len);
          this.#filled = 0;
          continue;
        }
      }
      if (this.#state === ReadState.Payload) {
        const n = Math.min(this.#length - this.#filled, end - pos);
        chunk.copy(this.#payload, this.#filled, pos, pos + n);
        this.#filled += n;
        pos += n;
        if (this.#filled === this.#length) {
          const payload = this.#payload;
          this.#payload = EMPTY;
          this.#state = ReadState.Header;
          out.push(this.#frame(payload));
        }
      } else if (this.#state === ReadState.Discard) {
        const n = Math.min(this.#length - this.#filled, end - pos);
        this.#filled += n;
        pos += n;
        if (this.#filled === this.#length) {
          this.#state = ReadState.Header;
          out.push(this.#frame(undefined));
        }
      }
    }
    return out;
  }

  #parseHeader(buf: Buffer, at: number): void {
    this.#length = buf.readUInt32BE(at);
    this.#streamId = buf.readUInt32BE(at + 4);
    this.#type = buf[at + 8]!;
    this.#flags = buf[at + 9]!;
  }

  #frame(payload: Buffer | undefined): Frame {
    return { streamId: this.#streamId, type: this.#type, flags: this.#flags, payload, length: this.#length };
  }
}

/** Write a frame header into `buf` at `at`. */
export function writeFrameHeader(
  buf: Buffer,
  at: number,
  length: number,
  streamId: number,
  type: number,
  flags: number,
): void {
  buf.writeUInt32BE(length, at);
  buf.writeUInt32BE(streamId, at + 4);
  buf[at + 8] = type;
  buf[at + 9] = flags;
}

/** Encode a whole frame into one new buffer (tests and rare paths; hot paths encode in place). */
export function encodeFrame(streamId: number, type: number, flags: number, payload: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  writeFrameHeader(buf, 0, payload.length, streamId, type, flags);
  buf.set(payload, FRAME_HEADER_BYTES);
  return buf;
}
