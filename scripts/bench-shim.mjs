#!/usr/bin/env node
// Shim start latency and idle memory, ours vs containerd's Go runc shim, side by side (issue 6):
//   -v       spawn → exit of `<shim> -v` (the runtime's own start-up floor)
//   start    spawn of `<shim> ... start` → its exit with the address on stdout (what containerd waits for)
//   connect  spawn of `start` → the first answered RPC (Task.Connect over ttrpc to the printed address)
//   RSS      VmRSS of the serving process (Connect's shim_pid) after --idle-ms without traffic
// Median of --runs runs each; runs are interleaved across shims so load drift hits all alike. Each shim is
// started as containerd does: `-namespace -address -publish-binary -id start`, cwd = a temp bundle holding
// a minimal config.json and the `log` FIFO (held open read-write, as containerd does), TTRPC_ADDRESS = a
// socket served here (accepts, never answers: nothing blocks on events), empty stdin. Afterwards each
// shim gets Shutdown (then SIGTERM + `delete`, then SIGKILL, if it does not exit) and its socket is removed.
//
// Shims (--shims, default go,sea,node):
//   go      /usr/bin/containerd-shim-runc-v2 (Debian containerd; serves containerd.task.v2.Task too)
//   sea     build/containerd-shim-runhcs-v1 (built or refreshed first: build-exe.mjs, cached)
//   sea-cc, sea-nocc  the same with and without V8's code cache (built into build/bench-cc-on|off/)
//   node    node bin/containerd-shim-runhcs-v1 over the compiled tree (DIST, default dist/)
//
// Standalone: `node scripts/bench-shim.mjs [--runs N] [--idle-ms MS] [--shims go,sea,node]` (needs root:
// sockets go to /run/containerd/s like containerd's). From scripts/bench.mjs: `benchShim(options)` resolves
// with the table text.
import { execFile, spawn } from "node:child_process";
import { constants, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, symlinkSync } from "node:fs";
import { mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { createServer, Socket } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs, promisify } from "node:util";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const execFileP = promisify(execFile);
const GO_SHIM = "/usr/bin/containerd-shim-runc-v2";
const NAMESPACE = "bench";
const progress = (msg) => process.stderr.write(`bench-shim: ${msg}\n`);

const SHIMS = {
  go: {
    label: "containerd-shim-runc-v2 (Go)",
    prepare: async () => {
      if (!existsSync(GO_SHIM))
        throw new Error(`${GO_SHIM} is missing (Debian containerd; or --shims sea,node)`);
      return [GO_SHIM];
    },
  },
  sea: { label: "ours: SEA build/", prepare: () => prepareSea("build") },
  "sea-cc": { label: "ours: SEA, code cache", prepare: () => prepareSea("build/bench-cc-on", "on") },
  "sea-nocc": { label: "ours: SEA, no code cache", prepare: () => prepareSea("build/bench-cc-off", "off") },
  node: { label: "ours: node bin/", prepare: prepareNode },
};

export async function prepareSea(out, codeCache) {
  progress(`building the Linux executable into ${out} (cached)`);
  const args = ["--targets", "linux-x64", "--out", out, "--quiet"];
  if (codeCache) args.push("--code-cache", codeCache);
  await execFileP(process.execPath, [join(root, "scripts/build-exe.mjs"), ...args]);
  return [join(root, out, "containerd-shim-runhcs-v1")];
}

/** bin/ resolves ../dist from its real path: a copy next to a `dist` link runs the tree under test. */
async function prepareNode(ctx) {
  const dist = resolve(process.env.DIST ?? join(root, "dist"));
  try {
    readFileSync(join(dist, "src/shim/main.js"));
  } catch {
    throw new Error(`${dist}/src/shim/main.js is missing: build first (npx tsc, or scripts/bench)`);
  }
  const rt = join(ctx.dir, "rt");
  mkdirSync(join(rt, "bin"), { recursive: true });
  copyFileSync(join(root, "bin/containerd-shim-runhcs-v1"), join(rt, "bin/containerd-shim-runhcs-v1"));
  symlinkSync(dist, join(rt, "dist"));
  return [process.execPath, join(rt, "bin/containerd-shim-runhcs-v1")];
}

/** Runs argv to completion; resolves with { ms, code, out } (stdout + stderr, as containerd reads it). */
function runTimed(argv, opts) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { ...opts, stdio: ["pipe", "pipe", "pipe"] });
    const chunks = [];
    child.stdout.on("data", (c) => chunks.push(c));
    child.stderr.on("data", (c) => chunks.push(c));
    child.stdin.end();
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ ms: performance.now() - t0, t0, code, out: Buffer.concat(chunks) }),
    );
  });
}

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

function alive(pid) {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function waitGone(pid, ms) {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** One start → Connect → idle → Shutdown cycle of `shim` in a fresh bundle. */
async function once(ctx, name, cmd, i) {
  const dir = await mkdtemp(join(ctx.dir, `${name}-`));
  const bundle = join(dir, "bundle");
  mkdirSync(bundle);
  await writeFile(join(bundle, "config.json"), JSON.stringify({ ociVersion: "1.0.2", annotations: {} }));
  await execFileP("mkfifo", [join(bundle, "log")]);
  const log = new Socket({ fd: openSync(join(bundle, "log"), constants.O_RDWR | constants.O_NONBLOCK) });
  log.on("data", () => undefined).on("error", () => undefined);
  const id = `${name}-${process.pid}-${i}`;
  const flags = ["-namespace", NAMESPACE, "-address", join(dir, "containerd.sock")];
  flags.push("-publish-binary", "/usr/bin/containerd", "-id", id);
  const env = {
    ...process.env,
    TTRPC_ADDRESS: ctx.ttrpcAddress,
    CONTAINERD_SHIM_RUNHCS_CACHE_DIR: ctx.cache,
  };
  let shimPid;
  let client;
  let address = "";
  try {
    const v = await runTimed([...cmd, "-v"], { cwd: bundle, env });
    const started = await runTimed([...cmd, ...flags, "start"], { cwd: bundle, env });
    address = started.out.toString("utf8").trim();
    if (started.code !== 0 || !address.startsWith("unix://")) {
      throw new Error(`${name} start failed (status ${started.code}): ${address}`);
    }
    client = await ctx.Client.connect(address, { timeoutMs: 10_000 });
    const task = ctx.createClient(client, ctx.Task);
    const reply = await task.connect({ id }, { timeoutMs: 10_000 });
    const connectMs = performance.now() - started.t0;
    shimPid = reply.shimPid;
    await sleep(ctx.idleMs);
    const rss = rssKiB(shimPid);
    await task.shutdown({ id }, { timeoutMs: 5_000 }).catch(() => undefined); // it may hang up first
    return { v: v.ms, start: started.ms, connect: connectMs, rss };
  } finally {
    client?.close();
    if (shimPid && !(await waitGone(shimPid, 5_000))) {
      progress(`${name}: still running after Shutdown: SIGTERM + delete`);
      process.kill(shimPid, "SIGTERM");
      await runTimed([...cmd, ...flags, "-bundle", bundle, "delete"], { cwd: bundle, env });
      if (!(await waitGone(shimPid, 5_000))) process.kill(shimPid, "SIGKILL");
    }
    if (address.startsWith("unix://")) await unlink(address.slice("unix://".length)).catch(() => undefined);
    log.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Right-aligned columns (first left-aligned), two spaces apart. */
function table(header, rows) {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  const line = (r) =>
    r
      .map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Runs the comparison; resolves with the table (and a line on the conditions). */
export async function benchShim({ runs = 10, idleMs = 1_000, shims = ["go", "sea", "node"] } = {}) {
  for (const s of shims) if (!SHIMS[s]) throw new Error(`unknown shim ${s} (known: ${Object.keys(SHIMS)})`);
  const dist = resolve(process.env.DIST ?? join(root, "dist"));
  const { Client, createClient } = await import(pathToFileURL(join(dist, "src/ttrpc/index.js")).href);
  const { Task } = await import(pathToFileURL(join(dist, "src/gen/containerd/task/v2/shim_pb.js")).href);
  const dir = await mkdtemp(join(tmpdir(), "bench-shim-"));
  const ttrpcAddress = join(dir, "ttrpc.sock");
  const held = new Set();
  const events = createServer((s) => {
    held.add(s);
    s.on("close", () => held.delete(s)).on("error", () => undefined);
  });
  await new Promise((r) => events.listen(ttrpcAddress, r));
  const ctx = { dir, ttrpcAddress, cache: join(dir, "cache"), idleMs, Client, createClient, Task };
  try {
    const cmds = {};
    for (const s of shims) cmds[s] = await SHIMS[s].prepare(ctx);
    const results = Object.fromEntries(shims.map((s) => [s, []]));
    // Round 0 warms caches (page cache, koffi's addon extracted once) and is not counted.
    for (let i = 0; i <= runs; i++) {
      progress(`round ${i}/${runs}${i === 0 ? " (warm-up)" : ""}`);
      for (const s of shims) {
        const r = await once(ctx, s, cmds[s], i);
        if (i > 0) results[s].push(r);
      }
    }
    const base = shims.includes("go") ? "go" : shims[0];
    const med = (s, k) => median(results[s].map((r) => r[k]));
    const cell = (s, k, fmt) => [fmt(med(s, k)), `×${(med(s, k) / med(base, k)).toFixed(2)}`];
    const ms = (x) => x.toFixed(1);
    const mib = (x) => (x / 1024).toFixed(1);
    const rows = shims.map((s) => [
      SHIMS[s].label,
      ...cell(s, "v", ms),
      ...cell(s, "start", ms),
      ...cell(s, "connect", ms),
      ...cell(s, "rss", mib),
    ]);
    const head = ["shim", "-v ms", "", "start ms", "", "connect ms", "", "idle RSS MiB", ""];
    const cond = `median of ${runs} runs; ratios vs ${SHIMS[base].label}; node ${process.version}, ${cpus().length} cpus, load ${loadavg()[0].toFixed(2)}`;
    return `${table(head, rows)}\n${cond}`;
  } finally {
    for (const s of held) s.destroy();
    await new Promise((r) => events.close(r));
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "10" },
      "idle-ms": { type: "string", default: "1000" },
      shims: { type: "string", default: "go,sea,node" },
    },
  });
  const text = await benchShim({
    runs: Number(values.runs),
    idleMs: Number(values["idle-ms"]),
    shims: values.shims.split(",").filter(Boolean),
  });
  console.log(text);
}
