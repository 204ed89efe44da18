/**
 * The TypeScript client of `scripts/bench.mjs ttrpc`: closed-loop unary Echo calls on one connection,
 * each with containerd's namespace header, measured exactly like the Go peer's `bench` mode (test/interop/go/ttrpc-peer/bench.go), whose JSON it
 * prints: {calls, seconds, p50us, p99us, errors}.
 *
 *   node bench-client.js --socket PATH --concurrency N --duration S --size B [--warmup S]
 */
import { parseArgs } from "node:util";
import { Client, Metadata } from "../../src/ttrpc/index.js";
import { TEST_SERVICE } from "./test-service.js";

const { values } = parseArgs({
  options: {
    socket: { type: "string" },
    concurrency: { type: "string", default: "1" },
    duration: { type: "string", default: "3" },
    warmup: { type: "string", default: "0.5" },
    size: { type: "string", default: "64" },
  },
});
if (!values.socket) {
  console.error("usage: bench-client --socket PATH --concurrency N --duration S --size B [--warmup S]");
  process.exit(2);
}
const concurrency = Number(values.concurrency);
const size = Number(values.size);
const payload = new Uint8Array(size).fill(0xab);
// Like containerd's Task calls: every request carries the namespace header.
const metadata = new Metadata([["containerd-namespace-ttrpc", "default"]]);
const client = await Client.connect(`unix://${values.socket}`);

/** Runs the workers until `untilNs`; returns the latencies in µs when recording. */
async function loop(untilNs: bigint, record: boolean): Promise<{ lat: number[]; errors: number }> {
  const lat: number[] = [];
  let errors = 0;
  const worker = async () => {
    while (process.hrtime.bigint() < untilNs) {
      const start = process.hrtime.bigint();
      try {
        const reply = await client.call(TEST_SERVICE, "Echo", payload, { metadata });
        if (reply.length !== size) {
          errors++;
          continue;
        }
      } catch {
        errors++;
        continue;
      }
      if (record) lat.push(Number(process.hrtime.bigint() - start) / 1e3);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { lat, errors };
}

function percentile(sorted: Float64Array, p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(sorted.length * p) - 1));
  return sorted[i] ?? Number.NaN;
}

const ns = (s: number) => BigInt(Math.round(s * 1e9));
await loop(process.hrtime.bigint() + ns(Number(values.warmup)), false);
const start = process.hrtime.bigint();
const { lat, errors } = await loop(start + ns(Number(values.duration)), true);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
client.close();
if (lat.length === 0) {
  console.error(`bench-client: no successful calls (${errors} errors)`);
  process.exit(1);
}
const sorted = Float64Array.from(lat).sort();
console.log(
  JSON.stringify({
    calls: lat.length,
    seconds,
    p50us: percentile(sorted, 0.5),
    p99us: percentile(sorted, 0.99),
    errors,
  }),
);
