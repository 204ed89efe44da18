/**
 * Wine lane: the Windows ProcessTree (the Toolhelp fallback: `@vscode/windows-process-tree` is not
 * installed here) lists real descendants under the Windows node.
 */
import assert from "node:assert/strict";
import { distDir, runDriver, skipUnlessWine } from "./wine-env.js";

interface TreeResult {
  child: number;
  grandchild: number;
  belowChild: number[];
  selfHasBoth: boolean;
  unknown: number[];
  error?: string;
}

describe("wine: Windows ProcessTree through a Toolhelp snapshot", function () {
  this.timeout(180_000);

  before(skipUnlessWine);

  it("descendants of a child (its grandchild), of the driver (both), of an unknown pid (none)", async () => {
    const run = await runDriver<TreeResult>(distDir(), "tree", [], 120_000);
    const r = run.result;
    assert.ok(r && !r.error, `driver failed (${run.exitCode}):\n${r?.error ?? run.output}`);
    assert.ok(r.grandchild > 0);
    assert.deepEqual(r.belowChild, [r.grandchild]);
    assert.equal(r.selfHasBoth, true);
    assert.deepEqual(r.unknown, []);
  });
});
