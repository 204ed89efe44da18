import assert from "node:assert/strict";
import { ExitLatch } from "../../../src/process/exit-latch.js";

describe("ExitLatch", () => {
  it("releases many concurrent waiters with the one exit", async () => {
    const latch = new ExitLatch();
    const waiters = Array.from({ length: 50 }, () => latch.wait());
    assert.equal(latch.waiterCount, 50);
    const result = { exitStatus: 7, exitedAt: new Date() };
    assert.equal(latch.set(result), true);
    for (const r of await Promise.all(waiters)) assert.equal(r, result);
    assert.equal(latch.waiterCount, 0);
  });

  it("drops an aborted waiter and keeps the others", async () => {
    const latch = new ExitLatch();
    const ac = new AbortController();
    const dropped = latch.wait(ac.signal);
    const kept = latch.wait();
    ac.abort();
    await assert.rejects(dropped, { code: 1, message: "wait: context canceled" });
    assert.equal(latch.waiterCount, 1);
    latch.set({ exitStatus: 0, exitedAt: new Date() });
    assert.equal((await kept).exitStatus, 0);
  });

  it("a waiter whose deadline passes → DeadlineExceeded, not Canceled", async () => {
    const latch = new ExitLatch();
    await assert.rejects(latch.wait(AbortSignal.timeout(5)), {
      code: 4,
      message: "wait: context deadline exceeded",
    });
    assert.equal(latch.waiterCount, 0);
  });

  it("rejects at once for an already aborted signal, resolves at once after the exit", async () => {
    const latch = new ExitLatch();
    await assert.rejects(latch.wait(AbortSignal.abort()), { code: 1 });
    latch.set({ exitStatus: 1, exitedAt: new Date() });
    assert.equal((await latch.wait(AbortSignal.abort())).exitStatus, 1);
    assert.equal(latch.set({ exitStatus: 2, exitedAt: new Date() }), false);
  });
});
