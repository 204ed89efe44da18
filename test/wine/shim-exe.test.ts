/**
 * Wine lane: the single executable (`build/containerd-shim-runhcs-v1.exe` from `npm run build:exe`: the
 * bundled shim and koffi's Windows addon as a SEA asset) driven like test/wine/shim.test.ts by the same
 * driver against the Windows runhcs simulator: start, Task API over its pipe, exact exit codes, Delete,
 * Shutdown, the `delete` action, nothing left running. The hosted CI job builds the .exe before the Windows
 * selection; the Wine lane (scripts/run-tests/wine-host.mjs) builds it before its Wine-hosted run.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { distDir, RUNHCS_EXE, runDriver, skipUnlessWine, winPath } from "./wine-env.js";

/** What `npm run build:exe` produces (repo root = cwd). */
const SHIM_EXE = path.resolve("build", "containerd-shim-runhcs-v1.exe");

interface ShimReport {
  id: string;
  error?: string;
  start?: { code: number | null; stdout: string; stderr: string };
  [key: string]: unknown;
}

describe("wine: the single-executable shim (.exe) against the runhcs.exe simulator", function () {
  this.timeout(300_000);
  let state: string;

  before(skipUnlessWine);
  beforeEach(() => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), "wine-runhcs-state-"));
  });
  afterEach(() => fs.rmSync(state, { recursive: true, force: true }));

  it("start, Connect, Create, Start, Exec (1234), Kill, Wait, Delete, Shutdown, delete; nothing left", async () => {
    assert.ok(fs.existsSync(SHIM_EXE), `${SHIM_EXE} is missing: run npm run build:exe first`);
    const dist = distDir();
    const run = await runDriver<ShimReport>(dist, "shim", [], 240_000, {
      WINE_SHIM_EXE: winPath(SHIM_EXE),
      RUNHCS_BINARY: winPath(RUNHCS_EXE),
      RUNHCS_WINE_SIM_ENTRY: winPath(path.join(dist, "test", "wine", "runhcs", "main.js")),
      RUNHCS_WINE_SIM_STATE: winPath(state),
    });
    const r = run.result;
    assert.ok(r, `driver wrote no result (${run.exitCode}):\n${run.output}`);
    const dump = `\n${JSON.stringify(r, null, 1)}\n${run.output}`;
    assert.equal(r.error, undefined, dump);
    assert.equal(r.tempLeft, undefined, `a process of the run still holds a file: ${dump}`);
    assert.deepEqual(r.shimCommand, [winPath(SHIM_EXE)], "the driver did not run the .exe");
    assert.equal(r.start?.code, 0, dump);
    assert.equal(
      r.start?.stdout,
      `\\\\.\\pipe\\ProtectedPrefix\\Administrators\\containerd-shim-wine-${r.id}-pipe`,
      dump,
    );
    assert.equal((r.exec1234 as { exitStatus: number }).exitStatus, 1234, dump);
    assert.equal((r.exec1234 as { stdout: string }).stdout, "exec says hi\n", dump);
    assert.equal(r.shutdownError, undefined, dump);
    assert.equal(r.shimExited, true, dump);
    assert.equal((r.deleteAction as { code: number }).code, 0, dump);
    assert.deepEqual(r.processesLeft, [], dump);
  });
});
