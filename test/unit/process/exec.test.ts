import assert from "node:assert/strict";
import { FailedPreconditionError, NotFoundError } from "../../../src/errdefs.js";
import { ExecProcess } from "../../../src/process/exec.js";
import { FakeExecOps } from "../../fakes/process-ops.js";

const EXIT = { exitStatus: 0, exitedAt: new Date(1_700_000_000_000) };

function setup() {
  const ops = new FakeExecOps();
  return { ops, p: new ExecProcess("e1", ops) };
}

describe("ExecProcess", () => {
  it("exec start in created → running with the pid runhcs reported", async () => {
    const { p } = setup();
    assert.equal(p.pid, 0);
    assert.equal(await p.start(), 4242);
    assert.equal(p.pid, 4242);
    assert.equal(p.status, "running");
  });

  it("exec start in running → FailedPrecondition", async () => {
    const { p } = setup();
    await p.start();
    await assert.rejects(p.start(), FailedPreconditionError);
  });

  // A never-started exec has no process to signal and no exit would ever come: Kill ends it.
  it("exec kill in created → stopped with 128+signal, waiters released, no side effect, start refused", async () => {
    const { ops, p } = setup();
    const waiting = p.wait();
    await p.kill(9);
    assert.equal((await waiting).exitStatus, 137);
    assert.equal(p.status, "stopped");
    assert.deepEqual(ops.calls, []);
    await assert.rejects(p.start(), FailedPreconditionError);
    await p.delete();
    assert.equal(p.status, "deleted");
  });

  it("exec kill while its start is in flight → waits for the start, then signals the running process", async () => {
    const { ops, p } = setup();
    const held = ops.hold("start");
    const starting = p.start();
    await new Promise(setImmediate);
    const killing = p.kill(15);
    await new Promise(setImmediate);
    assert.deepEqual(ops.calls, ["start"]);
    held.resolve();
    await starting;
    await killing;
    assert.deepEqual(ops.calls, ["start", "kill 15"]);
    assert.equal(p.status, "running");
    assert.equal(p.exitResult, undefined);
  });

  // containerd's runc shim closes the exec's waitBlock when runc exec fails (process/exec.go start).
  it("exec start failing → stopped with 255, waiters released; delete → deleted", async () => {
    const { ops, p } = setup();
    const waiting = p.wait();
    ops.fail("start", new Error("runhcs exec failed"));
    await assert.rejects(p.start(), /runhcs exec failed/);
    assert.equal((await waiting).exitStatus, 255);
    assert.equal(p.status, "stopped");
    assert.equal(p.pid, 0);
    await p.delete();
    assert.equal(p.status, "deleted");
  });

  it("exec delete in created → waiters released with 255", async () => {
    const { p } = setup();
    const waiting = p.wait();
    await p.delete();
    assert.equal((await waiting).exitStatus, 255);
  });

  it("exec kill in running → signal sent", async () => {
    const { ops, p } = setup();
    await p.start();
    await p.kill(15);
    assert.deepEqual(ops.calls, ["start", "kill 15"]);
  });

  it("exec delete in running → FailedPrecondition", async () => {
    const { p } = setup();
    await p.start();
    await assert.rejects(p.delete(), FailedPreconditionError);
  });

  it("exec exit in running → stopped; kill → NotFound; delete → deleted", async () => {
    const { p } = setup();
    await p.start();
    const waiting = p.wait();
    p.setExited(EXIT);
    assert.deepEqual(await waiting, EXIT);
    assert.equal(p.status, "stopped");
    await assert.rejects(p.kill(9), NotFoundError);
    await p.delete();
    assert.equal(p.status, "deleted");
    await assert.rejects(p.delete(), NotFoundError);
  });

  it("exec exit before start returns → stopped with its pid", async () => {
    const { ops, p } = setup();
    const held = ops.hold("start");
    const starting = p.start();
    await Promise.resolve();
    p.setExited(EXIT);
    held.resolve();
    assert.equal(await starting, 4242);
    assert.equal(p.status, "stopped");
    assert.equal(p.pid, 4242);
  });

  it("exec delete in created → deleted without starting", async () => {
    const { ops, p } = setup();
    await p.delete();
    assert.equal(p.status, "deleted");
    assert.deepEqual(ops.calls, ["delete"]);
  });
});
