/**
 * Wine lane: `ProcessTree.startedAt` on the Windows platform (OpenProcess with
 * PROCESS_QUERY_LIMITED_INFORMATION + GetProcessTimes through koffi) under the real Windows node.
 */
import assert from "node:assert/strict";
import { distDir, runDriver, skipUnlessWine } from "./wine-env.js";

interface StartedAtResult {
  child: { pid: number; before: number; spawned: number; startedAt: number | null; again: number | null };
  self: number | null;
  afterExit: { exitedBy: number; startedAt: number | null };
  unknown: number | null;
  error?: string;
}

/** How far the creation time may lie outside the window around `spawn()` (clock steps, Wine). */
const SLACK_MS = 2_000;

describe("wine: Windows ProcessTree.startedAt through GetProcessTimes", function () {
  this.timeout(180_000);

  before(skipUnlessWine);

  it("a child → when it was spawned (±2 s); this process earlier; an exited or unknown pid → undefined", async () => {
    const run = await runDriver<StartedAtResult>(distDir(), "started-at", [], 120_000);
    const r = run.result;
    assert.ok(r && !r.error, `driver failed (${run.exitCode}):\n${r?.error ?? run.output}`);
    const dump = JSON.stringify(r);
    const { child } = r;
    assert.ok(child.pid > 0, dump);
    assert.ok(child.startedAt !== null, `no start time for a live child: ${dump}`);
    assert.ok(child.startedAt >= child.before - SLACK_MS, `started before spawn() was called: ${dump}`);
    assert.ok(child.startedAt <= child.spawned + SLACK_MS, `started after the spawn event: ${dump}`);
    assert.equal(child.again, child.startedAt, "a process's start time does not change");
    assert.ok(r.self !== null && r.self <= child.startedAt, `the driver started before its child: ${dump}`);
    // Gone (handle closed), or the pid already names a process that started later (pid reused).
    assert.ok(
      r.afterExit.startedAt === null || r.afterExit.startedAt > child.startedAt,
      `an exited child still reported as started at the same time: ${dump}`,
    );
    assert.equal(r.unknown, null, dump);
  });
});
