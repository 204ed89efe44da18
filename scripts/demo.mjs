#!/usr/bin/env node
// Demo: a private containerd 1.6 runs containers through our shim (bin/containerd-shim-runhcs-v1) and the
// runhcs simulator (test/sim), driven with ctr: echo + exit code, a failing exit code, an exec in a running
// container, the task list, kill and delete, and the events containerd received. Everything it starts is
// stopped and every temp file removed at the end, also on failure or Ctrl-C.
//
// Needs root (containerd), containerd + ctr, and a build (`bash scripts/demo` does setup + build + this).
// DIST=<dir> selects another compiled tree than dist/.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const REPO = resolve(fileURLToPath(new URL("..", import.meta.url)));
const DIST = resolve(process.env.DIST ?? join(REPO, "dist"));
const HARNESS = join(DIST, "test/integration/containerd-harness.js");
const color = process.stdout.isTTY;
const bold = (s) => (color ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (color ? `\x1b[2m${s}\x1b[0m` : s);

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
for (const f of ["src/shim/main.js", "test/sim/main.js", "test/integration/containerd-harness.js"]) {
  if (!existsSync(join(DIST, f))) fail(`${join(DIST, f)} is missing: build first (npx tsc -p tsconfig.json)`);
}

// The private containerd is the integration tests' own (config, start/stop, ctr, leftover cleanup); the
// harness takes the repository (bin/, test/sim/bin) from the working directory, as the tests run from it.
process.chdir(REPO);
const { EventWatch, PrivateContainerd, sleep } = await import(pathToFileURL(HARNESS).href);

// containerd starts at once; an interrupt while it starts stops it as soon as it is up (or has failed)
const starting = PrivateContainerd.start({ prefix: "shim-demo" });
starting.catch(() => {}); // reported by main()
let events;
let stopping;
function cleanup() {
  stopping ??= (async () => {
    await events?.stop();
    const c = await starting.catch(() => undefined);
    await c?.stop(); // containerd, then every shim, runhcs helper and container it started; the temp dir
  })();
  return stopping;
}

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, () => cleanup().then(() => process.exit(130)));
}

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
  const c = await starting;
  const v = await c.ctr(["version"]);
  const version = /Server:\s*\n\s*Version:\s*(\S+)/.exec(v.stdout)?.[1] ?? "?";
  console.log(`   containerd ${version} listening on ${c.address}`);
  console.log(`   runtime: ${c.runtime}`);
  console.log(`   runhcs:  ${c.env.RUNHCS_BINARY} (simulator: container processes run on this host)`);

  events = new EventWatch(c);
  await sleep(300);

  step("Run a container that prints a greeting (ctr run --rm)");
  const greeting = "Hello from a container started by the TypeScript runhcs shim";
  let r = await c.ctr(c.runArgs("demo-echo", ["echo", greeting], ["--rm"]));
  show("run --rm ... demo-echo echo Hello ...", r);
  expect(r.code === 0 && r.stdout.includes("Hello"), "echo");

  step("Exit codes travel back: sh -c 'exit 3'");
  r = await c.ctr(c.runArgs("demo-exit", ["sh", "-c", "exit 3"], ["--rm"]));
  show("run --rm ... demo-exit sh -c 'exit 3'", r);
  expect(r.code === 3, "exit 3");

  step("stdin is piped into the container (cat)");
  r = await c.ctr(c.runArgs("demo-cat", ["cat"], ["--rm"]), { input: "typed into stdin\n" });
  show("run --rm ... demo-cat cat   (stdin: 'typed into stdin')", r);
  expect(r.stdout === "typed into stdin\n", "cat");

  step("A long-running container, an exec inside it, its processes, then kill and delete");
  r = await c.ctr(c.runArgs("demo-long", ["sleep", "600"], ["-d"]));
  show("run -d ... demo-long sleep 600", r);
  expect(r.code === 0, "run -d");
  r = await c.ctr(["task", "ls"]);
  show("task ls", r);
  r = await c.ctr([
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
  r = await c.ctr(["task", "ps", "demo-long"]);
  show("task ps demo-long", r);
  r = await c.ctr(["task", "pause", "demo-long"]);
  show("task pause demo-long", r);
  r = await c.ctr(["task", "ls"]);
  show("task ls", r);
  r = await c.ctr(["task", "resume", "demo-long"]);
  show("task resume demo-long", r);
  r = await c.ctr(["task", "kill", "-s", "SIGKILL", "demo-long"]);
  show("task kill -s SIGKILL demo-long", r);
  for (let i = 0; i < 100; i++) {
    r = await c.ctr(["task", "ls"]);
    if (r.stdout.includes("STOPPED")) break;
    await sleep(100);
  }
  show("task ls", r);
  r = await c.ctr(["task", "delete", "demo-long"]);
  show("task delete demo-long", r);
  r = await c.ctr(["container", "rm", "demo-long"]);
  show("container rm demo-long", r);

  step("The events containerd received from the shim (ctr events)");
  await sleep(500);
  for (const line of events.text.trim().split("\n")) {
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
  const log = (await starting.catch(() => undefined))?.log() ?? "";
  if (log) console.error(dim(`containerd log (tail):\n${log.slice(-3000)}`));
  code = 1;
}
await cleanup();
console.log(code === 0 ? "\n   done: nothing left running." : "");
process.exit(code);
