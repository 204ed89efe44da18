#!/usr/bin/env node
// The time the shim itself adds per lifecycle step (issue 11): each RPC's latency minus the runhcs calls
// it made, over --cycles cycles of Create, Start, Exec+Start, Kill, Delete, p50 and p99 of each.
// Our Task API client drives one shim server directly (started with `start -debug`, as containerd would),
// with the runhcs simulator as runhcs; each task is a new container of the server's group (a bundle beside
// the server's). The runhcs calls come from the shim's own debug lines (`runhcs call`: how long the RPC
// waited on runhcs, spawn to exit; an attached exec until its pid file came), attributed to the RPC whose
// time window holds them. Stdio is not used (no FIFOs), so the relay set-up is not in the figures.
// `benchOverhead(options)` resolves with the rows for scripts/bench.mjs.
import { execFile } from "node:child_process";
import { constants, copyFileSync, mkdirSync, openSync, symlinkSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const DIST = resolve(process.env.DIST ?? join(root, "dist"));
const execFileP = promisify(execFile);
const NS = "bench";
const STEPS = ["Create", "Start", "Exec+Start", "Kill", "Delete"];
const progress = (msg) => process.stderr.write(`bench-overhead: ${msg}\n`);

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))];
}

function bundle(dir, id, args) {
  const b = join(dir, "state", NS, id);
  mkdirSync(join(b, "rootfs"), { recursive: true });
  writeFileSync(
    join(b, "config.json"),
    JSON.stringify({ ociVersion: "1.0.2", process: { args, cwd: "/" }, root: { path: "rootfs" } }),
  );
  return b;
}

export async function benchOverhead({ cycles = 100 } = {}) {
  const imp = (p) => import(pathToFileURL(join(DIST, p)).href);
  const { Client, createClient } = await imp("src/ttrpc/index.js");
  const { Task } = await imp("src/gen/containerd/task/v2/shim_pb.js");
  const { create } = await import("@bufbuild/protobuf");
  const { AnySchema } = await import("@bufbuild/protobuf/wkt");
  const dir = await mkdtemp(join(tmpdir(), "bench-overhead-"));
  // containerd's side: the events socket accepts and never answers (nothing blocks on events).
  const events = createServer((s) => s.on("data", () => undefined).on("error", () => undefined));
  await new Promise((r) => events.listen(join(dir, "ttrpc.sock"), r));
  const shimBin = join(dir, "shim", "bin", "containerd-shim-runhcs-v1");
  mkdirSync(join(dir, "shim", "bin"), { recursive: true });
  copyFileSync(join(root, "bin/containerd-shim-runhcs-v1"), shimBin);
  symlinkSync(DIST, join(dir, "shim", "dist"));
  const simBin = join(root, "test/sim/bin");
  mkdirSync(join(dir, "sim-state"));
  const env = {
    ...process.env,
    PATH: `${simBin}:${process.env.PATH}`,
    RUNHCS_BINARY: join(simBin, "runhcs"),
    RUNHCS_SIM_DIST: DIST,
    RUNHCS_SIM_STATE: join(dir, "sim-state"),
    TTRPC_ADDRESS: join(dir, "ttrpc.sock"),
  };
  const first = bundle(dir, "ovh-0", ["sleep", "1000"]);
  await execFileP("mkfifo", [join(first, "log")]);
  const lines = [];
  const log = new Socket({ fd: openSync(join(first, "log"), constants.O_RDWR | constants.O_NONBLOCK) });
  let partial = "";
  log.setEncoding("utf8").on("data", (d) => {
    const parts = (partial + d).split("\n");
    partial = parts.pop() ?? "";
    for (const l of parts) if (l.includes('"runhcs call"')) lines.push(JSON.parse(l));
  });
  const flags = ["-namespace", NS, "-address", join(dir, "containerd.sock"), "-publish-binary", "/bin/true"];
  const argv = [shimBin, ...flags, "-id", "ovh-0", "-debug", "start"];
  const starting = execFileP(process.execPath, argv, { cwd: first, env });
  starting.child.stdin.end(); // no runtime options, as containerd when there are none
  const { stdout } = await starting;
  const client = await Client.connect(stdout.trim(), { timeoutMs: 10_000 });
  const api = createClient(client, Task);
  const processSpec = create(AnySchema, {
    typeUrl: "types.containerd.io/opencontainers/runtime-spec/1/Process",
    value: new TextEncoder().encode(JSON.stringify({ args: ["true"], cwd: "/" })),
  });
  const windows = []; // [step, start ms epoch, end ms epoch, latency ms]
  const timed = async (step, fn) => {
    const [w0, t0] = [Date.now(), performance.now()];
    const r = await fn();
    windows.push([step, w0, Date.now(), performance.now() - t0]);
    return r;
  };
  try {
    for (let i = 0; i < cycles; i++) {
      if (i % 10 === 0) progress(`cycle ${i + 1}/${cycles}`);
      const id = `ovh-${i}`;
      const b = i === 0 ? first : bundle(dir, id, ["sleep", "1000"]);
      await timed("Create", () => api.create({ id, bundle: b }));
      await timed("Start", () => api.start({ id }));
      await timed("Exec+Start", async () => {
        await api.exec({ id, execId: "e", spec: processSpec });
        await api.start({ id, execId: "e" });
      });
      await api.wait({ id, execId: "e" });
      await api.delete({ id, execId: "e" });
      await timed("Kill", () => api.kill({ id, signal: 9 }));
      await api.wait({ id });
      await timed("Delete", () => api.delete({ id }));
    }
    await sleep(500); // the last debug lines
  } finally {
    await api.shutdown({ id: "ovh-0", now: true }).catch(() => undefined);
    client.close();
    log.destroy();
    events.close();
    await sleep(200);
    await rm(dir, { recursive: true, force: true });
  }
  const byStep = new Map(STEPS.map((s) => [s, { own: [], total: [], runhcs: [] }]));
  for (const [step, w0, w1, ms] of windows) {
    const inside = lines.filter((l) => l.time >= w0 && l.time <= w1 + 1);
    const runhcsMs = inside.reduce((a, l) => a + l.ms, 0);
    const s = byStep.get(step);
    s.own.push(Math.max(0, ms - runhcsMs));
    s.total.push(ms);
    s.runhcs.push(inside.map((l) => l.runhcs).join("+"));
  }
  return STEPS.map((step) => {
    const s = byStep.get(step);
    const own = [...s.own].sort((a, b) => a - b);
    const total = [...s.total].sort((a, b) => a - b);
    const calls = [...new Set(s.runhcs)].join(" | ");
    return [step, calls, pct(total, 0.5).toFixed(1), pct(own, 0.5).toFixed(1), pct(own, 0.99).toFixed(1)];
  });
}
