/**
 * Wine lane: the Windows ProcessWaiter (OpenProcess + RegisterWaitForSingleObject + GetExitCodeProcess
 * through koffi) on the real Windows node under Wine, for processes that are not the waiter's children.
 */
import assert from "node:assert/strict";
import { distDir, runDriver, skipUnlessWine } from "./wine-env.js";

interface WaiterResult {
  codes: number[];
  pendingWhileRunning: number;
  pendingAfter: number;
  gone: { rejected?: string; message?: string; resolved?: number };
  error?: string;
}

describe("wine: Windows ProcessWaiter with the real kernel32", function () {
  this.timeout(180_000);

  before(skipUnlessWine);

  it("exact exit codes of orphans (3, 1234, 0xC0000005) without polling; a vanished pid is NotFound", async () => {
    const run = await runDriver<WaiterResult>(distDir(), "waiter", ["3", "1234", "-1073741819"], 120_000);
    assert.ok(
      run.result && !run.result.error,
      `driver failed (${run.exitCode}):\n${run.result?.error ?? run.output}`,
    );
    const r = run.result;
    assert.deepEqual(r.codes, [3, 1234, 0xc0000005]);
    assert.equal(r.pendingWhileRunning, 3);
    assert.equal(r.pendingAfter, 0);
    assert.equal(r.gone.rejected, "NotFoundError", JSON.stringify(r.gone));
  });
});
