/** runhcs simulator: create/start/exit codes, stdio handover, kill, pause/resume, delete (real processes). */
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "./proc.js";
import { Sim, sleep } from "./sim-harness.js";

describe("runhcs simulator: container lifecycle", function () {
  this.timeout(60_000);
  let sim: Sim;
  beforeEach(() => {
    sim = new Sim();
  });
  afterEach(async () => {
    const leftovers = await sim.cleanup();
    assert.deepEqual(leftovers, [], "processes survived delete --force");
  });

  /** create under the reaper; returns helper pid and a promise of its exit status. */
  async function createReaped(id: string, bundle: string) {
    const out = sim.file("out");
    const err = sim.file("err");
    const pidFile = join(bundle, "runhcs-pidfile.pid");
    const r = sim.reaped(pidFile, ["create", "--bundle", bundle, "--pid-file", pidFile, id], {
      stdout: out,
      stderr: err,
    });
    assert.equal((await r.cli).code, 0, readFileSync(err, "utf8"));
    const text = readFileSync(pidFile, "utf8");
    assert.match(text, /^\d+$/, "pid file holds the decimal pid with no newline");
    return { pid: Number(text), exit: r.exit, out, err };
  }

  for (const code of [0, 3]) {
    it(`the helper exits with the container process's exit code (${code}), then state is stopped/pid 0`, async () => {
      const marker = sim.file("marker");
      const b = sim.bundle({ args: ["sh", "-c", `echo started > ${marker}; exit ${code}`] });
      const c = await createReaped("c1", b);
      const s = await sim.state("c1");
      assert.equal(s?.status, "created");
      assert.equal(s?.pid, c.pid);
      assert.equal(s?.bundle, b);
      assert.equal(s?.rootfs, join(b, "rootfs"));
      assert.equal(s?.owner, "");
      assert.ok(isAlive(c.pid), "helper is alive after create returned");
      await sleep(200);
      assert.equal(existsSync(marker), false, "process does not run before start");

      assert.equal((await sim.run(["start", "c1"])).code, 0);
      assert.deepEqual(await c.exit, { event: "helper-exit", code, signal: null });
      assert.equal(readFileSync(marker, "utf8"), "started\n");
      const after = await sim.waitState("c1", (x) => x?.status === "stopped");
      assert.equal(after?.pid, 0);
    });
  }

  it("a SIGKILLed container process makes the helper exit with 137; kill afterwards: container is stopped", async () => {
    const b = sim.bundle({ args: ["sleep", "100"] });
    const c = await createReaped("k1", b);
    assert.equal((await sim.run(["start", "k1"])).code, 0);
    assert.equal((await sim.state("k1"))?.status, "running");
    const k = await sim.run(["kill", "k1", "9"]);
    assert.equal(k.code, 0, k.stderr);
    assert.deepEqual(await c.exit, { event: "helper-exit", code: 137, signal: null });
    await sim.waitState("k1", (x) => x?.status === "stopped");
    const again = await sim.run(["kill", "k1", "15"]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, "container is stopped\n");
  });

  it("kill accepts signal names and defaults to SIGTERM", async () => {
    const b = sim.bundle({ args: ["sh", "-c", "trap 'exit 42' USR1; while :; do sleep 0.05; done"] });
    const c = await createReaped("n1", b);
    assert.equal((await sim.run(["start", "n1"])).code, 0);
    await sim.waitState("n1", (x) => x?.status === "running");
    await sleep(300); // let sh install its trap
    assert.equal((await sim.run(["kill", "n1", "sigusr1"])).code, 0);
    assert.equal((await c.exit).code, 42);

    const b2 = sim.bundle({ args: ["sleep", "100"] });
    const c2 = await createReaped("n2", b2);
    assert.equal((await sim.run(["start", "n2"])).code, 0);
    assert.equal((await sim.run(["kill", "n2"])).code, 0);
    assert.equal((await c2.exit).code, 128 + 15);
  });

  it("the container gets create's stdin/stdout/stderr", async () => {
    const stdin = sim.file("in", "from-stdin\n");
    const out = sim.file("out");
    const err = sim.file("err");
    const b = sim.bundle({ args: ["sh", "-c", "echo hello; echo oops >&2; cat"] });
    await sim.create("io1", b, { stdin, stdout: out, stderr: err });
    assert.equal((await sim.run(["start", "io1"])).code, 0);
    await sim.waitState("io1", (x) => x?.status === "stopped");
    assert.equal(readFileSync(out, "utf8"), "hello\nfrom-stdin\n");
    assert.equal(readFileSync(err, "utf8"), "oops\n");
  });

  it("start errors follow runhcs: already running, stopped; unknown id", async () => {
    const b = sim.bundle({ args: ["sleep", "100"] });
    const out = sim.file("out");
    await sim.create("s1", b, { stdout: out, stderr: out });
    assert.equal((await sim.run(["start", "s1"])).code, 0);
    const twice = await sim.run(["start", "s1"]);
    assert.equal(twice.code, 1);
    assert.equal(twice.stderr, "cannot start an already running container\n");
    assert.equal((await sim.run(["kill", "s1", "KILL"])).code, 0);
    await sim.waitState("s1", (x) => x?.status === "stopped");
    const stopped = await sim.run(["start", "s1"]);
    assert.equal(stopped.stderr, "cannot start a container that has stopped\n");
    const unknown = await sim.run(["state", "nope"]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, "state 'state' is not present for ID 'nope'\n");
  });

  it("pause stops progress of the whole tree; resume continues it", async () => {
    const counter = sim.file("counter", "");
    const b = sim.bundle({ args: ["sh", "-c", `while :; do echo x >> ${counter}; sleep 0.05; done`] });
    const out = sim.file("out");
    await sim.create("p1", b, { stdout: out, stderr: out });
    assert.equal((await sim.run(["start", "p1"])).code, 0);
    const grows = async () => {
      const start = statSync(counter).size;
      for (let i = 0; i < 200; i++) {
        await sleep(50);
        if (statSync(counter).size > start) return true;
      }
      return false;
    };
    assert.ok(await grows(), "counter grows while running");
    const p = await sim.run(["pause", "p1"]);
    assert.equal(p.code, 0, p.stderr);
    assert.equal((await sim.state("p1"))?.status, "paused");
    const frozen = statSync(counter).size;
    await sleep(600);
    assert.equal(statSync(counter).size, frozen, "no progress while paused");
    assert.equal((await sim.run(["pause", "p1"])).stderr, "container is already paused\n");
    assert.equal((await sim.run(["resume", "p1"])).code, 0);
    assert.equal((await sim.state("p1"))?.status, "running");
    assert.ok(await grows(), "counter grows again after resume");
  });

  it("delete refuses a running container; delete --force kills the whole tree and removes state", async () => {
    const b = sim.bundle({ args: ["sh", "-c", "sleep 100 & (setsid sleep 100 &) ; sleep 100 & wait"] });
    const out = sim.file("out");
    const helper = await sim.create("d1", b, { stdout: out, stderr: out });
    assert.equal((await sim.run(["start", "d1"])).code, 0);
    let pids: number[] = [];
    for (let i = 0; i < 100 && pids.length < 4; i++) {
      await sleep(50);
      pids = JSON.parse((await sim.run(["ps", "--format=json", "d1"])).stdout) ?? [];
    }
    assert.ok(pids.length >= 4, `ps lists sh and its three sleeps: ${JSON.stringify(pids)}`);
    const refused = await sim.run(["delete", "d1"]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, "cannot delete container d1 that is not stopped: running\n");
    const del = await sim.run(["delete", "--force", "d1"]);
    assert.equal(del.code, 0, del.stderr);
    // SIGKILL is sent before delete returns; on a loaded machine the victim may take a moment to die.
    for (const pid of [...pids, helper]) {
      for (let i = 0; i < 40 && isAlive(pid); i++) await sleep(50);
      assert.equal(isAlive(pid), false, `pid ${pid} was killed`);
    }
    assert.equal((await sim.run(["state", "d1"])).code, 1);
    assert.equal((await sim.run(["delete", "--force", "d1"])).code, 0, "missing state with --force succeeds");
    assert.equal((await sim.run(["delete", "d1"])).code, 1);
  });

  it("delete --force on a created container ends its helper", async () => {
    const b = sim.bundle({ args: ["sleep", "100"] });
    const c = await createReaped("dc", b);
    assert.equal((await sim.run(["delete", "--force", "dc"])).code, 0);
    assert.deepEqual(await c.exit, { event: "helper-exit", code: 1, signal: null });
  });
});
