import assert from "node:assert/strict";
import { FailedPreconditionError, NotFoundError } from "../../../src/errdefs.js";
import { InitProcess } from "../../../src/process/init.js";
import { FakeInitOps } from "../../fakes/process-ops.js";

const EXIT = { exitStatus: 3, exitedAt: new Date(1_700_000_000_000) };

function setup() {
  const ops = new FakeInitOps();
  return { ops, p: new InitProcess("c1", 100, ops) };
}

async function running() {
  const s = setup();
  await s.p.start();
  return s;
}

describe("InitProcess", () => {
  it("init start in created → running, runhcs start called", async () => {
    const { ops, p } = setup();
    assert.equal(p.status, "created");
    await p.start();
    assert.equal(p.status, "running");
    assert.deepEqual(ops.calls, ["start"]);
  });

  it("init start in running → FailedPrecondition, no runhcs call", async () => {
    const { ops, p } = await running();
    await assert.rejects(p.start(), FailedPreconditionError);
    assert.deepEqual(ops.calls, ["start"]);
  });

  it("init start failing → stays created and reports the error", async () => {
    const { ops, p } = setup();
    ops.fail("start", new Error("runhcs start failed"));
    await assert.rejects(p.start(), /runhcs start failed/);
    assert.equal(p.status, "created");
  });

  it("init pause/resume in running → paused → running", async () => {
    const { ops, p } = await running();
    await p.pause();
    assert.equal(p.status, "paused");
    await assert.rejects(p.pause(), FailedPreconditionError);
    await p.resume();
    assert.equal(p.status, "running");
    assert.deepEqual(ops.calls, ["start", "pause", "resume"]);
  });

  it("init pause in created → FailedPrecondition", async () => {
    const { p } = setup();
    await assert.rejects(p.pause(), /cannot pause a created task: failed precondition/);
  });

  it("init resume in running → FailedPrecondition", async () => {
    const { p } = await running();
    await assert.rejects(p.resume(), FailedPreconditionError);
  });

  it("init kill in running → runhcs kill with signal and all", async () => {
    const { ops, p } = await running();
    await p.kill(9, true);
    assert.deepEqual(ops.calls, ["start", "kill 9 all"]);
  });

  it("init delete in running → FailedPrecondition", async () => {
    const { p } = await running();
    await assert.rejects(p.delete(), /cannot delete a running task/);
  });

  it("init exit in running → stopped, waiters released with the exit", async () => {
    const { p } = await running();
    const waiting = p.wait();
    p.setExited(EXIT);
    assert.equal(p.status, "stopped");
    assert.deepEqual(await waiting, EXIT);
    assert.deepEqual(await p.wait(), EXIT);
  });

  it("init exit recorded twice → the first one stands", async () => {
    const { p } = await running();
    p.setExited(EXIT);
    p.setExited({ exitStatus: 0, exitedAt: new Date() });
    assert.deepEqual(p.exitResult, EXIT);
  });

  it("init kill in stopped → NotFound", async () => {
    const { p } = await running();
    p.setExited(EXIT);
    await assert.rejects(p.kill(15, false), NotFoundError);
  });

  it("init delete in stopped → deleted; kill and delete afterwards → NotFound", async () => {
    const { ops, p } = await running();
    p.setExited(EXIT);
    await p.delete();
    assert.equal(p.status, "deleted");
    await assert.rejects(p.delete(), /cannot delete a deleted process: not found/);
    await assert.rejects(p.kill(9, false), NotFoundError);
    assert.deepEqual(ops.calls, ["start", "delete"]);
  });

  it("init delete in created → deleted (never started)", async () => {
    const { p } = setup();
    await p.delete();
    assert.equal(p.status, "deleted");
  });

  it("init exit while start is in flight → stopped, not running", async () => {
    const { ops, p } = setup();
    const held = ops.hold("start");
    const starting = p.start();
    await Promise.resolve();
    p.setExited(EXIT);
    held.resolve();
    await starting;
    assert.equal(p.status, "stopped");
  });

  it("init exit while delete is in flight in created → deleted", async () => {
    const { ops, p } = setup();
    const held = ops.hold("delete");
    const deleting = p.delete();
    await Promise.resolve();
    p.setExited(EXIT);
    held.resolve();
    await deleting;
    assert.equal(p.status, "deleted");
  });

  it("init operations are serialized, kill is not", async () => {
    const { ops, p } = await running();
    const held = ops.hold("pause");
    const pausing = p.pause();
    const resuming = p.resume();
    await new Promise(setImmediate);
    await p.kill(9, false);
    assert.deepEqual(ops.calls, ["start", "pause", "kill 9"]);
    held.resolve();
    await pausing;
    await resuming;
    assert.deepEqual(ops.calls, ["start", "pause", "kill 9", "resume"]);
  });

  it("init wait with an aborted client → Canceled, waiter dropped", async () => {
    const { p } = await running();
    const ac = new AbortController();
    const waiting = p.wait(ac.signal);
    ac.abort();
    await assert.rejects(waiting, { code: 1 });
    p.setExited(EXIT);
  });

  // runhcs kill answers `container is stopped` for a container that never started, and no exit would
  // ever come: Kill must end it (containerd's runc shim: createdState.Kill kills runc init, exit 128+sig).
  it("init kill in created → destroyed, not signalled; its exit reported as 128+signal", async () => {
    const { ops, p } = setup();
    const waiting = p.wait();
    await p.kill(9, false);
    assert.deepEqual(ops.calls, ["destroy"]);
    p.setExited({ exitStatus: 1, exitedAt: EXIT.exitedAt }); // what the destroyed helper exits with
    assert.deepEqual(await waiting, { exitStatus: 137, exitedAt: EXIT.exitedAt });
    assert.equal(p.status, "stopped");
    await assert.rejects(p.start(), FailedPreconditionError);
  });

  it("init kill in created with SIGTERM → 143; a second kill does not change the status", async () => {
    const { p } = setup();
    await p.kill(15, false);
    await p.kill(9, false);
    p.setExited(EXIT);
    assert.equal(p.exitResult?.exitStatus, 143);
  });

  it("init kill in created failing → the error; a later exit keeps its own status", async () => {
    const { ops, p } = setup();
    ops.fail("destroy", new Error("runhcs delete failed"));
    await assert.rejects(p.kill(9, false), /runhcs delete failed/);
    p.setExited(EXIT);
    assert.deepEqual(p.exitResult, EXIT);
  });

  it("init kill while start is in flight → the start is cancelled and the container destroyed", async () => {
    const { ops, p } = setup();
    const held = ops.hold("start");
    const starting = p.start();
    await new Promise(setImmediate);
    assert.equal(ops.startSignal?.aborted, false);
    await p.kill(9, false);
    assert.equal(ops.startSignal?.aborted, true);
    assert.deepEqual(ops.calls, ["start", "destroy"]);
    held.reject(new Error("runhcs start: canceled"));
    await assert.rejects(starting, /canceled/);
    p.setExited(EXIT);
    assert.equal(p.exitResult?.exitStatus, 137);
  });

  it("init delete while start is in flight → the start is cancelled, then the container deleted", async () => {
    const { ops, p } = setup();
    const held = ops.hold("start");
    const starting = p.start();
    await new Promise(setImmediate);
    const deleting = p.delete();
    assert.equal(ops.startSignal?.aborted, true);
    held.reject(new Error("runhcs start: canceled"));
    await assert.rejects(starting, /canceled/);
    await deleting;
    assert.deepEqual(ops.calls, ["start", "delete"]);
    assert.equal(p.status, "deleted");
  });

  it("init kill in running → signalled, not destroyed; its exit keeps its own status", async () => {
    const { ops, p } = await running();
    await p.kill(15, false);
    p.setExited(EXIT);
    assert.deepEqual(ops.calls, ["start", "kill 15"]);
    assert.deepEqual(p.exitResult, EXIT);
  });
});
