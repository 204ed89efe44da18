/**
 * Wine lane: `shim delete` and runhcs pid files on the Windows platform (src/shim/delete.ts helperPid +
 * ProcessTree.startedAt through GetProcessTimes): a stale pid file naming a process that reused the pid
 * leaves that process alone; a fresh one naming a live helper kills it and its child. The posix twin is
 * test/unit/shim/delete-stale-pid.test.ts.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { distDir, RUNHCS_EXE, runDriver, skipUnlessWine, winPath } from "./wine-env.js";

interface DeleteRun {
  code: number | null;
  stderr: string;
  exitStatus?: number;
  bundleFiles: string[];
}

interface DeletePidsResult {
  stale: DeleteRun & { unrelated: number[]; stillRunning: number[]; mtimeAgeMs: number[] };
  fresh: DeleteRun & { helpers: { pid: number; child: number }[]; checked: number; left: number[] };
  error?: string;
}

describe("wine: shim delete and runhcs pid files (Windows start times)", function () {
  this.timeout(300_000);
  let state: string;
  let r: DeletePidsResult;
  let dump: string;

  before(async function () {
    await skipUnlessWine.call(this);
    state = fs.mkdtempSync(path.join(os.tmpdir(), "wine-runhcs-state-"));
    try {
      const dist = distDir();
      const run = await runDriver<DeletePidsResult>(dist, "shim-delete-pids", [], 240_000, {
        RUNHCS_BINARY: winPath(RUNHCS_EXE),
        RUNHCS_WINE_SIM_ENTRY: winPath(path.join(dist, "test", "wine", "runhcs", "main.js")),
        RUNHCS_WINE_SIM_STATE: winPath(state),
      });
      assert.ok(
        run.result && !run.result.error,
        `driver failed (${run.exitCode}):\n${run.result?.error ?? run.output}`,
      );
      r = run.result;
      dump = `\n${JSON.stringify(r, null, 1)}\n${run.output}`;
    } finally {
      fs.rmSync(state, { recursive: true, force: true });
    }
  });

  it("pid files written an hour ago naming processes started now → not killed, a warning each", () => {
    const { stale } = r;
    assert.equal(stale.code, 0, dump);
    assert.equal(stale.exitStatus, 255, dump);
    assert.ok(
      stale.mtimeAgeMs.every((age) => age > 3_000_000),
      `pid files not back-dated: ${dump}`,
    );
    assert.equal(stale.unrelated.length, 2);
    assert.deepEqual(stale.stillRunning, stale.unrelated, `delete killed an unrelated process: ${dump}`);
    // The decision came from a start time (not from an unreadable one, which is silent).
    for (const pid of stale.unrelated) {
      assert.match(
        stale.stderr,
        new RegExp(`pid ${pid} from .* started after the file was written: not killed`),
        dump,
      );
    }
    assert.deepEqual(stale.bundleFiles, ["config.json"]);
  });

  it("pid files written after their helpers started → helpers and their children killed", () => {
    const { fresh } = r;
    assert.equal(fresh.code, 0, dump);
    assert.equal(fresh.stderr, "", dump);
    assert.equal(fresh.exitStatus, 255, dump);
    assert.equal(fresh.checked, 4);
    assert.ok(
      fresh.helpers.every((h) => h.pid > 0 && h.child > 0),
      dump,
    );
    assert.deepEqual(fresh.left, [], `still running after delete: ${dump}`);
    assert.deepEqual(fresh.bundleFiles, ["config.json"]);
  });
});
