/**
 * Wine lane: `runhcs create` hanging (ended at create_timeout_in_sec) or dying after it created runhcs's
 * registry state and the compute system: Create fails with the right code and nothing is left behind
 * (the shim runs `runhcs delete --force` after any failed attempt).
 */
import assert from "node:assert/strict";
import path from "node:path";
import { distDir, RUNHCS_EXE, runDriver, skipUnlessWine, winPath } from "./wine-env.js";

const DEADLINE_EXCEEDED = 4;
const UNKNOWN = 2;

describe("wine: create that hangs or dies half way leaves nothing behind", function () {
  this.timeout(300_000);
  before(skipUnlessWine);

  it("hung create → DeadlineExceeded after create_timeout_in_sec; crashed create → its error; no state, no compute system", async () => {
    const dist = distDir();
    const run = await runDriver<Record<string, Record<string, unknown>> & { error?: string }>(
      dist,
      "shim-create-faults",
      [],
      240_000,
      {
        RUNHCS_BINARY: winPath(RUNHCS_EXE),
        RUNHCS_WINE_SIM_ENTRY: winPath(path.join(dist, "test", "wine", "runhcs", "main.js")),
      },
    );
    const r = run.result;
    assert.ok(r, `driver wrote no result (${run.exitCode}):\n${run.output}`);
    const dump = `\n${JSON.stringify(r, null, 1)}\n${run.output}`;
    assert.equal(r.error, undefined, dump);
    const { hang, crash } = r as Record<string, Record<string, unknown>>;
    assert.equal(hang?.code, DEADLINE_EXCEEDED, dump);
    assert.ok((hang?.createMs as number) >= 5_000, dump);
    assert.equal(crash?.code, UNKNOWN, dump);
    for (const c of [hang, crash]) {
      assert.equal(c?.registryKeyLeft, false, `runhcs state left behind${dump}`);
      assert.equal(c?.computeSystem, "nopipe", `compute system left running${dump}`);
      assert.deepEqual(c?.bundleFiles, ["address", "config.json", "shim-created", "shim.pid"], dump);
      assert.equal(c?.shimExited, true, dump);
    }
  });
});
