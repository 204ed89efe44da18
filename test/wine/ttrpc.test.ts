/**
 * Wine lane: src/ttrpc over a real Windows named pipe (the shim's Task API transport on Windows).
 */
import assert from "node:assert/strict";
import { distDir, runDriver, skipUnlessWine } from "./wine-env.js";

interface TtrpcResult {
  bigOk: boolean[];
  manyOk: number;
  over: string;
  error?: string;
}

describe("wine: ttrpc over a Windows named pipe", function () {
  this.timeout(180_000);

  before(skipUnlessWine);

  it("payloads up to the 4 MiB limit intact, 200 concurrent calls, an over-limit request refused", async () => {
    const run = await runDriver<TtrpcResult>(distDir(), "ttrpc", [], 150_000);
    const r = run.result;
    assert.ok(r && !r.error, `driver failed (${run.exitCode}):\n${r?.error ?? run.output}`);
    assert.deepEqual(r.bigOk, [true, true, true, true, true, true, true]);
    assert.equal(r.manyOk, 200);
    assert.match(r.over, /exceed maximum message size of 4194304/);
  });
});
