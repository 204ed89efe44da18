/**
 * Wine lane: execs that end at once keep their exact exit codes (0, 255, 256, 1234, 0xC0000005, ...).
 * With `runhcs exec --detach` a short exec and its helper may be gone before the shim could open the
 * helper, and the exit was then reported as 255. The simulator makes that happen every time here
 * (RUNHCS_WINE_SIM_EXEC_RETURN_DELAY_MS=helper-exit: the pid file appears only once the helper has
 * exited), so each exec exercises the race. The test command runs 12 (about 1.7 s of CPU each under
 * Wine); `WINE_SHORT_EXECS=200` runs the full proof of issue 9 (done 2026-12-01: 200 of 200 exact, 340 s).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { distDir, RUNHCS_EXE, runDriver, skipUnlessWine, winPath } from "./wine-env.js";

describe("wine: short execs keep their exact exit codes", function () {
  this.timeout(600_000);
  let state: string;

  before(skipUnlessWine);
  beforeEach(() => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), "wine-short-state-"));
  });
  afterEach(() => fs.rmSync(state, { recursive: true, force: true }));

  const count = Number(process.env["WINE_SHORT_EXECS"] ?? "12");

  it(`${count} execs of \`cmd /c exit N\`, each gone before its pid file: Wait and Delete report N`, async () => {
    const dist = distDir();
    const run = await runDriver<Record<string, unknown>>(
      dist,
      "shim-short-execs",
      [String(count), "8"],
      540_000,
      {
        RUNHCS_BINARY: winPath(RUNHCS_EXE),
        RUNHCS_WINE_SIM_ENTRY: winPath(path.join(dist, "test", "wine", "runhcs", "main.js")),
        RUNHCS_WINE_SIM_STATE: winPath(state),
        RUNHCS_WINE_SIM_EXEC_RETURN_DELAY_MS: "helper-exit",
      },
    );
    const r = run.result;
    assert.ok(r, `driver wrote no result (${run.exitCode}):\n${run.output}`);
    assert.equal(r.error, undefined, `${r.error}\n${run.output}`);
    assert.deepEqual(r.wrong, []);
    assert.equal(r.shimExited, true);
    console.log(`      (${count} execs in ${r.ms} ms)`);
  });
});
