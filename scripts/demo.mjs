#!/usr/bin/env node
// Demo: a private containerd 1.6 runs containers through our shim (bin/containerd-shim-runhcs-v1) and the
// runhcs simulator (test/sim), driven with ctr: echo + exit code, a failing exit code, an exec in a running
// container, the task list, kill and delete, and the events containerd received. Everything it starts is
// stopped and every temp file removed at the end, also on failure or Ctrl-C.
//
// Needs root (containerd), containerd + ctr, and a build (`bash scripts/demo` does setup + build + this).
// DIST=<dir> selects another compiled tree than dist/.
import { execFile, spawn } from "node:child_process";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(fileURLToPath(new URL("..", import.meta.url)));
const DIST = resolve(process.env.DIST ?? join(REPO, "dist"));
const MARK = "SHIM_RUNHCS_DEMO_MARK";
const color = process.stdout.isTTY;
const bold = (s) => (color ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (color ? `\x1b[2m${s}\x1b[0m` : s);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fail(message) {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(1);
}

if (process.platform !== "linux") fail("runs on Linux (the runhcs simulator stands in for Windows)");
if (process.getuid?.() !== 0)
  fail("containerd needs root: run `sudo node scripts/demo.mjs` (or `bash scripts/demo`)");
for (const bin of ["containerd", "ctr"]) {
  const found = (process.env.PATH ?? "").split(":").some((d) => d && existsSync(join(d, bin)));
  if (!found) fail(`${bin} is not installed: run \`bash scripts/setup.sh\``);
}
for (const f of ["src/shim/main.js", "test/sim/main.js"]) {
  if (!existsSync(join(DIST, f))) fail(`${join(DIST, f)} is missing: build first (npx tsc -p tsconfig.json)`);
}

// ---- a private containerd ------------------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), "shim-demo-"));
const address = join(dir, "containerd.sock");
const rootfs = join(dir, "rootfs");
const runtime = join(dir, "shim", "bin", "containerd-shim-runhcs-v1");
mkdirSync(rootfs);
mkdirSync(join(dir, "sim-state"));
mkdirSync(join(dir, "shim", "bin"), { recursive: true });
copyFileSync(join(REPO, "bin", "containerd-shim-runhcs-v1"), runtime);
symlinkSync(DIST, join(dir, "shim", "dist"));
writeFileSync(
  join(dir, "config.toml"),
  [
    "version = 2",
    `root = ${JSON.stringify(join(dir, "root"))}`,
    `state = ${JSON.stringify(join(dir, "state"))}`,
    `disabled_plugins = ${JSON.stringify([
      "io.containerd.grpc.v1.cri",
      "io.containerd.snapshotter.v1.btrfs",
      "io.containerd.snapshotter.v1.zfs",
      "io.containerd.snapshotter.v1.devmapper",
      "io.containerd.snapshotter.v1.aufs",
      "io.containerd.internal.v1.tracing",
      "io.containerd.tracing.processor.v1.otlp",
    ])}`,
    "[grpc]",
    `  address = ${JSON.stringify(address)}`,
    "[ttrpc]",
    `  address = ${JSON.stringify(`${address}.ttrpc`)}`,
    "",
  ].join("\n"),
);
const simBin = join(REPO, "test/sim/bin");
const env = {
  ...process.env,
  PATH: `${simBin}:${process.env.PATH}`,
  RUNHCS_BINARY: join(simBin, "runhcs"),
  RUNHCS_SIM_DIST: DIST,
  RUNHCS_SIM_STATE: join(dir, "sim-state"),
  [MARK]: dir,
};

let containerd;
let events;
let cleaning = false;

async function cleanup() {
  if (cleaning) return;
  cleaning = true;
  events?.kill("SIGTERM");
  if (containerd && containerd.exitCode === null) {
    const gone = new Promise((r) => containerd.once("exit", r));
    containerd.kill("SIGTERM");
    await Promise.race([gone, sleep(10_000)]);
  }
  // shims, runhcs helpers and container processes all carry the marker in their environment
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(`${MARK}=${dir}`)) {
        process.kill(pid, "SIGKILL");
      }
    } catch {
      // gone, or not ours to read
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, () => cleanup().then(() => process.exit(130)));
}

function ctr(args, input) {
  return new Promise((resolveRun) => {
    const child = execFile(
      "ctr",
      ["--address", address, ...args],
      { timeout: 60_000, killSignal: "SIGKILL" },
      (err, stdout, stderr) => {
        resolveRun({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
      },
    );
    child.stdin.end(input ?? "");
  });
}

const run = (id, command, flags = []) => [
  "run",
  ...flags,
  "--runtime",
  runtime,
  "--env",
  `${MARK}=${dir}`,
  "--rootfs",
  rootfs,
  id,
  ...command,
];

let stepNo = 0;
function step(title) {
  stepNo++;
  console.log(`\n${bold(`${stepNo}. ${title}`)}`);
}
function show(cmd, r) {
  console.log(dim(`   $ ctr ${cmd}`));
  for (const line of r.stdout.trimEnd().split("\n")) if (line) console.log(`   ${line}`);
  for (const line of r.stderr.trimEnd().split("\n")) if (line) console.log(`   ${dim(`stderr: ${line}`)}`);
  console.log(`   → exit code ${r.code}`);
}
function expect(cond, what) {
  if (!cond) throw new Error(`unexpected result: ${what}`);
}

async function main() {
  step("Start a private containerd 1.6 (its own root, state and sockets in a temp dir)");
  const logFd = openSync(join(dir, "containerd.log"), "a");
  containerd = spawn("containerd", ["--config", join(dir, "config.toml")], {
    env,
    stdio: ["ignore", logFd, logFd],
    detached: false, // Ctrl-C reaches containerd as well
  });
  closeSync(logFd);
  for (let i = 0; ; i++) {
    const v = await ctr(["version"]);
    if (v.code === 0) {
      console.log(
        `   containerd ${/Server:\s*\n\s*Version:\s*(\S+)/.exec(v.stdout)?.[1] ?? "?"} listening on ${address}`,
      );
      break;
    }
    if (i > 150 || containerd.exitCode !== null)
      throw new Error(
        `containerd did not start:\n${readFileSync(join(dir, "containerd.log"), "utf8").slice(-2000)}`,
      );
    await sleep(200);
  }
  console.log(`   runtime: ${runtime}`);
  console.log(`   runhcs:  ${env.RUNHCS_BINARY} (simulator: container processes run on this host)`);

  events = spawn("ctr", ["--address", address, "events"], { stdio: ["ignore", "pipe", "ignore"] });
  let eventText = "";
  events.stdout.setEncoding("utf8");
  events.stdout.on("data", (s) => {
    eventText += s;
  });
  await sleep(300);

  step("Run a container that prints a greeting (ctr run --rm)");
  let r = await ctr(
    run("demo-echo", ["echo", "Hello from a container started by the TypeScript runhcs shim"], ["--rm"]),
  );
  show("run --rm ... demo-echo echo Hello ...", r);
  expect(r.code === 0 && r.stdout.includes("Hello"), "echo");

  step("Exit codes travel back: sh -c 'exit 3'");
  r = await ctr(run("demo-exit", ["sh", "-c", "exit 3"], ["--rm"]));
  show("run --rm ... demo-exit sh -c 'exit 3'", r);
  expect(r.code === 3, "exit 3");

  step("stdin is piped into the container (cat)");
  r = await ctr(run("demo-cat", ["cat"], ["--rm"]), "typed into stdin\n");
  show("run --rm ... demo-cat cat   (stdin: 'typed into stdin')", r);
  expect(r.stdout === "typed into stdin\n", "cat");

  step("A long-running container, an exec inside it, its processes, then kill and delete");
  r = await ctr(run("demo-long", ["sleep", "600"], ["-d"]));
  show("run -d ... demo-long sleep 600", r);
  expect(r.code === 0, "run -d");
  r = await ctr(["task", "ls"]);
  show("task ls", r);
  r = await ctr([
    "task",
    "exec",
    "--exec-id",
    "hello",
    "demo-long",
    "sh",
    "-c",
    "echo exec says hi from pid $$; exit 4",
  ]);
  show("task exec --exec-id hello demo-long sh -c 'echo ...; exit 4'", r);
  expect(r.code === 4 && r.stdout.includes("exec says hi"), "exec");
  r = await ctr(["task", "ps", "demo-long"]);
  show("task ps demo-long", r);
  r = await ctr(["task", "pause", "demo-long"]);
  show("task pause demo-long", r);
  r = await ctr(["task", "ls"]);
  show("task ls", r);
  r = await ctr(["task", "resume", "demo-long"]);
  show("task resume demo-long", r);
  r = await ctr(["task", "kill", "-s", "SIGKILL", "demo-long"]);
  show("task kill -s SIGKILL demo-long", r);
  for (let i = 0; i < 100; i++) {
    r = await ctr(["task", "ls"]);
    if (r.stdout.includes("STOPPED")) break;
    await sleep(100);
  }
  show("task ls", r);
  r = await ctr(["task", "delete", "demo-long"]);
  show("task delete demo-long", r);
  r = await ctr(["container", "rm", "demo-long"]);
  show("container rm demo-long", r);

  step("The events containerd received from the shim (ctr events)");
  await sleep(500);
  for (const line of eventText.trim().split("\n")) {
    const m = /^\S+ \S+ \S+ \S+ (\S+) (\/\S+) (.*)$/.exec(line);
    if (!m?.[2]?.startsWith("/tasks/")) continue;
    let e = {};
    try {
      e = JSON.parse(m[3] ?? "{}");
    } catch {
      // print the topic only
    }
    const fields = [`container=${e.container_id}`];
    if (e.id || e.exec_id) fields.push(`process=${e.exec_id ?? e.id}`);
    if (e.pid) fields.push(`pid=${e.pid}`);
    // proto3 leaves zero out: an exit without exit_status is an exit with 0
    if (m[2] === "/tasks/exit" || m[2] === "/tasks/delete") fields.push(`exit_status=${e.exit_status ?? 0}`);
    console.log(`   ${m[2].padEnd(20)} ${fields.join("  ")}`);
  }
}

let code = 0;
try {
  await main();
  step("Clean up: stop containerd and every process it started, remove the temp dir");
} catch (err) {
  console.error(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
  console.error(
    dim(
      `containerd log (tail):\n${(() => {
        try {
          return readFileSync(join(dir, "containerd.log"), "utf8").slice(-3000);
        } catch {
          return "";
        }
      })()}`,
    ),
  );
  code = 1;
}
await cleanup();
console.log(code === 0 ? "\n   done: nothing left running." : "");
process.exit(code);
