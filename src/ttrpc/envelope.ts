/**
 * Hand-written codec for the ttrpc envelope messages (`ttrpc.Request`, `ttrpc.Response`).
 *
 * Every call passes through these once in each direction, so they avoid reflection and copies: the
 * decoders return views into the frame, the encoders write the frame header and the message into one
 * buffer (large payloads are returned as a second chunk for a vectored write instead of being copied).
 * Field numbers are from ttrpc's request.proto; equivalence with the generated schemas
 * (`src/gen/ttrpc/ttrpc_pb.ts`) is property-tested.
 */
import { FRAME_HEADER_BYTES, MessageType, writeFrameHeader } from "./frame.js";
import {
  asBuffer,
  varint64Size,
  varintSize,
  WireError,
  WireReader,
  WireType,
  writeVarint,
  writeVarint64,
} from "./wire.js";

/** A decoded `ttrpc.Request`; `payload` is a view into the frame. */
export interface RequestEnvelope {
  service: string;
  method: string;
  payload: Buffer;
  /** Relative deadline in ns; 0n = none. */
  timeoutNano: bigint;
  /** Metadata entries in wire order (keys as sent). */
  metadata: [string, string][];
}

/** A decoded `ttrpc.Response`; `code` 0 covers both "status absent" and "status OK". */
export interface ResponseEnvelope {
  code: number;
  message: string;
  payload: Buffer;
}

const EMPTY = Buffer.alloc(0);
/** Payloads at least this large are sent as their own chunk instead of being copied. */
const COPY_LIMIT_BYTES = 16 * 1024;

function tagOf(r: WireReader, expected: number, wireType: number): void {
  if (wireType !== expected) throw new WireError(`invalid wire type ${wireType} at offset ${r.pos}`);
}

/** Decodes a `ttrpc.Request`; throws {@link WireError} on malformed input. */
export function decodeRequest(bytes: Uint8Array): RequestEnvelope {
  const r = new WireReader(asBuffer(bytes));
  const req: RequestEnvelope = { service: "", method: "", payload: EMPTY, timeoutNano: 0n, metadata: [] };
  while (r.pos < r.end) {
    const tag = r.uint32();
    const no = tag >>> 3;
    const wt = tag & 7;
    switch (no) {
      case 1:
        tagOf(r, WireType.LengthDelimited, wt);
        req.service = r.string();
        break;
      case 2:
        tagOf(r, WireType.LengthDelimited, wt);
        req.method = r.string();
        break;
      case 3:
        tagOf(r, WireType.LengthDelimited, wt);
        req.payload = r.bytes();
        break;
      case 4:
        tagOf(r, WireType.Varint, wt);
        req.timeoutNano = r.int64();
        break;
      case 5: {
        tagOf(r, WireType.LengthDelimited, wt);
        const start = r.delimited();
        req.metadata.push(decodeKeyValue(new WireReader(r.buf, start, r.pos)));
        break;
      }
      default:
        if (no === 0) throw new WireError("illegal field number 0");
        r.skip(wt, no);
    }
  }
  return req;
}

function decodeKeyValue(r: WireReader): [string, string] {
  let key = "";
  let value = "";
  while (r.pos < r.end) {
    const tag = r.uint32();
    const no = tag >>> 3;
    const wt = tag & 7;
    if (no === 1) {
      tagOf(r, WireType.LengthDelimited, wt);
      key = r.string();
    } else if (no === 2) {
      tagOf(r, WireType.LengthDelimited, wt);
      value = r.string();
    } else {
      if (no === 0) throw new WireError("illegal field number 0");
      r.skip(wt, no);
    }
  }
  return [key, value];
}

/** Decodes a `ttrpc.Response`; throws {@link WireError} on malformed input. */
export function decodeResponse(bytes: Uint8Array): ResponseEnvelope {
  const r = new WireReader(asBuffer(bytes));
  const res: ResponseEnvelope = { code: 0, message: "", payload: EMPTY };
  while (r.pos < r.end) {
    const tag = r.uint32();
    const no = tag >>> 3;
    const wt = tag & 7;
    if (no === 1) {
      // google.rpc.Status; repeated occurrences merge, as protobuf does for message fields.
      tagOf(r, WireType.LengthDelimited, wt);
      const start = r.delimited();
      const s = new WireReader(r.buf, start, r.pos);
      while (s.pos < s.end) {
        const t = s.uint32();
        const n = t >>> 3;
        const w = t & 7;
        if (n === 1) {
          tagOf(s, WireType.Varint, w);
          res.code = s.uint32() | 0;
        } else if (n === 2) {
          tagOf(s, WireType.LengthDelimited, w);
          res.message = s.string();
        } else {
          if (n === 0) throw new WireError("illegal field number 0");
          s.skip(w, n); // details (repeated Any) are not surfaced
        }
      }
    } else if (no === 2) {
      tagOf(r, WireType.LengthDelimited, wt);
      res.payload = r.bytes();
    } else {
      if (no === 0) throw new WireError("illegal field number 0");
      r.skip(wt, no);
    }
  }
  return res;
}

function strField(len: number): number {
  return len === 0 ? 0 : 1 + varintSize(len) + len;
}

/** Writes a string field (`tag`, length, UTF-8 of `len` bytes) unless empty; returns the next offset. */
function writeStrField(buf: Buffer, at: number, tag: number, s: string, len: number): number {
  if (len === 0) return at;
  buf[at++] = tag;
  at = writeVarint(buf, at, len);
  return at + buf.write(s, at, len, "utf8");
}

/** Encodes a unary Request frame (header + `ttrpc.Request`, fields in number order) into one buffer. */
export function encodeRequestFrame(
  streamId: number,
  service: string,
  method: string,
  payload: Uint8Array,
  timeoutNano: bigint,
  metadata: Iterable<readonly [string, string]>,
): Buffer {
  const sLen = Buffer.byteLength(service);
  const mLen = Buffer.byteLength(method);
  const pLen = payload.length;
  let size = strField(sLen) + strField(mLen) + strField(pLen);
  if (timeoutNano !== 0n) size += 1 + varint64Size(timeoutNano);
  const md: number[] = [];
  for (const [k, v] of metadata) {
    const kl = Buffer.byteLength(k);
    const vl = Buffer.byteLength(v);
    const inner = strField(kl) + strField(vl);
    md.push(kl, vl, inner);
    size += 1 + varintSize(inner) + inner;
  }
  const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES + size);
  writeFrameHeader(head, 0, size, streamId, MessageType.Request, 0);
  let at = FRAME_HEADER_BYTES;
  at = writeStrField(head, at, 0x0a, service, sLen);
  at = writeStrField(head, at, 0x12, method, mLen);
  if (pLen > 0) {
    head[at++] = 0x1a;
    at = writeVarint(head, at, pLen);
    head.set(payload, at);
    at += pLen;
  }
  if (timeoutNano !== 0n) {
    head[at++] = 0x20;
    at = writeVarint64(head, at, timeoutNano);
  }
  let i = 0;
  for (const [k, v] of metadata) {
    const kl = md[i++]!;
    const vl = md[i++]!;
    const inner = md[i++]!;
    head[at++] = 0x2a;
    at = writeVarint(head, at, inner);
    at = writeStrField(head, at, 0x0a, k, kl);
    at = writeStrField(head, at, 0x12, v, vl);
  }
  return head;
}

/**
 * Encodes a Response frame the way Go does: `status` is always present (an OK status is `0a 00`),
 * `payload` is omitted when empty. Large payloads are returned as a separate chunk.
 */
export function encodeResponseFrame(
  streamId: number,
  code: number,
  message: string,
  payload: Uint8Array,
): { head: Buffer; tail: Uint8Array | undefined; length: number } {
  // A status code is an int32 on the wire; anything else must not turn into OK or a corrupt frame.
  if (!Number.isInteger(code) || code < -0x80000000 || code > 0x7fffffff) code = 2;
  const msgLen = Buffer.byteLength(message);
  const codeLen = code === 0 ? 0 : 1 + (code < 0 ? 10 : varintSize(code));
  const statusLen = codeLen + strField(msgLen);
  const pLen = payload.length;
  const size = 1 + varintSize(statusLen) + statusLen + strField(pLen);
  const split = pLen >= COPY_LIMIT_BYTES;
  const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES + size - (split ? pLen : 0));
  writeFrameHeader(head, 0, size, streamId, MessageType.Response, 0);
  let at = FRAME_HEADER_BYTES;
  head[at++] = 0x0a;
  at = writeVarint(head, at, statusLen);
  if (code !== 0) {
    head[at++] = 0x08;
    at = code < 0 ? writeVarint64(head, at, BigInt(code)) : writeVarint(head, at, code);
  }
  at = writeStrField(head, at, 0x12, message, msgLen);
  if (pLen > 0) {
    head[at++] = 0x12;
    at = writeVarint(head, at, pLen);
    if (split) return { head, tail: payload, length: size };
    head.set(payload, at);
  }
  return { head, tail: undefined, length: size };
}
