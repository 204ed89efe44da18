// The hand-written envelope codec must agree with the generated schemas byte for byte (encode) and
// field for field (decode), including unknown fields, repeated fields and repeated metadata.
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import fc from "fast-check";
import { RequestSchema, ResponseSchema } from "../../../src/gen/ttrpc/ttrpc_pb.js";
import {
  decodeRequest,
  decodeResponse,
  encodeRequestFrame,
  encodeResponseFrame,
} from "../../../src/ttrpc/envelope.js";
import { FRAME_HEADER_BYTES, MessageType } from "../../../src/ttrpc/frame.js";

const str = fc.string({ unit: "binary", maxLength: 40 });
const bytes = fc.uint8Array({ maxLength: 200 });
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const pairs = fc.array(fc.tuple(str, str), { maxLength: 5 });

/** One field, already encoded (tag + value), as an element of a message being assembled. */
type Segment = (w: BinaryWriter) => void;

const unknownField: fc.Arbitrary<Segment> = fc.oneof(
  fc.record({ no: fc.integer({ min: 6, max: 5000 }), v: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }).map(
    ({ no, v }) =>
      (w: BinaryWriter) =>
        w.tag(no, WireType.Varint).uint64(v),
  ),
  fc.record({ no: fc.integer({ min: 6, max: 5000 }), v: bytes }).map(
    ({ no, v }) =>
      (w: BinaryWriter) =>
        w.tag(no, WireType.LengthDelimited).bytes(v),
  ),
  fc.record({ no: fc.integer({ min: 6, max: 5000 }), v: fc.integer() }).map(
    ({ no, v }) =>
      (w: BinaryWriter) =>
        w.tag(no, WireType.Bit32).sfixed32(v),
  ),
  fc.record({ no: fc.integer({ min: 6, max: 5000 }), v: int64 }).map(
    ({ no, v }) =>
      (w: BinaryWriter) =>
        w.tag(no, WireType.Bit64).sfixed64(v),
  ),
  fc.record({ no: fc.integer({ min: 6, max: 5000 }), v: fc.integer({ min: 0, max: 1000 }) }).map(
    ({ no, v }) =>
      (w: BinaryWriter) =>
        w.tag(no, WireType.StartGroup).tag(1, WireType.Varint).uint32(v).tag(no, WireType.EndGroup),
  ),
);

function message(segments: Segment[]): Uint8Array {
  const w = new BinaryWriter();
  for (const s of segments) s(w);
  return w.finish();
}

const keyValue: fc.Arbitrary<Segment> = fc
  .array(
    fc.oneof(
      str.map((k) => (w: BinaryWriter) => w.tag(1, WireType.LengthDelimited).string(k)),
      str.map((v) => (w: BinaryWriter) => w.tag(2, WireType.LengthDelimited).string(v)),
      unknownField,
    ),
    { maxLength: 4 },
  )
  .map((segs) => (w: BinaryWriter) => w.tag(5, WireType.LengthDelimited).bytes(message(segs)));

const requestField: fc.Arbitrary<Segment> = fc.oneof(
  str.map((v) => (w: BinaryWriter) => w.tag(1, WireType.LengthDelimited).string(v)),
  str.map((v) => (w: BinaryWriter) => w.tag(2, WireType.LengthDelimited).string(v)),
  bytes.map((v) => (w: BinaryWriter) => w.tag(3, WireType.LengthDelimited).bytes(v)),
  int64.map((v) => (w: BinaryWriter) => w.tag(4, WireType.Varint).int64(v)),
  keyValue,
  unknownField,
);

const statusField: fc.Arbitrary<Segment> = fc
  .array(
    fc.oneof(
      int32.map((v) => (w: BinaryWriter) => w.tag(1, WireType.Varint).int32(v)),
      str.map((v) => (w: BinaryWriter) => w.tag(2, WireType.LengthDelimited).string(v)),
      fc.tuple(str, bytes).map(
        ([t, v]) =>
          (w: BinaryWriter) =>
            w
              .tag(3, WireType.LengthDelimited)
              .bytes(message([(x) => x.tag(1, 2).string(t), (x) => x.tag(2, 2).bytes(v)])),
      ),
      unknownField,
    ),
    { maxLength: 4 },
  )
  .map((segs) => (w: BinaryWriter) => w.tag(1, WireType.LengthDelimited).bytes(message(segs)));

const responseField: fc.Arbitrary<Segment> = fc.oneof(
  statusField,
  bytes.map((v) => (w: BinaryWriter) => w.tag(2, WireType.LengthDelimited).bytes(v)),
  unknownField,
);

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("ttrpc envelope codec", () => {
  it("encodes Request exactly like the generated schema (property)", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        str,
        str,
        bytes,
        int64,
        pairs,
        (id, service, method, payload, timeoutNano, md) => {
          const frame = encodeRequestFrame(id, service, method, payload, timeoutNano, md);
          const ref = toBinary(
            RequestSchema,
            create(RequestSchema, {
              service,
              method,
              payload,
              timeoutNano,
              metadata: md.map(([key, value]) => ({ key, value })),
            }),
          );
          assert.equal(hex(frame.subarray(FRAME_HEADER_BYTES)), hex(ref));
          assert.equal(frame.readUInt32BE(0), ref.length);
          assert.equal(frame.readUInt32BE(4), id);
          assert.equal(frame[8], MessageType.Request);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("decodes Request exactly like the generated schema, with unknown and repeated fields (property)", () => {
    fc.assert(
      fc.property(fc.array(requestField, { maxLength: 12 }), (segs) => {
        const wire = message(segs);
        const ref = fromBinary(RequestSchema, wire);
        const ours = decodeRequest(wire);
        assert.deepEqual(
          {
            service: ours.service,
            method: ours.method,
            payload: hex(ours.payload),
            timeoutNano: ours.timeoutNano,
            metadata: ours.metadata,
          },
          {
            service: ref.service,
            method: ref.method,
            payload: hex(ref.payload),
            timeoutNano: ref.timeoutNano,
            metadata: ref.metadata.map((kv) => [kv.key, kv.value]),
          },
        );
      }),
      { numRuns: 500 },
    );
  });

  it("encodes Response like Go (status always present) and like the generated schema (property)", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        int32,
        str,
        fc.uint8Array({ maxLength: 40_000 }),
        (id, code, message, payload) => {
          const frame = encodeResponseFrame(id, code, message, payload);
          const wire = Buffer.concat([frame.head, frame.tail ?? new Uint8Array(0)]);
          const ref = toBinary(
            ResponseSchema,
            create(ResponseSchema, { status: { code, message }, payload }),
          );
          assert.equal(hex(wire.subarray(FRAME_HEADER_BYTES)), hex(ref));
          assert.equal(wire.readUInt32BE(0), ref.length);
          assert.equal(frame.length, ref.length);
          assert.equal(wire[8], MessageType.Response);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("encodes an OK reply with an empty payload as `0a 00` (Go's bytes)", () => {
    const { head, tail } = encodeResponseFrame(1, 0, "", new Uint8Array(0));
    assert.equal(tail, undefined);
    assert.equal(hex(head), "00000002000000010200" + "0a00");
  });

  it("decodes Response exactly like the generated schema, with merged status and unknown fields (property)", () => {
    fc.assert(
      fc.property(fc.array(responseField, { maxLength: 8 }), (segs) => {
        const wire = message(segs);
        const ref = fromBinary(ResponseSchema, wire);
        const ours = decodeResponse(wire);
        assert.deepEqual(
          { code: ours.code, message: ours.message, payload: hex(ours.payload) },
          { code: ref.status?.code ?? 0, message: ref.status?.message ?? "", payload: hex(ref.payload) },
        );
      }),
      { numRuns: 500 },
    );
  });

  it("rejects what the generated schema rejects: truncation and invalid UTF-8", () => {
    const good = toBinary(
      RequestSchema,
      create(RequestSchema, { service: "svc", method: "m", payload: Buffer.from("p") }),
    );
    for (let n = 1; n < good.length; n++) {
      const cut = good.subarray(0, n);
      let refFails = false;
      try {
        fromBinary(RequestSchema, cut);
      } catch {
        refFails = true;
      }
      if (refFails) assert.throws(() => decodeRequest(cut), `prefix ${n}`);
      else decodeRequest(cut);
    }
    const badUtf8 = Buffer.from([0x0a, 0x02, 0xc3, 0x28]);
    assert.throws(() => fromBinary(RequestSchema, badUtf8));
    assert.throws(() => decodeRequest(badUtf8), /UTF-8/);
  });
});
