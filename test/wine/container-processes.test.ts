/**
 * Wine lane: the Windows ContainerProcesses seam through the real koffi bindings of vmcompute.dll (the fake
 * HCS of test/wine/vmcompute, installed in the prefix's System32 so the production load path is used) and
 * of advapi32 (runhcs's registry state, written by the driver as a volatile key), against a compute-system
 * stub that owns a victim process.
 */
import assert from "node:assert/strict";
import { distDir, runDriver, skipUnlessFakeHcs, skipUnlessWine } from "./wine-env.js";

interface Outcome {
  ok?: true;
  name?: string;
  code?: number;
  message?: string;
  outstanding: number;
  requests: string[];
}

interface Result {
  error?: string;
  keyPath: string;
  registry: {
    containerPid: number;
    initPid: number;
    lcow: boolean;
    missingHelper: number | null;
    missingContainer: number | null;
  };
  leak: { rawHr: number; leakVisible: number; rawResult: string; leakFreed: number };
  wcowTerm: Outcome;
  wcowCtrlC: Outcome;
  lcowUsr1: Outcome;
  invalid: Outcome;
  missingHelper: Outcome;
  accessDenied: Outcome;
  aliveAfterSignals: boolean;
  noVmcompute: Outcome;
  terminate: Outcome;
  victimExit: { code: number | null; signal: string | null };
  terminateAgain: Outcome;
  signalAfterExit: Outcome;
  noComputeSystem: Outcome;
}

// gRPC codes of src/errdefs.ts classes.
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;

describe("wine: ContainerProcesses through vmcompute.dll and runhcs's registry state", function () {
  this.timeout(180_000);

  let r: Result;
  before(async function () {
    await skipUnlessWine.call(this);
    skipUnlessFakeHcs.call(this);
    const run = await runDriver<Result>(distDir(), "container-processes", [], 150_000);
    assert.ok(
      run.result && !run.result.error,
      `driver failed (${run.exitCode}):\n${run.result?.error ?? run.output}`,
    );
    r = run.result;
  });

  it("reads runhcs's key (url.PathEscape'd root and id): pid-<helper>, pid, state; missing → undefined", () => {
    assert.match(r.keyPath, /^SOFTWARE\\Microsoft\\runhcs\\C:%5Cwine%20test%2Froot\\ctr-\d+$/);
    assert.deepEqual(r.registry, {
      containerPid: 7,
      initPid: 7,
      lcow: false,
      missingHelper: null,
      missingContainer: null,
    });
  });

  it("the fake's counter sees a result that is not freed, and its CoTaskMemFree", () => {
    assert.equal(r.leak.rawHr, 0);
    assert.equal(r.leak.leakVisible, 1);
    assert.equal(r.leak.rawResult, '{"Error":0}');
    assert.equal(r.leak.leakFreed, 0);
  });

  it("signals pass hcsshim's options JSON as UTF-16 (WCOW by name, LCOW by number); the victim lives on", () => {
    for (const o of [r.wcowTerm, r.wcowCtrlC, r.lcowUsr1]) assert.equal(o.ok, true, o.message);
    assert.deepEqual(r.wcowTerm.requests, ["open 7", 'signal 7 {"Signal":"CtrlShutdown"}']);
    assert.deepEqual(r.wcowCtrlC.requests, ["open 7", 'signal 7 {"Signal":"CtrlC"}']);
    assert.deepEqual(r.lcowUsr1.requests, ["open 7", 'signal 7 {"Signal":10}']);
    assert.equal(r.aliveAfterSignals, true);
  });

  it("signal 9 → HcsTerminateProcess: the victim is killed; again → NotFound (already finished)", () => {
    assert.equal(r.terminate.ok, true, r.terminate.message);
    assert.deepEqual(r.terminate.requests, ["open 7", "terminate 7"]);
    assert.equal(r.victimExit.signal, "SIGKILL");
    assert.equal(r.terminateAgain.code, NOT_FOUND, r.terminateAgain.message);
    assert.match(r.terminateAgain.message ?? "", /process already finished/);
    assert.equal(r.signalAfterExit.code, NOT_FOUND, r.signalAfterExit.message);
  });

  it("NotFound without runhcs state for the helper and without a compute system; InvalidArgument for a bad signal", () => {
    assert.equal(r.missingHelper.code, NOT_FOUND, r.missingHelper.message);
    assert.deepEqual(r.missingHelper.requests, []);
    assert.equal(r.noComputeSystem.code, NOT_FOUND, r.noComputeSystem.message);
    assert.match(r.noComputeSystem.message ?? "", /does not exist/);
    assert.equal(r.invalid.code, INVALID_ARGUMENT, r.invalid.message);
    assert.deepEqual(r.invalid.requests, []);
  });

  it("FailedPrecondition for access denied (E_ACCESSDENIED) and for a vmcompute.dll that cannot be loaded", () => {
    assert.equal(r.accessDenied.code, FAILED_PRECONDITION, r.accessDenied.message);
    assert.match(r.accessDenied.message ?? "", /access denied/);
    assert.equal(r.noVmcompute.code, FAILED_PRECONDITION, r.noVmcompute.message);
    assert.match(r.noVmcompute.message ?? "", /vmcompute\.dll/);
  });

  it("every HCS result string was freed with CoTaskMemFree, after every call", () => {
    for (const [name, o] of Object.entries(r)) {
      if (o && typeof o === "object" && "outstanding" in o) assert.equal(o.outstanding, 0, name);
    }
  });
});
