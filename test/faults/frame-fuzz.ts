/**
 * A ttrpc fuzzer for a live server socket. Two kinds of abuse:
 * - mutated requests: well-framed Request frames (valid header, fresh odd stream ids) whose envelope and
 *   payload bytes are randomly changed or cut. Each must be answered by exactly one Response frame and
 *   the connection kept, so every frame is counted as processed;
 * - garbage headers: connections that send a random frame header and a few bytes, then go away after a
 *   moment (the server may answer, close, or wait for bytes that never come).
 * The base request is `State` for a task id no server has, so a mutation that happens to decode into a
 * real method (`Stats`...) still touches nothing.
 */
import { connect, type Socket } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { StateRequestSchema } from "../../src/gen/containerd/task/v2/shim_pb.js";
import { encodeRequestFrame } from "../../src/ttrpc/envelope.js";
import { FRAME_HEADER_BYTES, MessageType } from "../../src/ttrpc/frame.js";

const SERVICE = "containerd.task.v2.Task";
const NOBODY = "fuzz-nobody-0123456789";

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutatedFrame(streamId: number, rnd: () => number): Buffer {
  const payload = toBinary(StateRequestSchema, create(StateRequestSchema, { id: NOBODY }));
  let frame = encodeRequestFrame(streamId, SERVICE, "State", payload, 0n, []);
  const body = frame.length - FRAME_HEADER_BYTES;
  if (rnd() < 0.1) {
    frame = frame.subarray(0, FRAME_HEADER_BYTES + Math.floor(rnd() * body));
    frame.writeUInt32BE(frame.length - FRAME_HEADER_BYTES, 0);
  }
  const n = frame.length - FRAME_HEADER_BYTES;
  for (let k = 1 + Math.floor(rnd() * 3); k > 0 && n > 0; k--) {
    frame[FRAME_HEADER_BYTES + Math.floor(rnd() * n)] = Math.floor(rnd() * 256);
  }
  return frame;
}

/** Counts Response frames in a byte stream (frames may be split across reads). */
class ResponseCounter {
  count = 0;
  #buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    while (this.#buf.length >= FRAME_HEADER_BYTES) {
      const len = this.#buf.readUInt32BE(0);
      if (this.#buf.length < FRAME_HEADER_BYTES + len) return;
      if (this.#buf[8] === MessageType.Response) this.count++;
      this.#buf = this.#buf.subarray(FRAME_HEADER_BYTES + len);
    }
  }
}

function opened(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

/** One connection's worth of mutated frames; resolves with how many were answered. */
async function mutatedConnection(path: string, frames: number, rnd: () => number): Promise<number> {
  const s = await opened(path);
  const counter = new ResponseCounter();
  const batch = Buffer.concat(Array.from({ length: frames }, (_, i) => mutatedFrame(2 * i + 1, rnd)));
  return new Promise<number>((resolve) => {
    const timer = setTimeout(() => s.destroy(), 30_000);
    const finish = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(counter.count);
    };
    s.on("data", (chunk: Buffer) => {
      counter.push(chunk);
      if (counter.count >= frames) finish();
    });
    s.on("close", finish);
    s.on("error", () => {});
    s.write(batch);
  });
}

export interface FuzzReport {
  /** Mutated request frames sent. */
  frames: number;
  /** Of those, answered with a Response frame. */
  answered: number;
  connections: number;
  garbageConnections: number;
}

/** Sends `frames` mutated requests (`perConnection` a connection, `parallel` connections at once) and garbage headers. */
export async function fuzzServer(
  path: string,
  opts: { frames: number; perConnection: number; parallel: number; garbageConnections: number; seed: number },
): Promise<FuzzReport> {
  const rnd = prng(opts.seed);
  const report: FuzzReport = { frames: 0, answered: 0, connections: 0, garbageConnections: 0 };
  let next = 0;
  const worker = async () => {
    while (next < opts.frames) {
      const n = Math.min(opts.perConnection, opts.frames - next);
      next += n;
      report.frames += n;
      report.connections++;
      const answered = await mutatedConnection(path, n, rnd); // not `+= await`: workers interleave
      report.answered += answered;
    }
  };
  await Promise.all(Array.from({ length: opts.parallel }, worker));
  let garbage = 0;
  const garbageWorker = async () => {
    while (garbage < opts.garbageConnections) {
      garbage++;
      const s = await opened(path);
      s.on("error", () => {});
      s.write(Buffer.from(Array.from({ length: FRAME_HEADER_BYTES + 16 }, () => Math.floor(rnd() * 256))));
      await new Promise((r) => setTimeout(r, 50));
      s.destroy();
      report.garbageConnections++;
    }
  };
  await Promise.all(Array.from({ length: opts.parallel }, garbageWorker));
  return report;
}
