import assert from "node:assert/strict";
import fc from "fast-check";
import {
  encodeFrame,
  FRAME_HEADER_BYTES,
  type Frame,
  FrameDecoder,
  FrameError,
  MAX_MESSAGE_BYTES,
  oversizeMessage,
  ReadState,
} from "../../../src/ttrpc/frame.js";

type Spec = { streamId: number; type: number; flags: number; payload: Uint8Array };

function plain(frames: Frame[]): { streamId: number; type: number; flags: number; payload: string | null }[] {
  return frames.map((f) => ({
    streamId: f.streamId,
    type: f.type,
    flags: f.flags,
    payload: f.payload ? Buffer.from(f.payload).toString("hex") : null,
  }));
}

function expected(specs: Spec[]): ReturnType<typeof plain> {
  return specs.map((s) => ({ ...s, payload: Buffer.from(s.payload).toString("hex") }));
}

/** Splits `buf` at the given cut points (sorted, deduplicated, within bounds). */
function chunk(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

const specArb = fc.record({
  streamId: fc.integer({ min: 0, max: 0xffffffff }),
  type: fc.integer({ min: 0, max: 255 }),
  flags: fc.integer({ min: 0, max: 255 }),
  payload: fc.uint8Array({ maxLength: 300 }),
});

describe("ttrpc FrameDecoder", () => {
  it("decodes a frame fed one byte at a time", () => {
    const specs: Spec[] = [
      { streamId: 1, type: 1, flags: 0, payload: Buffer.from("hello") },
      { streamId: 3, type: 2, flags: 0, payload: new Uint8Array(0) },
      { streamId: 0xfffffffd, type: 0x7f, flags: 0x05, payload: Buffer.alloc(1000, 9) },
    ];
    const wire = Buffer.concat(specs.map((s) => encodeFrame(s.streamId, s.type, s.flags, s.payload)));
    const d = new FrameDecoder();
    const frames: Frame[] = [];
    for (let i = 0; i < wire.length; i++) {
      frames.push(...d.write(wire.subarray(i, i + 1)));
      const frameEnds = i === 14 || i === 24 || i === wire.length - 1;
      assert.equal(d.midFrame, !frameEnds, `byte ${i}`);
    }
    assert.deepEqual(plain(frames), expected(specs));
    assert.equal(d.state, ReadState.Header);
    assert.equal(d.midFrame, false);
  });

  it("yields the same frames for any chunking (property)", () => {
    fc.assert(
      fc.property(
        fc.array(specArb, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (specs, cuts) => {
          const wire = Buffer.concat(specs.map((s) => encodeFrame(s.streamId, s.type, s.flags, s.payload)));
          const d = new FrameDecoder();
          const frames = chunk(wire, cuts).flatMap((c) => d.write(c));
          assert.deepEqual(plain(frames), expected(specs));
          assert.equal(d.midFrame, false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("returns views into the chunk for frames that arrive whole (no copy)", () => {
    const wire = encodeFrame(1, 1, 0, Buffer.from("abc"));
    const [f] = new FrameDecoder().write(wire);
    assert.equal(f?.payload?.buffer, wire.buffer);
  });

  it("reports a truncated stream as mid-frame", () => {
    const wire = encodeFrame(1, 1, 0, Buffer.from("abcdef"));
    const d = new FrameDecoder();
    assert.deepEqual(d.write(wire.subarray(0, 5)), []);
    assert.equal(d.midFrame, true);
    assert.equal(d.state, ReadState.Header);
    assert.deepEqual(d.write(wire.subarray(5, 12)), []);
    assert.equal(d.state, ReadState.Payload);
    assert.equal(d.write(wire.subarray(12)).length, 1);
    assert.equal(d.midFrame, false);
  });

  it("discards an oversized payload without buffering and reports it after the last byte", () => {
    const max = 16;
    const d = new FrameDecoder(max);
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32BE(40, 0);
    header.writeUInt32BE(7, 4);
    header[8] = 1;
    const next = encodeFrame(9, 1, 0, Buffer.from("ok"));
    assert.deepEqual(d.write(header), []);
    assert.equal(d.state, ReadState.Discard);
    assert.deepEqual(d.write(Buffer.alloc(39)), []);
    const out = d.write(Buffer.concat([Buffer.alloc(1), next]));
    assert.equal(out.length, 2);
    assert.deepEqual(
      { id: out[0]?.streamId, len: out[0]?.length, payload: out[0]?.payload },
      { id: 7, len: 40, payload: undefined },
    );
    assert.equal(out[1]?.payload?.toString(), "ok");
  });

  it("accepts a payload of exactly the maximum and rejects one byte more", () => {
    const d = new FrameDecoder();
    const ok = encodeFrame(1, 1, 0, Buffer.alloc(MAX_MESSAGE_BYTES));
    assert.equal(d.write(ok)[0]?.payload?.length, MAX_MESSAGE_BYTES);
    const over = encodeFrame(3, 1, 0, Buffer.alloc(MAX_MESSAGE_BYTES + 1));
    const [f] = d.write(over);
    assert.equal(f?.payload, undefined);
    assert.equal(oversizeMessage(f!.length), "message length 4194305 exceed maximum message size of 4194304");
  });

  it("throws FrameError for a length of 16 MiB or more (reserved byte set: not ttrpc)", () => {
    const d = new FrameDecoder();
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32BE(0xffffff, 0); // largest length still skipped
    assert.deepEqual(d.write(header), []);
    assert.equal(d.state, ReadState.Discard);
    const e = new FrameDecoder();
    header.writeUInt32BE(0x1000000, 0);
    assert.throws(() => e.write(header), FrameError);
  });

  it("passes unknown message types through for the caller to ignore", () => {
    const [f] = new FrameDecoder().write(encodeFrame(5, 0x42, 0x80, Buffer.from("x")));
    assert.deepEqual({ type: f?.type, flags: f?.flags }, { type: 0x42, flags: 0x80 });
  });
});
