/**
 * `shim delete` after the shim died long ago: a pid in a pid file may now name an unrelated process (pids
 * are recycled; on Windows quickly). Only a process that started before its pid file was written is the
 * runhcs helper and may be killed.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordCreated } from "../../../src/bundle/created-files.js";
import { deleteShim } from "../../../src/shim/delete.js";
import { defaultFlags } from "../../../src/shim/flags.js";

describe("shim delete and stale pid files", function () {
  this.timeout(30_000);
  let dir: string;
  let bundle: string;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "del-stale-"));
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
    it(`a pid in a stale ${file} that now names an unrelated process → not killed`, async () => {
      // An unrelated process that started long after the pid file was written (pid recycled).
      const unrelated = spawn("sleep", ["1000"], { stdio: "ignore" });
      children.push(unrelated);
      await new Promise((r) => unrelated.once("spawn", r));
      const pidFile = join(bundle, file);
      recordCreated(bundle, [file]); // the shim's own pid file, only old
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
