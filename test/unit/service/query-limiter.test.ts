/**
 * The runhcs query limiter's hand-over of a slot: callers whose deadlines fall due together leave the
 * queue before a freed slot reaches them, so a burst of Pids that times out at once starts no `runhcs ps`
 * for callers about to be aborted (the fault suite's 200 Pids with a 3 s deadline).
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { CanceledError } from "../../../src/errdefs.js";
import { QueryLimiter } from "../../../src/service/query-limiter.js";

/** A query as a runhcs call behaves: it runs until its caller's signal aborts it. */
function untilAborted(signal: AbortSignal, started: string[], name: string): () => Promise<void> {
  return () => {
    started.push(name);
    return new Promise((_, reject) =>
      signal.addEventListener("abort", () => reject(new CanceledError(name)), { once: true }),
    );
  };
}

describe("service query limiter", () => {
  it("callers timed out together: the running one is aborted and no waiter is started", async () => {
    const limiter = new QueryLimiter(1, 10);
    const started: string[] = [];
    const callers = Array.from({ length: 6 }, () => new AbortController());
    const calls = callers.map((ac, i) =>
      limiter.run(`q${i}`, untilAborted(ac.signal, started, `q${i}`), ac.signal),
    );
    // Deadlines due together: each caller aborted by its own callback of one batch (as timers due in the
    // same pass), with the microtasks of each run before the next.
    for (const ac of callers) setImmediate(() => ac.abort());
    const results = await Promise.allSettled(calls);
    assert.ok(results.every((r) => r.status === "rejected"));
    await sleep(20);
    assert.deepEqual(started, ["q0"], "a waiter about to be aborted was started");
    assert.equal(limiter.running, 0, "the slot was not given back");
  });

  it("a freed slot reaches the next waiter still waiting, in order", async () => {
    const limiter = new QueryLimiter(1, 10);
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2].map((i) =>
        limiter.run(`q${i}`, async () => {
          order.push(i);
          assert.equal(limiter.running, 1);
          await sleep(5);
        }),
      ),
    );
    assert.deepEqual(order, [0, 1, 2]);
    await sleep(5);
    assert.equal(limiter.running, 0);
  });
});
