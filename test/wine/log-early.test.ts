/**
 * Wine lane: the shim server's log pipe exists before the Task service graph loads (containerd dials
 * `\\.\pipe\containerd-shim-<ns>-<id>-log` for 5 s only). The driver holds the load of serve.js with a
 * module hook (test code) and dials the pipes while it is held.
 */
import assert from "node:assert/strict";
import { distDir, runDriver, skipUnlessWine } from "./wine-env.js";

interface LogEarlyReport {
  error?: string;
  logPipeWhileGraphLoads?: boolean;
  taskPipeWhileGraphLoads?: boolean;
  logHasServing?: boolean;
  exitCode?: number | null;
}

describe("wine: the shim server's log pipe before its module graph", function () {
  this.timeout(180_000);

  before(skipUnlessWine);

  it("accepts on the log pipe while serve.js is still loading; the task pipe comes after", async () => {
    const run = await runDriver<LogEarlyReport>(distDir(), "log-early", [], 150_000);
    const r = run.result;
    assert.ok(r && !r.error, `driver failed (${run.exitCode}):\n${r?.error ?? run.output}`);
    const dump = `${JSON.stringify(r)}\n${run.output}`;
    assert.equal(r.taskPipeWhileGraphLoads, false, dump);
    assert.equal(r.logPipeWhileGraphLoads, true, dump);
    assert.equal(r.logHasServing, true, dump);
    assert.equal(r.exitCode, 0, dump);
  });
});
