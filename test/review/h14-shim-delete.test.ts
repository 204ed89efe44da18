/**
 * Review h14, finding 1: `shim delete` SIGKILLs whatever process now has a pid read from a STALE pid
 * file in the bundle (and every descendant of it), without checking that it is still the runhcs helper
 * that wrote it. Unlike `shim.pid` (checked against /proc/<pid>/cmdline by `isServerOf`).
 *
 * Scenario: the shim died (OOM kill, node crash) or an exec was never deleted; the container's helper
 * exited long ago and its pid was recycled; containerd runs `shim delete` on restart → an unrelated
 * host process (and its tree) is killed. Windows recycles pids especially fast.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deleteShim } from "../../src/shim/delete.js";
import { defaultFlags } from "../../src/shim/flags.js";

describe("review h14: shim delete and stale pid files", function () {
  this.timeout(30_000);
  let dir: string;
  let bundle: string;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "h14-del-"));
    bundle = join(dir, "bundle");
    mkdirSync(bundle, { recursive: true });
    writeFileSync(join(bundle, "config.json"), "{}");
  });

  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  const notFound = { delete: async () => Promise.reject(new Error("container t is not present for id")) };

  for (const file of ["runhcs-pidfile.pid", "runhcs-exec-e1-pidfile.pid"]) {
    it.skip(`BUG h14-1: a pid in a stale ${file} that now names an unrelated process → that process is SIGKILLed`, async () => {
      // An unrelated process that started long after the pid file was written (pid recycled).
      const unrelated = spawn("sleep", ["1000"], { stdio: "ignore" });
      children.push(unrelated);
      await new Promise((r) => unrelated.once("spawn", r));
      const pidFile = join(bundle, file);
      writeFileSync(pidFile, String(unrelated.pid));
      const anHourAgo = new Date(Date.now() - 3_600_000);
      utimesSync(pidFile, anHourAgo, anHourAgo);

      await deleteShim(
        { ...defaultFlags(), namespace: "unit", id: "t", bundle },
        { runhcs: notFound, warn: () => {} },
      );
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(
        unrelated.signalCode,
        null,
        `delete killed an unrelated process (${unrelated.signalCode})`,
      );
    });
  }
});
