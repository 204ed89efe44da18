/**
 * "Exited, not yet reported" as a phase of both process kinds: between the exit waiter's observation and
 * the recorded exit (which waits for output, the start event and the init's execs), a process shows the
 * phase it was in but is no longer alive, an exec is no longer signalled by its (reaped) pid, and an
 * operation in flight still moves the shown phase on. Init and exec share the phases after the exit.
 */
import assert from "node:assert/strict";
import { FailedPreconditionError, NotFoundError } from "../../../src/errdefs.js";
import { ExecProcess } from "../../../src/process/exec.js";
import { InitProcess } from "../../../src/process/init.js";
import type { Process } from "../../../src/process/process.js";
import { FakeExecOps, FakeInitOps } from "../../fakes/process-ops.js";

const EXIT = { exitStatus: 3, exitedAt: new Date(1_700_000_000_000) };

function init() {
  const ops = new FakeInitOps();
  return { ops, p: new InitProcess("c1", 100, ops) };
}

function exec() {
  const ops = new FakeExecOps();
  return { ops, p: new ExecProcess("e1", ops) };
}

describe("Process: exited, not yet reported", () => {
  it("exec: exit observed while running → still running, not alive, kill → NotFound without a signal", async () => {
    const { ops, p } = exec();
    await p.start();
    assert.equal(p.alive, true);
    const waiting = p.wait();
    p.exitObserved();
    assert.equal(p.status, "running");
    assert.equal(p.alive, false);
    assert.equal(p.exitResult, undefined);
    await assert.rejects(p.kill(15), { name: "NotFoundError", message: /process already finished/ });
    assert.deepEqual(ops.calls, ["start"]);
    await assert.rejects(p.delete(), /cannot delete a running process/);
    p.setExited(EXIT);
    assert.equal(p.status, "stopped");
    assert.deepEqual(await waiting, EXIT);
  });

  it("init: exit observed while running → not alive, but kill still reaches the container by its id", async () => {
    const { ops, p } = init();
    await p.start();
    p.exitObserved();
    assert.equal(p.alive, false);
    assert.equal(p.status, "running");
    await p.kill(9, true);
    assert.deepEqual(ops.calls, ["start", "kill 9 all"]);
    await assert.rejects(p.delete(), /cannot delete a running task/);
    p.setExited(EXIT);
    assert.equal(p.status, "stopped");
    await assert.rejects(p.kill(9), NotFoundError);
  });

  it("exit observed while the start is in flight → the start still shows as running until the exit is recorded", async () => {
    const { ops, p } = init();
    const held = ops.hold("start");
    const starting = p.start();
    await new Promise(setImmediate);
    p.exitObserved();
    assert.equal(p.status, "created");
    held.resolve();
    assert.equal(await starting, 100);
    assert.equal(p.status, "running");
    await assert.rejects(p.start(), /cannot start a running task/);
    p.setExited(EXIT);
    assert.equal(p.status, "stopped");
  });

  it("init exit observed in created → delete still allowed; it ends deleted once the exit is recorded", async () => {
    const { ops, p } = init();
    p.exitObserved();
    const held = ops.hold("delete");
    const deleting = p.delete();
    await new Promise(setImmediate);
    p.setExited(EXIT);
    held.resolve();
    await deleting;
    assert.equal(p.status, "deleted");
  });

  it("exit observed twice, or after the exit was recorded → nothing changes", async () => {
    const { p } = exec();
    await p.start();
    p.exitObserved();
    p.exitObserved();
    p.setExited(EXIT);
    p.exitObserved();
    assert.equal(p.status, "stopped");
    await p.delete();
    p.exitObserved();
    assert.equal(p.status, "deleted");
  });

  it("startSettled settles only once the start in flight has, also a failed one", async () => {
    const { ops, p } = exec();
    await p.startSettled;
    const held = ops.hold("start");
    void p.start();
    let settled = false;
    void p.startSettled.then(() => {
      settled = true;
    });
    await new Promise(setImmediate);
    assert.equal(settled, false);
    held.reject(new Error("runhcs exec failed"));
    await p.startSettled;
    assert.equal(p.exitResult?.exitStatus, 255);
  });
});

describe("Process: init and exec share the phases after the exit", () => {
  const kinds: Array<[string, () => Promise<Process>, string]> = [
    [
      "init",
      async () => {
        const { p } = init();
        await p.start();
        return p;
      },
      "task",
    ],
    [
      "exec",
      async () => {
        const { p } = exec();
        await p.start();
        return p;
      },
      "process",
    ],
  ];
  for (const [kind, running, noun] of kinds) {
    it(`${kind}: stopped refuses start (${noun}), kill is NotFound; deleted refuses kill and delete`, async () => {
      const p = await running();
      p.setExited(EXIT);
      assert.equal(p.alive, false);
      await assert.rejects(p.start(), { message: `cannot start a stopped ${noun}: failed precondition` });
      await assert.rejects(p.start(), FailedPreconditionError);
      await assert.rejects(p.kill(9), { message: "process already finished: not found" });
      await p.delete();
      assert.equal(p.status, "deleted");
      await assert.rejects(p.kill(9), { message: "cannot kill a deleted process: not found" });
      await assert.rejects(p.delete(), { message: "cannot delete a deleted process: not found" });
    });
  }
});
