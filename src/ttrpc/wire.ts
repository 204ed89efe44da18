/**
 * Minimal protobuf wire-format primitives for the hand-written ttrpc envelope codec.
 *
 * The envelope (`ttrpc.Request` / `ttrpc.Response`) is decoded and encoded once per call, so it is
 * done here without reflection; `test/unit/ttrpc/envelope.test.ts` proves equivalence with the
 * generated schemas. Semantics follow protobuf: unknown fields are skipped, the last occurrence of a
 * scalar wins, strings must be valid UTF-8 (proto3), truncation is an error.
 */
import { isUtf8 } from "node:buffer";

/** Protobuf wire types. */
export const WireType = {
  Varint: 0,
  Bit64: 1,
  LengthDelimited: 2,
  StartGroup: 3,
  EndGroup: 4,
  Bit32: 5,
} as const;

/** Thrown for bytes that are not a valid encoding of the expected message. */
export class WireError extends Error {
  override name = "WireError";
}

const MAX_GROUP_DEPTH = 100;

/** A cursor over a protobuf-encoded buffer. */
export class WireReader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** Reads a varint and returns its low 32 bits as an unsigned number (lengths, tags, int32 via `| 0`). */
  uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= this.end) throw new WireError("premature EOF");
      const b = buf[pos++]!;
      if (shift < 32) result |= (b & 0x7f) << shift;
      shift += 7;
      if (b < 0x80) {
        this.pos = pos;
        return result >>> 0;
      }
    }
    throw new WireError("invalid varint");
  }

  /** Reads a varint as a signed 64-bit bigint (int64 semantics). */
  int64(): bigint {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (pos >= this.end) throw new WireError("premature EOF");
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) {
        this.pos = pos;
        return BigInt.asIntN(64, result);
      }
    }
    throw new WireError("invalid varint");
  }

  /** Reads a length prefix and returns the [start, end) range of the delimited bytes. */
  delimited(): number {
    const len = this.uint32();
    const start = this.pos;
    if (len > this.end - start) throw new WireError("premature EOF");
    this.pos = start + len;
    return start;
  }

  bytes(): Buffer {
    const start = this.delimited();
    return this.buf.subarray(start, this.pos);
  }

  string(): string {
    const start = this.delimited();
    const buf = this.buf;
    const end = this.pos;
    for (let i = start; i < end; i++) {
      if (buf[i]! >= 0x80) {
        if (!isUtf8(buf.subarray(start, end))) throw new WireError("invalid UTF-8");
        break;
      }
    }
    return buf.toString("utf8", start, end);
  }

  /** Skips the value of a field with the given wire type (unknown fields). */
  skip(wireType: number, fieldNo: number, depth = 0): void {
    switch (wireType) {
      case WireType.Varint:
        this.uint32();
        return;
      case WireType.Bit64:
        this.#advance(8);
        return;
      case WireType.Bit32:
        this.#advance(4);
        return;
      case WireType.LengthDelimited:
        this.delimited();
        return;
      case WireType.StartGroup: {
        if (depth >= MAX_GROUP_DEPTH) throw new WireError("group nesting too deep");
        for (;;) {
          const tag = this.uint32();
          const no = tag >>> 3;
          const wt = tag & 7;
          if (wt === WireType.EndGroup) {
            if (no !== fieldNo) throw new WireError("invalid end group tag");
            return;
          }
          this.skip(wt, no, depth + 1);
        }
      }
      default:
        throw new WireError(`cannot skip wire type ${wireType}`);
    }
  }

  #advance(n: number): void {
    if (this.end - this.pos < n) throw new WireError("premature EOF");
    this.pos += n;
  }
}

/** Bytes of a varint encoding `value` (an unsigned 32-bit number). */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** Writes `value` (unsigned 32-bit) as a varint; returns the new offset. */
export function writeVarint(buf: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    buf[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[at++] = value;
  return at;
}

/** Bytes of a varint encoding the 64-bit two's complement of `value`. */
export function varint64Size(value: bigint): number {
  let v = BigInt.asUintN(64, value);
  let n = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}

/** Writes the 64-bit two's complement of `value` as a varint; returns the new offset. */
export function writeVarint64(buf: Buffer, at: number, value: bigint): number {
  let v = BigInt.asUintN(64, value);
  while (v >= 0x80n) {
    buf[at++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[at++] = Number(v);
  return at;
}

/** Views a Uint8Array as a Buffer without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
