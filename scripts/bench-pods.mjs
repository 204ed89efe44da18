#!/usr/bin/env node
// Cost per container under a real containerd 1.6, ours vs containerd-shim-runc-v2, side by side (issue 11):
// for N tasks (--counts, default 1,10,50), ungrouped (one shim per task) and grouped (every task carries the
// same `io.kubernetes.cri.sandbox-id`, which both shims group by), `ctr run -d ... sleep 1000` N times, then:
//   shims         shim server processes serving those tasks
//   PSS, private  /proc/<pid>/smaps_rollup of those servers, summed, per task (MB = 10^6 bytes)
//   run first     `ctr run -d` of the first task (ms)   run later  median of the others (ms)
// Then `start` of a container joining a running group, timed alone (spawn → address printed), against a
// bare `node -e 0` (the goal: a join within one bare Node start) and runc-v2's join; ours both as node over
// the compiled tree (bin/) and as the single executable that ships (build/, built or refreshed first).
// Only shim servers are counted: our tasks' runhcs helpers are the simulator's stand-ins for runhcs.exe's
// own helpers, and runc-v2's containers are the containers.
//
// Runs as root (a private containerd under /tmp, runc for runc-v2's containers: a rootfs with coreutils'
// sleep and its libraries is made under the temp dir). `benchPods(options)` resolves with the table text.
import { execFile, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { prepareSea } from "./bench-shim.mjs";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const DIST = resolve(process.env.DIST ?? join(root, "dist"));
const execFileP = promisify(execFile);
const SANDBOX_ID = "io.kubernetes.cri.sandbox-id";
const RUNC_SHIM = "/usr/bin/containerd-shim-runc-v2";
const progress = (msg) => process.stderr.write(`bench-pods: ${msg}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : Number.NaN;
};

/** A rootfs runc can run `sleep` in: the binary, its loader and libraries, copied from the host. */
export async function sleepRootfs(dir) {
  const sleepBin = "/usr/bin/sleep";
  const { stdout } = await execFileP("ldd", [sleepBin]);
  const files = [sleepBin, ...[...stdout.matchAll(/(\/\S+)/g)].map((m) => m[1])];
  for (const f of files) {
    mkdirSync(join(dir, dirname(f)), { recursive: true });
    copyFileSync(f, join(dir, f));
  }
  return dir;
}

/** Shim servers of this containerd (by `-address`), pid → command line; transient start/delete excluded. */
function servers(c, binaryName) {
  const out = new Map();
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0");
      if (!argv.some((a) => a.endsWith(binaryName))) continue;
      if (!argv.join(" ").includes(`-address ${c.address}`)) continue;
      if (["start", "delete"].includes(argv.filter(Boolean).at(-1))) continue;
      out.set(pid, argv.join(" "));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Pss and Private_* of a process, KiB. */
function memKiB(pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
  return { pss: field("Pss"), priv: field("Private_Clean") + field("Private_Dirty") };
}

/** `ctr run -d` of each id on `shim` (its runtime and rootfs), in turn; the latency of each, ms. */
export async function runTasks(c, shim, ids, group) {
  const ms = [];
  for (const id of ids) {
    const args = ["run", "-d", "--runtime", shim.runtime];
    if (group) args.push("--annotation", `${SANDBOX_ID}=${group}`);
    // --rootfs takes the first argument as the rootfs; no image: no PATH in the spec
    args.push("--rootfs", shim.rootfs, id, "/usr/bin/sleep", "1000");
    const t0 = performance.now();
    const r = await c.ctr(args);
    ms.push(performance.now() - t0);
    if (r.code !== 0) throw new Error(`ctr run -d ${id} (${shim.name}): ${r.stderr}`);
  }
  return ms;
}

/** Kills, deletes and removes the containers `ids`, six at a time. */
export async function removeTasks(c, ids) {
  const queue = [...ids];
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        await c.ctr(["task", "kill", "-s", "SIGKILL", id]);
        for (let i = 0; i < 100 && (await c.ctr(["task", "delete", id])).code !== 0; i++) await sleep(100);
        await c.ctr(["container", "rm", id]);
      }
    }),
  );
}

/** spawn → exit of argv, ms (stdin empty). */
function timed(argv, opts = {}) {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { ...opts, stdio: ["pipe", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stdin.end();
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ ms: performance.now() - t0, code, out: out.trim() }));
  });
}

/** `start` of `runs` new containers joining the group `group` whose server runs (a bundle each, no Create). */
async function joinStarts(c, shim, group, runs) {
  const ms = [];
  const slug = shim.name.replace(/[^A-Za-z0-9]+/g, "-").replace(/-$/, "");
  for (let i = 0; i < runs; i++) {
    const bundle = join(c.dir, "join", `${slug}-${i}`);
    mkdirSync(bundle, { recursive: true });
    writeFileSync(join(bundle, "config.json"), JSON.stringify({ annotations: { [SANDBOX_ID]: group } }));
    const flags = ["-namespace", "default", "-address", c.address, "-publish-binary", "/usr/bin/containerd"];
    const r = await timed([...shim.command, ...flags, "-id", `join-${slug}-${i}`, "start"], {
      cwd: bundle,
      env: { ...c.env, TTRPC_ADDRESS: c.ttrpcAddress },
    });
    if (r.code !== 0 || !r.out) throw new Error(`${shim.name} start (join) failed: ${r.code} ${r.out}`);
    ms.push(r.ms);
  }
  return median(ms);
}

export async function benchPods({ counts = [1, 10, 50], joins = 10 } = {}) {
  const { PrivateContainerd } = await import(
    pathToFileURL(join(DIST, "test/integration/containerd-harness.js")).href
  );
  const c = await PrivateContainerd.start({ prefix: "bench-pods", logLevel: "info" });
  const shims = [
    {
      name: "runc-v2",
      binary: "containerd-shim-runc-v2",
      runtime: "io.containerd.runc.v2",
      command: [RUNC_SHIM],
    },
    {
      name: "ours",
      binary: "containerd-shim-runhcs-v1",
      runtime: c.runtime,
      command: [process.execPath, c.runtime],
    },
  ];
  shims[0].rootfs = await sleepRootfs(join(c.dir, "runc-rootfs"));
  shims[1].rootfs = c.rootfs;
  // Who runs the joining starts: runc-v2's own; ours as node over the tree and as the single executable
  // that ships (scripts/build-exe.mjs), joining the same server.
  shims[0].joiners = [shims[0]];
  shims[1].joiners = [
    { name: "ours: node bin/", command: shims[1].command },
    { name: "ours: SEA build/", command: await prepareSea("build") },
  ];
  const rows = [];
  const joinRows = [];
  try {
    for (const n of counts) {
      for (const grouped of [false, true]) {
        for (const shim of shims) {
          const tag = `${shim.name}-${grouped ? "g" : "u"}${n}`;
          const ids = Array.from({ length: n }, (_, i) => `${tag}-${i}`);
          const group = grouped ? `pod-${tag}` : undefined;
          progress(`${shim.name}, ${n} task(s), ${grouped ? "grouped" : "one shim each"}`);
          const ms = await runTasks(c, shim, ids, group);
          await sleep(1000); // transient start/delete processes gone, servers idle
          const pids = [...servers(c, shim.binary).keys()];
          const mem = pids.map(memKiB).reduce((a, m) => ({ pss: a.pss + m.pss, priv: a.priv + m.priv }), {
            pss: 0,
            priv: 0,
          });
          if (grouped && n === Math.max(...counts)) {
            for (const joiner of shim.joiners) {
              joinRows.push([joiner.name, (await joinStarts(c, joiner, group, joins)).toFixed(0)]);
            }
          }
          rows.push([
            shim.name,
            grouped ? "grouped" : "one each",
            n,
            pids.length,
            ((mem.pss * 1024) / n / 1e6).toFixed(1),
            ((mem.priv * 1024) / n / 1e6).toFixed(1),
            ms[0].toFixed(0),
            n > 1 ? median(ms.slice(1)).toFixed(0) : "-",
          ]);
          await removeTasks(c, ids);
        }
      }
    }
    const bare = [];
    for (let i = 0; i < joins; i++) bare.push((await timed([process.execPath, "-e", "0"])).ms);
    joinRows.push(["bare `node -e 0`", median(bare).toFixed(0)]);
    return { rows, joinRows };
  } finally {
    await c.stop();
  }
}
