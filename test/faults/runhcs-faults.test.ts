/**
 * Fault suite, part 1: the shim under a real containerd 1.6 while runhcs misbehaves (the simulator behind
 * a fault plan, test/sim/faults.ts), runhcs is missing, or the shim itself is SIGKILLed. After every case
 * nothing may be left: no process, shim socket, bundle or simulator state.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import {
  canRunContainerd,
  EventWatch,
  type PrivateContainerd,
  sleep,
} from "../integration/containerd-harness.js";
import { FaultyContainerd, RUNHCS_TIMEOUT_S, shimClient, zombieChildren } from "./fault-harness.js";

describe("fault suite: runhcs hangs, fails, prints garbage, is missing; the shim is killed", function () {
  this.timeout(120_000);
  let f: FaultyContainerd;
  let c: PrivateContainerd;

  before(async function () {
    if (!canRunContainerd()) this.skip(); // needs root and the containerd package (scripts/setup.sh)
    f = await FaultyContainerd.start();
    c = f.c;
  });
  after(async () => {
    await f?.stop();
  });

  afterEach(async function () {
    if (!f) return;
    f.faults({});
    f.runhcsPresent(true);
    const left = await c.settle(20_000);
    const dirty = Object.values(left).some((l) => l.length > 0);
    if (dirty) {
      await c.removeAll();
      await c.settle();
    }
    c.ids.clear();
    if (this.currentTest?.state === "passed")
      assert.equal(dirty, false, `left behind: ${JSON.stringify(left)}`);
  });

  const ok = (r: { code: number | null; stderr: string }, what: string) =>
    assert.equal(r.code, 0, `${what} failed: ${r.stderr}`);

  /** `ctr` in the background, for a client that gives up (is killed) while its call hangs. */
  const ctrChild = (args: string[]): ChildProcess =>
    spawn("ctr", ["--address", c.address, "--namespace", "default", ...args], { stdio: "ignore" });

  it("runhcs create hangs: when the client gives up, containerd's cleanup ends it and nothing is left", async () => {
    const id = "hungcreate";
    f.faults({ create: { fault: "hang" } });
    const ctr = ctrChild(c.runArgs(id, ["sleep", "1000"], ["-d"]));
    // Wait until the hung `runhcs create` is there, then the client gives up.
    for (let i = 0; i < 100 && !c.markedProcesses().some((p) => / create /.test(p.cmd)); i++)
      await sleep(100);
    assert.ok(
      c.markedProcesses().some((p) => / create /.test(p.cmd)),
      "runhcs create never ran",
    );
    ctr.kill("SIGKILL");
    // afterEach: no shim, no runhcs, no bundle, no simulator state.
  });

  it("runhcs start fails: the CREATED task is killed for real (exit 137) and deleted", async () => {
    const id = "startfail";
    const events = new EventWatch(c);
    try {
      await sleep(300);
      f.faults({ start: { fault: "fail", id } });
      const run = await c.ctr(c.runArgs(id, ["sleep", "1000"], ["-d"]));
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /simulated start failure/);
      let ls = await c.ctr(["task", "ls"]);
      assert.match(ls.stdout, new RegExp(`${id}\\s+\\d+\\s+CREATED`));
      ok(await c.ctr(["task", "kill", "-s", "SIGKILL", id]), "task kill");
      assert.match(await events.waitFor(id, "/tasks/exit"), /"exit_status":137/);
      ls = await c.ctr(["task", "ls"]);
      assert.match(ls.stdout, new RegExp(`${id}\\s+\\d+\\s+STOPPED`));
      ok(await c.ctr(["task", "delete", id]), "task delete");
      ok(await c.ctr(["container", "rm", id]), "container rm");
    } finally {
      await events.stop();
    }
  });

  it(`runhcs delete hangs: Delete fails within the ${RUNHCS_TIMEOUT_S} s runhcs deadline, a retry works`, async () => {
    const id = "hungdelete";
    ok(await c.ctr(c.runArgs(id, ["sh", "-c", "exit 4"], ["-d"])), "ctr run -d");
    for (let i = 0; i < 100 && !/STOPPED/.test((await c.ctr(["task", "ls"])).stdout); i++) await sleep(100);
    f.faults({ delete: { fault: "hang" } });
    const t0 = Date.now();
    const del = await c.ctr(["task", "delete", id]);
    const took = (Date.now() - t0) / 1000;
    assert.notEqual(del.code, 0, "delete succeeded although runhcs delete hangs");
    assert.match(del.stderr, /DeadlineExceeded|deadline exceeded|runhcs delete/i, del.stderr);
    assert.ok(took < RUNHCS_TIMEOUT_S + 10, `Delete took ${took} s`);
    assert.ok(
      !c.markedProcesses().some((p) => / delete /.test(p.cmd)),
      "the hung runhcs delete was left running",
    );
    f.faults({});
    ok(await c.ctr(["task", "delete", id]), "task delete after the fault");
    ok(await c.ctr(["container", "rm", id]), "container rm");
  });

  it("runhcs prints garbage for ps: Pids fails with an error, the task keeps working", async () => {
    const id = "garbage";
    ok(await c.ctr(c.runArgs(id, ["sleep", "1000"], ["-d"])), "ctr run -d");
    f.faults({ ps: { fault: "garbage" } });
    const ps = await c.ctr(["task", "ps", id]);
    assert.notEqual(ps.code, 0);
    assert.match(ps.stderr, /runhcs ps|parse|json/i);
    f.faults({});
    ok(await c.ctr(["task", "ps", id]), "task ps after the fault");
    ok(await c.ctr(["task", "kill", "-s", "SIGKILL", id]), "task kill");
    for (let i = 0; i < 100 && !/STOPPED/.test((await c.ctr(["task", "ls"])).stdout); i++) await sleep(100);
    ok(await c.ctr(["task", "delete", id]), "task delete");
    ok(await c.ctr(["container", "rm", id]), "container rm");
  });

  it("runhcs missing: ctr run fails naming it, nothing is left", async () => {
    f.runhcsPresent(false);
    const run = await c.ctr(c.runArgs("norunhcs", ["sleep", "1000"], ["-d"]));
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /runhcs/);
    assert.match(run.stderr, /ENOENT|not found|no such file/i);
    await c.ctr(["container", "rm", "norunhcs"]);
  });

  it("the shim SIGKILLed while an exec runs: containerd's cleanup stops the container, nothing is left", async () => {
    const id = "shimkill";
    ok(await c.ctr(c.runArgs(id, ["sleep", "1000"], ["-d"])), "ctr run -d");
    const exec = ctrChild(["task", "exec", "--exec-id", "e1", id, "sleep", "1000"]);
    const execDone = new Promise((r) => exec.once("exit", r));
    for (let i = 0; i < 100 && !c.markedProcesses().some((p) => p.cmd === "sleep 1000"); i++)
      await sleep(100);
    const { client, api } = await shimClient(c, id);
    const { shimPid } = await api.connect({ id });
    client.close();
    await sleep(500); // the exec's sleep is running
    process.kill(shimPid, "SIGKILL");
    await execDone; // the attached exec ends with the shim
    for (let i = 0; i < 150 && /RUNNING/.test((await c.ctr(["task", "ls"])).stdout); i++) await sleep(100);
    await c.ctr(["task", "delete", id]);
    ok(await c.ctr(["container", "rm", id]), "container rm");
  });

  it("50 malformed connections: at most 10 single-line warnings in containerd's log, no stack", async () => {
    const id = "garbagepeers";
    ok(await c.ctr(c.runArgs(id, ["sleep", "1000"], ["-d"])), "ctr run -d");
    const mark = c.log().length;
    const socket = c.shimSocketOf(id);
    for (let i = 0; i < 50; i++) {
      const s = connect(socket);
      s.on("error", () => {});
      // An HTTP request where ttrpc frames belong: its first 4 bytes read as a 1.1 GB frame length.
      s.end("GET / HTTP/1.1\r\nHost: shim\r\n\r\n");
    }
    const faults = () =>
      c
        .log()
        .slice(mark)
        .split("\n")
        .filter((l) => l.includes("ttrpc peer fault"));
    for (let i = 0; i < 50 && faults().length < 10; i++) await sleep(100);
    await sleep(500);
    assert.equal(faults().length, 10, faults().join("\n"));
    for (const l of faults()) assert.doesNotMatch(l, /"stack"|\\n\s+at /);
    ok(await c.ctr(["task", "kill", "-s", "SIGKILL", id]), "task kill");
    for (let i = 0; i < 100 && !/STOPPED/.test((await c.ctr(["task", "ls"])).stdout); i++) await sleep(100);
    ok(await c.ctr(["task", "delete", id]), "task delete");
    ok(await c.ctr(["container", "rm", id]), "container rm");
  });

  it("orphans of exited execs are reaped: no zombie under the shim after 12 execs", async () => {
    const id = "orphans";
    ok(await c.ctr(c.runArgs(id, ["sleep", "1000"], ["-d"])), "ctr run -d");
    const execs = Array.from({ length: 12 }, (_, i) =>
      c.ctr(["task", "exec", "--exec-id", `o${i}`, id, "sh", "-c", "sleep 0.2 & exit 0"]),
    );
    for (const r of await Promise.all(execs)) ok(r, "exec");
    const { client, api } = await shimClient(c, id);
    const { shimPid } = await api.connect({ id });
    client.close();
    await sleep(1_500); // the orphaned sleeps end and are re-parented to the shim
    assert.deepEqual(zombieChildren(shimPid), []);
    ok(await c.ctr(["task", "kill", "-s", "SIGKILL", id]), "task kill");
    for (let i = 0; i < 100 && !/STOPPED/.test((await c.ctr(["task", "ls"])).stdout); i++) await sleep(100);
    ok(await c.ctr(["task", "delete", id]), "task delete");
    ok(await c.ctr(["container", "rm", id]), "container rm");
  });
});
