/**
 * runhcs queries are bounded (issue 10 item 5): 200 concurrent Pids calls run at most QUERY_CONCURRENCY
 * `runhcs ps` at once, the rest wait in a bounded queue (beyond it: Unavailable at once), a cancelled caller
 * leaves the queue, and lifecycle calls (Kill) and State never wait behind them.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CanceledError, UnavailableError } from "../../../src/errdefs.js";
import { QUERY_CONCURRENCY, QUERY_MAX_WAITING } from "../../../src/service/query-limiter.js";
import { TaskRegistry } from "../../../src/service/task-registry.js";
import { deferred } from "../../fakes/process-ops.js";
import { FakeDeps } from "../../fakes/service-deps.js";

const ID = "task1";

describe("Task: runhcs queries are bounded, lifecycle calls are not held up by them", () => {
  let dir: string;
  let fakes: FakeDeps;
  let task: TaskRegistry;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "task-queries-"));
    const bundle = join(dir, "bundle");
    await mkdir(bundle);
    await writeFile(join(bundle, "config.json"), JSON.stringify({ process: { args: ["cmd"] } }));
    fakes = new FakeDeps();
    task = new TaskRegistry(fakes.deps(ID, {}, bundle));
    await task.create({
      id: ID,
      bundle,
      rootfs: [],
      stdio: { stdin: "", stdout: "", stderr: "", terminal: false },
      options: { debug: false, registryRoot: "", createTimeoutMs: 60_000 },
    });
    await task.start(ID, "");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("200 concurrent Pids: at most the bound of runhcs ps at once; Kill and State answer meanwhile", async () => {
    const gate = deferred();
    fakes.runhcs.psGate = gate.promise;
    fakes.runhcs.psPids = [42];
    const calls = Array.from({ length: 200 }, () => task.pids(ID));
    await new Promise((r) => setImmediate(r));
    assert.equal(fakes.runhcs.psRunning, QUERY_CONCURRENCY);
    await task.kill(ID, "", 9, false); // not queued behind the queries
    assert.ok(fakes.runhcs.calls.includes(`kill ${ID} 9`));
    assert.equal(task.state(ID, "").status, "running");
    gate.resolve();
    const results = await Promise.all(calls);
    assert.equal(results.length, 200);
    assert.ok(results.every((r) => r.length === 1 && r[0]?.pid === 42));
    assert.equal(fakes.runhcs.psMostAtOnce, QUERY_CONCURRENCY);
    assert.equal(fakes.runhcs.calls.filter((c) => c.startsWith("ps")).length, 200);
  });

  it("beyond the waiting bound: Unavailable at once; a cancelled caller leaves the queue without running ps", async () => {
    const gate = deferred();
    fakes.runhcs.psGate = gate.promise;
    const held = Array.from({ length: QUERY_CONCURRENCY + QUERY_MAX_WAITING }, () => task.pids(ID));
    await assert.rejects(task.pids(ID), UnavailableError);
    gate.resolve();
    await Promise.all(held);
    const gate2 = deferred();
    fakes.runhcs.psGate = gate2.promise;
    const before = fakes.runhcs.calls.length;
    const running = Array.from({ length: QUERY_CONCURRENCY }, () => task.pids(ID));
    const ac2 = new AbortController();
    const waiting = task.pids(ID, ac2.signal);
    ac2.abort();
    await assert.rejects(waiting, CanceledError);
    gate2.resolve();
    await Promise.all(running);
    assert.equal(fakes.runhcs.calls.length - before, QUERY_CONCURRENCY, "the cancelled query ran ps");
  });
});
