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

  it("exec kill in created → FailedPrecondition, no runhcs call", async () => {
    const { ops, p } = setup();
    await assert.rejects(p.kill(9), FailedPreconditionError);
    assert.deepEqual(ops.calls, []);
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
