/**
 * Wine lane: the Windows runhcs simulator (test/wine/runhcs, run as runhcs.exe) behaves like the real
 * runhcs where the shim depends on it: HCS owns the container's processes (not the `runhcs shim`
 * helpers), runhcs's registry state (internal/regstate) is written and cleared when runhcs does, kill
 * validates signals as internal/signals does, the short-exec race can be forced, and the compute system
 * answers the fake vmcompute.dll's pipe protocol. Drivers: drivers/runhcs-sim*.ts.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { distDir, RUNHCS_EXE, runDriver, skipUnlessWine, winPath } from "./wine-env.js";

// biome-ignore lint/suspicious/noExplicitAny: a driver's JSON report, asserted field by field
type Report = { [key: string]: any; error?: string };

async function drive(name: string): Promise<{ r: Report; dump: string }> {
  const dist = distDir();
  const run = await runDriver<Report>(dist, name, [], 280_000, {
    RUNHCS_BINARY: winPath(RUNHCS_EXE),
    RUNHCS_WINE_SIM_ENTRY: winPath(path.join(dist, "test", "wine", "runhcs", "main.js")),
  });
  const r = run.result;
  assert.ok(r && !r.error, `driver ${name} failed (${run.exitCode}):\n${r?.error ?? run.output}`);
  return { r, dump: `\n${JSON.stringify(r, null, 1)}\n${run.output}` };
}

describe("wine: the runhcs simulator, one WCOW container through its life", function () {
  this.timeout(300_000);
  let r: Report;
  let dump: string;
  before(async function () {
    await skipUnlessWine.call(this);
    ({ r, dump } = await drive("runhcs-sim"));
  });

  it("create: registry state + shim = helper pid, no init pid yet; start: pid and pid-<helper>", () => {
    assert.equal(r.createCode, 0, dump);
    assert.deepEqual(r.afterCreate.state.hasSpec, true, dump);
    assert.equal(r.afterCreate.state.ID, r.id);
    assert.equal(r.afterCreate.shimIsHelper, true, dump);
    assert.equal(r.afterCreate.pid, null, dump);
    assert.equal(r.afterCreate.status, "created");
    assert.equal(r.startCode, 0, dump);
    assert.deepEqual(r.afterStart, {
      status: "running",
      statePidIsHelper: true,
      pidMap: true,
      psHasInit: true,
      initIsHelpersDescendant: false,
      initParentIsHelper: false,
    });
  });

  it("stdio goes through the helper: stdin data and EOF reach the process, its output reaches runhcs's stdout", () => {
    assert.equal(r.initOutput, "init up\ngot:ping\n", dump);
  });

  it("exec's process belongs to the compute system; killing its helper leaves it running", () => {
    assert.deepEqual(
      r.execTopology,
      { code: 0, parentIsComputeSystem: true, isHelpersDescendant: false },
      dump,
    );
    assert.deepEqual(
      r.helperKilled,
      { h1Gone: true, processAlive: true, inPs: true, pidMapKept: true },
      dump,
    );
  });

  it("exec without --detach exits with the helper's exact 32-bit code; the helper clears pid-<helper>", () => {
    assert.deepEqual(r.execWait, { code: 0xc0000005, stdout: "exec out\n", helperGone: true }, dump);
    assert.equal(r.ctrlC.code, 0xc000013a, dump);
    assert.equal(r.ctrlC.pidMapCleared, true, dump);
  });

  it("the fake HCS pipe answers open, terminate and signal", () => {
    assert.deepEqual(
      r.hcs,
      {
        open: "ok",
        openUnknown: "err 0x80070490 process not found",
        badSignal: "err 0x80070057 invalid signal",
        lcowSignalOnWcow: "err 0x80070057 invalid signal",
        terminate: "ok",
        terminatedGone: true,
        openAfter: "err 0x80070490 process not found",
      },
      dump,
    );
    assert.deepEqual(r.ctrlIgnored, { reply: "ok", alive: true }, dump);
    assert.equal(r.ctrlC.reply, "ok", dump);
  });

  it("kill rejects 7 and SIGUSR1 for WCOW with runhcs's `invalid signal value` (stderr and JSON log)", () => {
    assert.deepEqual(r.killInvalid, {
      codes: [1, 1],
      stderr: ["invalid signal value", "invalid signal value"],
      log: ["invalid signal value", "invalid signal value"],
    });
  });

  it("RUNHCS_WINE_SIM_EXEC_RETURN_DELAY_MS=helper-exit: exec --detach returns after the exec and its helper are gone", () => {
    assert.deepEqual(r.race, { code: 0, helperAlive: false, pidMap: null }, dump);
  });

  it("the init's exit stops the container: other processes end, shim = 0, pid-<helper> cleared; delete removes all", () => {
    assert.match(r.deleteRunning.stderr, /cannot delete container .* that is not stopped: running/);
    assert.equal(r.deleteRunning.code, 1);
    assert.equal(r.killInit, 0);
    assert.deepEqual(
      r.afterInitExit,
      {
        initGone: true,
        helperGone: true,
        ignoringExecGone: true,
        status: "stopped",
        shim: 0,
        pidMapCleared: true,
        initPidKept: true,
        killAgain: "container is stopped",
        computeSystemAlive: true,
      },
      dump,
    );
    assert.deepEqual(r.deleted, { code: 0, key: false, pipe: "nopipe", computeSystemGone: true }, dump);
  });
});

describe("wine: the runhcs simulator's delete --force and LCOW signals", function () {
  this.timeout(300_000);
  before(skipUnlessWine);

  it("delete --force ends processes and helpers before it returns; LCOW kill takes 1..31 and names without SIG", async () => {
    const { r, dump } = await drive("runhcs-sim-delete");
    assert.deepEqual(
      r.force,
      { code: 0, stderr: "", recorded: true, aliveAtReturn: [], key: false, computeSystemGone: true },
      dump,
    );
    assert.deepEqual(
      r.lcow,
      {
        SIGUSR1: "1 invalid signal value",
        zero: "1 invalid signal value",
        n32: "1 invalid signal value",
        CTRLC: "1 invalid signal value",
        USR1: "0",
        initGone: true,
      },
      dump,
    );
    assert.equal(r.lcowKey, false, dump);
  });
});
