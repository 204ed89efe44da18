#!/usr/bin/env node
// The Task API `State` RPC on a live task, ours vs containerd-shim-runc-v2 (issue 11): containerd's own Go
// Task client (runtime/v2/task over containerd's ttrpc v1.1.1, test/interop/go/ttrpc-peer task-state-bench)
// dials the shim's socket (the bundle's `address`) as containerd does and calls State in a closed loop from
// 1 and 8 clients (a connection each), under a private containerd 1.6 at log level info and at debug (which
// passes `-debug` to the shims). Per cell the median-throughput run of --rounds runs of --seconds each.
// Runs as root. `benchState(options)` resolves with rows for scripts/bench.mjs.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { removeTasks, runTasks, sleepRootfs } from "./bench-pods.mjs";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const DIST = resolve(process.env.DIST ?? join(root, "dist"));
const progress = (msg) => process.stderr.write(`bench-state: ${msg}\n`);

export async function benchState({ seconds = 2, rounds = 3, clients = [1, 8] } = {}) {
  const imp = (p) => import(pathToFileURL(join(DIST, p)).href);
  const { PrivateContainerd } = await imp("test/integration/containerd-harness.js");
  const goPeer = await imp("test/interop/go-peer.js");
  const rows = [];
  for (const level of ["info", "debug"]) {
    const c = await PrivateContainerd.start({ prefix: "bench-state", logLevel: level });
    try {
      const shims = [
        { name: "runc-v2", runtime: "io.containerd.runc.v2", rootfs: await sleepRootfs(join(c.dir, "rf")) },
        { name: "ours", runtime: c.runtime, rootfs: c.rootfs },
      ];
      const sockets = new Map();
      for (const shim of shims) {
        await runTasks(c, shim, [`state-${shim.name}`]);
        const address = readFileSync(join(c.bundle(`state-${shim.name}`), "address"), "utf8").trim();
        sockets.set(shim.name, address.replace(/^unix:\/\//, ""));
      }
      for (const n of clients) {
        const runs = new Map(shims.map((s) => [s.name, []]));
        for (let round = 1; round <= rounds; round++) {
          progress(`level ${level}, ${n} client(s), round ${round}/${rounds}`);
          for (const shim of shims) {
            const args = [
              "task-state-bench",
              "--socket",
              sockets.get(shim.name),
              "--id",
              `state-${shim.name}`,
            ];
            args.push("--concurrency", String(n), "--duration", String(seconds), "--warmup", "0.5");
            const run = await goPeer.runGoPeer(args, { root });
            runs.get(shim.name).push(await run.result);
          }
        }
        const pick = (name) => {
          const sorted = runs.get(name).sort((a, b) => a.calls / a.seconds - b.calls / b.seconds);
          return sorted[Math.floor(sorted.length / 2)];
        };
        const go = pick("runc-v2");
        for (const shim of shims) {
          const r = pick(shim.name);
          const ours = shim.name === "ours";
          rows.push([
            level,
            n,
            shim.name,
            Math.round(r.calls / r.seconds).toLocaleString("en-US"),
            r.p50us.toFixed(0),
            r.p99us.toFixed(0),
            ours ? (r.calls / r.seconds / (go.calls / go.seconds)).toFixed(2) : "",
            ours ? (r.p99us / go.p99us).toFixed(2) : "",
          ]);
        }
      }
      await removeTasks(
        c,
        shims.map((s) => `state-${s.name}`),
      );
    } finally {
      await c.stop();
    }
  }
  return rows;
}
