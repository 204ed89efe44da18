#!/usr/bin/env node
// Benchmarks, one section at a time: `node scripts/bench.mjs [section...] [options]` (default: every section).
// Runs against the compiled tree (`DIST`, default dist/; `scripts/bench` builds it first) and prints, per
// section, an aligned table plus the machine it ran on, so numbers from different days can be compared.
//
// Sections:
//   ttrpc   unary round-trip latency (p50/p99) and throughput, Go client/server vs ours (issue 3)
//   shim    shim start latency and idle RSS vs containerd-shim-runc-v2 (scripts/bench-shim.mjs)
//   pods    memory per task and `ctr run -d` latency, one shim each and grouped (scripts/bench-pods.mjs;
//           --counts 1,10,50, --runs N joining starts timed)
//   state   Task API State from containerd's Go Task client, 1 and 8 clients, log level info and debug
//           (scripts/bench-state.mjs; --seconds, --rounds)
//   overhead  per lifecycle step, RPC latency minus its runhcs calls (scripts/bench-overhead.mjs; --cycles)
// A new section is one entry in SECTIONS: { title, run(ctx) → string (the table) }.
//
// Options: --seconds S (measured per run, default 1)  --warmup S (default 0.2)  --rounds N (default 3: every
//          cell is run N times, rounds interleaved across client/server pairs, and the median-throughput
//          run is reported, so load from other processes drifting over time hits all pairs alike)
//          --sizes 64,1024  --concurrency 1,16,64  --pairs go-go,go-ours,ours-ours,ours-go
//          --prof DIR  (run our ttrpc server under `node --cpu-prof`, profiles written to DIR)
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs, promisify } from "node:util";

const root = resolve(new URL("..", import.meta.url).pathname);
const DIST = resolve(process.env.DIST ?? join(root, "dist"));
const execFileP = promisify(execFile);

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: "string", default: "1" },
    warmup: { type: "string", default: "0.2" },
    rounds: { type: "string", default: "3" },
    sizes: { type: "string", default: "64,1024" },
    concurrency: { type: "string", default: "1,16,64" },
    pairs: { type: "string", default: "go-go,go-ours,ours-ours,ours-go" },
    prof: { type: "string" },
    runs: { type: "string", default: "10" },
    counts: { type: "string", default: "1,10,50" },
    cycles: { type: "string", default: "100" },
    shims: { type: "string", default: "go,sea,node" },
  },
});

const list = (s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
const progress = (msg) => process.stderr.write(`bench: ${msg}\n`);

/** Right-aligned (numbers) or left-aligned (text) columns, two spaces apart. */
function table(header, rows, leftColumns = new Set()) {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  const line = (r) =>
    r
      .map((c, i) => (leftColumns.has(i) ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

async function machine() {
  let go = "go: not found";
  try {
    go = (await execFileP("go", ["version"])).stdout.trim();
  } catch {}
  const cpu = cpus();
  return [
    `date: ${new Date().toISOString()}`,
    `node: ${process.version}  ${go}`,
    `cpu: ${cpu[0]?.model ?? "unknown"} × ${cpu.length}  load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  ].join("\n");
}

/** Spawns a process and resolves with its stdout once it exits 0. */
function run(cmd, args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (s) => {
      out += s;
    });
    child.stderr.setEncoding("utf8").on("data", (s) => {
      err += s;
    });
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0
        ? resolvePromise(out)
        : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${err}`)),
    );
  });
}

/** Starts a server process that prints "ready"; resolves with a stop() that waits for its exit. */
function startServer(cmd, args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
    let err = "";
    let out = "";
    child.stderr.setEncoding("utf8").on("data", (s) => {
      err += s;
    });
    const exited = new Promise((r) => child.once("exit", r));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    };
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`${cmd} exited ${code} before ready:\n${err}`)));
    child.stdout.setEncoding("utf8").on("data", (s) => {
      out += s;
      if (out.includes("ready\n")) resolvePromise({ stop, stderr: () => err });
    });
  });
}

/** ttrpc: Go client/server against ours, same Echo service, same payloads, same closed loop. */
async function benchTtrpc() {
  const goPeer = await import(pathToFileURL(join(DIST, "test/interop/go-peer.js")).href);
  const goBin = await goPeer.buildGoPeer(root);
  const benchClient = join(DIST, "test/interop/bench-client.js");
  const benchServer = join(DIST, "test/interop/bench-server.js");
  const dir = await mkdtemp(join(tmpdir(), "ttrpc-bench-"));
  const sockets = { go: join(dir, "go.sock"), ours: join(dir, "ours.sock") };
  const prof = opts.prof ? ["--cpu-prof", "--cpu-prof-dir", resolve(opts.prof)] : [];
  const servers = [];
  try {
    servers.push(await startServer(goBin, ["server", "--socket", sockets.go]));
    servers.push(await startServer(process.execPath, [...prof, benchServer, "--socket", sockets.ours]));

    // A shim serves for hours: warm our server's JIT (and Go's page cache) before anything is measured.
    progress("warming up both servers");
    const warm = ["--concurrency", "16", "--duration", "1", "--warmup", "0", "--size", "1024"];
    await run(process.execPath, [benchClient, "--socket", sockets.ours, ...warm]);
    await run(goBin, ["bench", "--socket", sockets.go, ...warm]);

    const pairs = list(opts.pairs);
    const rounds = Number(opts.rounds);
    const label = { go: "Go", ours: "ours" };
    const rate = (r) => r.calls / r.seconds;
    const rows = [];
    const results = new Map();
    for (const size of list(opts.sizes).map(Number)) {
      for (const conc of list(opts.concurrency).map(Number)) {
        const runs = new Map(pairs.map((p) => [p, []]));
        for (let round = 1; round <= rounds; round++) {
          progress(`${size} B, concurrency ${conc}, round ${round}/${rounds}`);
          for (const pair of pairs) {
            const [c, s] = pair.split("-");
            const args = ["--socket", sockets[s], "--concurrency", String(conc)];
            args.push("--duration", opts.seconds, "--warmup", opts.warmup, "--size", String(size));
            const out =
              c === "go"
                ? await run(goBin, ["bench", ...args])
                : await run(process.execPath, [benchClient, ...args]);
            runs.get(pair).push(JSON.parse(out));
          }
        }
        for (const pair of pairs) {
          const sorted = runs.get(pair).sort((a, b) => rate(a) - rate(b));
          results.set(`${size}/${conc}/${pair}`, sorted[Math.floor(sorted.length / 2)]);
        }
        const base = results.get(`${size}/${conc}/go-go`);
        for (const pair of pairs) {
          const [c, s] = pair.split("-");
          const r = results.get(`${size}/${conc}/${pair}`);
          const ratio = (x) => (base && pair !== "go-go" ? x.toFixed(2) : "");
          rows.push([
            `${size} B`,
            conc,
            `${label[c]} → ${label[s]}`,
            Math.round(rate(r)).toLocaleString("en-US"),
            r.p50us.toFixed(0),
            r.p99us.toFixed(0),
            ratio(base ? rate(r) / rate(base) : 0),
            ratio(base ? r.p99us / base.p99us : 0),
            runs.get(pair).reduce((n, x) => n + x.errors, 0),
          ]);
        }
      }
    }

    const header = [
      "payload",
      "conc",
      "client → server",
      "calls/s",
      "p50 µs",
      "p99 µs",
      "calls/s ÷ Go→Go",
      "p99 ÷ Go→Go",
      "errors",
    ];
    const verdicts = [];
    for (const size of list(opts.sizes)) {
      for (const conc of list(opts.concurrency)) {
        const go = results.get(`${size}/${conc}/go-go`);
        const ours = results.get(`${size}/${conc}/go-ours`);
        if (!go || !ours) continue;
        const thr = ours.calls / ours.seconds / (go.calls / go.seconds);
        const p99 = ours.p99us / go.p99us;
        const ok = thr >= 1.0 && p99 <= 1.5;
        verdicts.push(
          `  ${size} B × ${conc}: throughput ${thr.toFixed(2)}×, p99 ${p99.toFixed(2)}× ${ok ? "met" : "MISSED"}`,
        );
      }
    }
    return [
      "unary Echo round trips carrying containerd's namespace header, closed loop, one connection per client;",
      `per row the median-throughput run of ${opts.rounds}`,
      `(${opts.seconds} s each after ${opts.warmup} s warmup, rounds interleaved across pairs); every client and server`,
      "is its own process; ratios compare with Go client → Go server for the same payload and concurrency",
      "",
      table(header, rows, new Set([2])),
      "",
      "target: Go client → our server vs Go client → Go server: throughput ≥ 1.0×, p99 ≤ 1.5×",
      ...verdicts,
    ].join("\n");
  } finally {
    for (const s of servers) await s.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchPods() {
  const { benchPods: run } = await import("./bench-pods.mjs");
  const { rows, joinRows } = await run({ counts: list(opts.counts).map(Number), joins: Number(opts.runs) });
  const header = [
    "shim",
    "tasks",
    "N",
    "shims",
    "PSS/task MB",
    "private/task MB",
    "run first ms",
    "run later ms",
  ];
  return [
    "`ctr run -d ... sleep 1000` N times under a private containerd 1.6 (log level info); grouped: every task",
    "carries the same io.kubernetes.cri.sandbox-id. Memory: the shim servers' smaps_rollup, summed, per task",
    "",
    table(header, rows, new Set([0, 1])),
    "",
    `\`start\` of a container joining a running group (spawn → address printed), median of ${opts.runs}:`,
    "",
    table(["", "ms"], joinRows, new Set([0])),
  ].join("\n");
}

async function benchState() {
  const { benchState: run } = await import("./bench-state.mjs");
  const rows = await run({ seconds: Number(opts.seconds), rounds: Number(opts.rounds) });
  const header = [
    "level",
    "clients",
    "shim",
    "calls/s",
    "p50 µs",
    "p99 µs",
    "calls/s ÷ runc-v2",
    "p99 ÷ runc-v2",
  ];
  return [
    "Task API State from containerd's Go Task client on a live task, closed loop, a connection per client,",
    `containerd at log level info and debug (debug passes -debug to shims); median-throughput run of ${opts.rounds}`,
    "",
    table(header, rows, new Set([0, 2])),
    "",
    "goal: ours ≥ 1.0× runc-v2's calls/s and ≤ 1.5× its p99, at both levels",
  ].join("\n");
}

async function benchOverhead() {
  const { benchOverhead: run } = await import("./bench-overhead.mjs");
  const rows = await run({ cycles: Number(opts.cycles) });
  return [
    `the shim's own time per lifecycle step: RPC latency minus the runhcs calls it made, ${opts.cycles} cycles`,
    "(our Task client → one shim server started with -debug, the runhcs simulator as runhcs, no stdio)",
    "",
    table(["step", "runhcs calls", "RPC p50 ms", "own p50 ms", "own p99 ms"], rows, new Set([0, 1])),
    "",
    "goal: own p50 under 5 ms for each step",
  ].join("\n");
}

/** Every section: name → { title, run }. */
const SECTIONS = {
  ttrpc: { title: "ttrpc: our implementation vs containerd's Go ttrpc v1.1.1", run: benchTtrpc },
  pods: {
    title: "cost per container, one shim each and grouped: ours vs containerd-shim-runc-v2",
    run: benchPods,
  },
  overhead: { title: "the shim's own time per lifecycle step", run: benchOverhead },
  state: { title: "Task API State RPC: ours vs containerd-shim-runc-v2", run: benchState },
  shim: {
    title: "shim start latency and idle RSS: ours (single executable, node bin/) vs containerd-shim-runc-v2",
    run: async () =>
      (await import("./bench-shim.mjs")).benchShim({ runs: Number(opts.runs), shims: list(opts.shims) }),
  },
};

const selected = positionals.length > 0 ? positionals : Object.keys(SECTIONS);
for (const name of selected) {
  if (!SECTIONS[name]) {
    console.error(`bench: unknown section "${name}" (known: ${Object.keys(SECTIONS).join(", ")})`);
    process.exit(2);
  }
}
console.log(await machine());
for (const name of selected) {
  const started = Date.now();
  const text = await SECTIONS[name].run();
  console.log(
    `\n## ${SECTIONS[name].title}\n\n${text}\n\n(${name}: ${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
}
