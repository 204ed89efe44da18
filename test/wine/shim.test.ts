/**
 * Wine lane: the shim binary on the real Windows node, as containerd drives it, against the Wine runhcs
 * simulator: `start` → named-pipe address; Task API over that pipe (Connect, Create, Start, Exec, Kill,
 * Wait with exact exit codes, Delete, Shutdown); events forwarded to TTRPC_ADDRESS; log pipe; `delete`.
 * The driver runs under Wine (Linux cannot dial a Wine pipe) and reports what it saw.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Status } from "../../src/gen/containerd/types/task/task_pb.js";
import { distDir, RUNHCS_EXE, runDriver, skipUnlessFakeHcs, skipUnlessWine, winPath } from "./wine-env.js";

interface ShimReport {
  id: string;
  error?: string;
  start?: { code: number | null; stdout: string; stderr: string };
  [key: string]: unknown;
}

describe("wine: the shim binary with the Windows node and a runhcs.exe simulator", function () {
  this.timeout(300_000);
  let state: string;
  let report: ShimReport | undefined;

  before(skipUnlessWine);
  beforeEach(() => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), "wine-runhcs-state-"));
  });
  afterEach(() => fs.rmSync(state, { recursive: true, force: true }));

  it("start, Connect, Create, Start, Exec (1234), Kill, Wait, Delete, Shutdown, delete", async () => {
    const dist = distDir();
    const run = await runDriver<ShimReport>(dist, "shim", [], 240_000, {
      RUNHCS_BINARY: winPath(RUNHCS_EXE),
      RUNHCS_WINE_SIM_ENTRY: winPath(path.join(dist, "test", "wine", "runhcs", "main.js")),
      RUNHCS_WINE_SIM_STATE: winPath(state),
    });
    const r = run.result;
    assert.ok(r, `driver wrote no result (${run.exitCode}):\n${run.output}`);
    assert.equal(r.error, undefined, `${r.error}\n${JSON.stringify(r, null, 1)}\n${run.output}`);
    const dump = `\n${JSON.stringify(r, null, 1)}\n${run.output}`;
    assert.equal(r.start?.code, 0, dump);
    // A bare pipe name (no unix:// prefix), hcsshim's protected name, listening before start returned.
    assert.equal(
      r.start?.stdout,
      `\\\\.\\pipe\\ProtectedPrefix\\Administrators\\containerd-shim-wine-${r.id}-pipe`,
    );
    assert.deepEqual(r.bundleFilesAfterStart, ["address", "config.json", "shim-created", "shim.pid"]);
    assert.deepEqual(r.secondStart, { code: 0, sameAddress: true, samePid: true });
    assert.equal(r.shimPidMatchesFile, true);
    const connect = r.connect as { shimPid: number; taskPid: number };
    assert.ok(connect.shimPid > 0);
    assert.equal(connect.taskPid, 0);
    assert.ok((r.createPid as number) > 0);
    assert.equal(r.startPid, r.createPid);
    assert.equal(r.stateAfterStart, Status.RUNNING);
    assert.deepEqual(r.exec1234, {
      pid: (r.exec1234 as { pid: number }).pid,
      exitStatus: 1234,
      stdout: "exec says hi\n",
    });
    // Kill of the init: runhcs kill 15 = CtrlShutdown; the simulator's default console control handler
    // ends the process with STATUS_CONTROL_C_EXIT (test/wine/README.md). The exec's Kill is asserted
    // in its own (pending) test below.
    assert.deepEqual(r.initKilled, { exitStatus: 0xc000013a, stdout: "init up\n" });
    const deletes = r.deletes as number[];
    assert.deepEqual([deletes[0], deletes[2]], [1234, 0xc000013a]);
    assert.deepEqual(r.bundleFilesAfterDelete, ["address", "config.json", "shim-created", "shim.pid"]);
    assert.equal(r.shutdownError, undefined);
    assert.equal(r.shimExited, true);
    assert.deepEqual(
      [...(r.eventTopics as string[])].sort(),
      [
        ...["/tasks/create", "/tasks/start", "/tasks/exec-added", "/tasks/exec-added"],
        ...["/tasks/exec-started", "/tasks/exec-started", "/tasks/exit", "/tasks/exit", "/tasks/exit"],
        ...["/tasks/delete", "/tasks/delete", "/tasks/delete"],
      ].sort(),
    );
    const log = r.logLines as { first: number; newest: string[] };
    assert.ok(log.newest.includes("shim exited"), `newest log connection got ${log.newest}`);
    assert.deepEqual(r.deleteAction, { code: 0, stderr: "", exitStatus: 255 });
    assert.deepEqual(r.bundleFilesAfterDeleteAction, ["config.json"]);
    assert.deepEqual(r.processesLeft, []);
    // runhcs delete removed runhcs's registry state of the container.
    assert.equal(r.registryKeyLeft, false);
    report = r;
  });

  // With the faithful simulator the exec's process belongs to the compute system, not to the runhcs
  // helper the shim kills: Wait reports the helper's death while the process runs on (issue 9, 3.1).
  it("Kill of an exec ends the exec's container process, reached through HCS (not its runhcs helper)", function () {
    skipUnlessFakeHcs.call(this);
    const k = report?.execKilled as { exitStatus: number; recorded: boolean; processGone: boolean };
    assert.ok(k, "the first test did not run");
    assert.equal(k.recorded, true);
    assert.equal(k.processGone, true, "the exec's process still runs after Kill + Wait");
    assert.equal(k.exitStatus, 1);
    assert.equal((report?.deletes as number[] | undefined)?.[1], 1);
  });

  it("delete stops a server containerd gave up on (no Shutdown), from another cwd; nothing left running", async function () {
    const dist = distDir();
    // Pending until src/shim/delete.ts stops a live server on Windows (patch in h11's report, issue 6):
    // without /proc it cannot recognise the server by pid, so today the server is left running.
    if (!fs.readFileSync(path.join(dist, "src", "shim", "delete.js"), "utf8").includes("shutdownServer")) {
      console.log("    pending: src/shim/delete.ts has no Windows shutdown of a live server yet");
      this.skip();
    }
    const run = await runDriver<ShimReport>(dist, "shim-abandoned", [], 240_000, {
      RUNHCS_BINARY: winPath(RUNHCS_EXE),
      RUNHCS_WINE_SIM_ENTRY: winPath(path.join(dist, "test", "wine", "runhcs", "main.js")),
      RUNHCS_WINE_SIM_STATE: winPath(state),
    });
    const r = run.result;
    assert.ok(r && !r.error, `driver failed (${run.exitCode}):\n${r?.error ?? run.output}`);
    assert.deepEqual(r.deleteAction, { code: 0, stderr: "", exitStatus: 255 });
    assert.equal(r.processesChecked, 3);
    assert.deepEqual(r.processesLeft, []);
    assert.deepEqual(r.bundleFiles, ["config.json"]);
  });
});
