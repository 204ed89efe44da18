/** runhcs simulator: `exec` (process JSON validation, stdio, exit codes, --detach, container tree). */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "./proc.js";
import { Sim, sleep } from "./sim-harness.js";

describe("runhcs simulator: exec", function () {
  this.timeout(60_000);
  let sim: Sim;
  let bundle: string;
  beforeEach(async () => {
    sim = new Sim();
    bundle = sim.bundle({ args: ["sleep", "100"] });
    const out = sim.file("init-out");
    await sim.create("c", bundle, { stdout: out, stderr: out });
    assert.equal((await sim.run(["start", "c"])).code, 0);
  });
  afterEach(async () => {
    const leftovers = await sim.cleanup();
    assert.deepEqual(leftovers, [], "processes survived delete --force");
  });

  function processFile(proc: Record<string, unknown>): string {
    const f = sim.file("process.json");
    writeFileSync(f, JSON.stringify({ cwd: "/", env: ["PATH=/usr/bin:/bin"], ...proc }));
    return f;
  }

  it("without --detach waits and exits with the process's code; output goes to exec's stdio", async () => {
    const out = sim.file("out");
    const err = sim.file("err");
    const pidFile = sim.file("exec.pid");
    const f = processFile({ args: ["sh", "-c", "echo exec-out; echo exec-err >&2; exit 5"] });
    const r = await sim.run(["exec", "--process", f, "--pid-file", pidFile, "c"], {
      stdout: out,
      stderr: err,
    });
    assert.equal(r.code, 5);
    assert.equal(r.stdout, "exec-out\n");
    assert.equal(r.stderr, "exec-err\n");
    assert.match(readFileSync(pidFile, "utf8"), /^\d+$/);
  });

  it("with --detach returns at once; the helper in the pid file exits with the process's code", async () => {
    const out = sim.file("out");
    const err = sim.file("err");
    const pidFile = join(bundle, "runhcs-exec-c-e1-pidfile.pid");
    const f = processFile({ args: ["sh", "-c", "sleep 0.3; echo detached; exit 4"] });
    const r = sim.reaped(pidFile, ["exec", "--process", f, "--detach", "--pid-file", pidFile, "c"], {
      stdout: out,
      stderr: err,
    });
    assert.equal((await r.cli).code, 0, readFileSync(err, "utf8"));
    assert.deepEqual(await r.exit, { event: "helper-exit", code: 4, signal: null });
    assert.equal(readFileSync(out, "utf8"), "detached\n");
  });

  it("validates the process JSON with runhcs's messages", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ cwd: "", args: ["true"] }, "Cwd property must not be empty"],
      [{ cwd: "relative", args: ["true"] }, "Cwd must be an absolute path"],
      [{ cwd: "/", args: [] }, "args must not be empty"],
    ];
    for (const [proc, msg] of cases) {
      const r = await sim.run(["exec", "--process", processFile(proc), "c"]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `${msg}\n`);
    }
    const winCwd = await sim.run(["exec", "--process", processFile({ cwd: "C:\\", args: ["true"] }), "c"]);
    assert.equal(winCwd.code, 0, `a Windows absolute cwd is accepted: ${winCwd.stderr}`);
    const missing = await sim.run(["exec", "--process", processFile({ args: ["no-such-binary-xyz"] }), "c"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /executable file not found/);
  });

  it("exec processes are listed by ps and killed when the init process exits", async () => {
    const pidFile = sim.file("exec.pid");
    const f = processFile({ args: ["sleep", "100"] });
    // Files, not pipes: the detached helper holds exec's stdio (a captured pipe would not close).
    const out = sim.file("out");
    const r = await sim.run(["exec", "--process", f, "--detach", "--pid-file", pidFile, "c"], {
      stdout: out,
      stderr: out,
    });
    assert.equal(r.code, 0, r.stderr);
    const helper = Number(readFileSync(pidFile, "utf8"));
    sim.track(helper);
    const ps = JSON.parse((await sim.run(["ps", "--format=json", "c"])).stdout) as number[];
    assert.equal(ps.length, 2, `init sleep and exec sleep: ${JSON.stringify(ps)}`);
    assert.ok(!ps.includes(helper), "helpers are not container processes");
    assert.equal((await sim.run(["kill", "c", "KILL"])).code, 0);
    await sim.waitState("c", (s) => s?.status === "stopped");
    for (let i = 0; i < 100 && (isAlive(helper) || ps.some((p) => isAlive(p))); i++) await sleep(50);
    assert.equal(isAlive(helper), false, "exec helper exited with its process");
    for (const p of ps) assert.equal(isAlive(p), false);
    const after = await sim.run(["exec", "--process", f, "c"]);
    assert.equal(after.code, 1);
    assert.equal(after.stderr, "container is stopped\n");
  });

  it("exec requires a running container", async () => {
    const b = sim.bundle({ args: ["sleep", "100"] });
    const out = sim.file("out");
    await sim.create("created", b, { stdout: out, stderr: out });
    const r = await sim.run(["exec", "--process", processFile({ args: ["true"] }), "created"]);
    assert.equal(r.stderr, "container is stopped\n");
    assert.equal(
      (await sim.run(["exec", "--process", processFile({ args: ["true"] }), "nope"])).stderr,
      "state 'state' is not present for ID 'nope'\n",
    );
  });
});
