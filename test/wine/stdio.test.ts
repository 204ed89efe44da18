/**
 * Wine lane: src/stdio's Windows pieces on the real Windows node: named-pipe upstreams dialed by the
 * windows opener, uv_pipe pipes inherited by a detached helper that outlives its parent (runhcs's
 * pattern), CloseIO, and outputDone only after the helper closed its ends.
 */
import assert from "node:assert/strict";
import { distDir, runDriver, skipUnlessWine } from "./wine-env.js";

interface StdioResult {
  runhcsExit: number | null;
  outputDoneBeforeHelper: boolean;
  stdout: string;
  stderr: string;
  error?: string;
}

describe("wine: stdio relay over named pipes and uv_pipe", function () {
  this.timeout(180_000);

  before(skipUnlessWine);

  it("a detached helper inherits the pipes: stdin round trip, CloseIO gives EOF, output relayed", async () => {
    const run = await runDriver<StdioResult>(distDir(), "stdio", [], 120_000);
    assert.ok(
      run.result && !run.result.error,
      `driver failed (${run.exitCode}):\n${run.result?.error ?? run.output}`,
    );
    assert.deepEqual(run.result, {
      runhcsExit: 0,
      outputDoneBeforeHelper: false,
      stdout: "got:ping\n",
      stderr: "err\n",
    });
  });
});
