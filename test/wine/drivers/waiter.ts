/**
 * Wine driver: src/platform's Windows ProcessWaiter with the real kernel32 (koffi) on processes that are
 * NOT this process's children: an intermediate node.exe starts a detached grandchild, prints its pid and
 * exits; the grandchild exits later with a chosen code. Reports each code seen, and what happens for a
 * pid that no longer exists.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadKernel32 } from "../../../src/platform/windows-kernel32.js";
import { WindowsProcessWaiter } from "../../../src/platform/windows-waiter.js";
import { driverArgs, removeTemp, runDriver, within } from "./report.js";

/**
 * Starts an orphan that exits with `code` once the file `go` exists (a fixed delay raced the waits on a
 * loaded machine: an orphan gone before its wait began is NotFound); resolves with its pid once its
 * parent is gone.
 */
function orphan(code: number, go: string): Promise<{ pid: number; parentPid: number }> {
  const grandchild = `setInterval(() => require("node:fs").existsSync(${JSON.stringify(go)}) && process.exit(${code}), 20)`;
  const parent = `const c = require("node:child_process").spawn(process.execPath, ["-e", ${JSON.stringify(
    grandchild,
  )}], { detached: true, stdio: "ignore" }); c.unref(); process.stdout.write(String(c.pid));`;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["-e", parent], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    p.once("error", reject);
    p.once("close", (exit) => {
      const pid = Number(out);
      if (exit !== 0 || !Number.isInteger(pid) || pid <= 0)
        reject(new Error(`parent failed: ${exit} ${out}`));
      else resolve({ pid, parentPid: p.pid ?? 0 });
    });
  });
}

runDriver(async () => {
  const codes = driverArgs.map(Number);
  const waiter = new WindowsProcessWaiter({ kernel32: loadKernel32 });
  waiter.init();
  const tmp = mkdtempSync(join(tmpdir(), "wine-waiter-"));
  const go = join(tmp, "go");
  try {
    const started = await Promise.all(codes.map((code) => orphan(code, go)));
    const t0 = Date.now();
    const waits = started.map(({ pid }) => waiter.wait(pid));
    const pendingWhileRunning = waiter.pending;
    writeFileSync(go, "");
    const exits = await within(Promise.all(waits), 30_000, "orphan exits");
    // The intermediate parent has exited and node closed its handle: nothing left to open.
    const gone = await waiter.wait(started[0]?.parentPid ?? 0).then(
      (info) => ({ resolved: info.exitCode }),
      (err: Error) => ({ rejected: err.name, message: err.message }),
    );
    return {
      codes: exits.map((e) => e.exitCode),
      waitedMs: Date.now() - t0,
      pendingWhileRunning,
      pendingAfter: waiter.pending,
      gone,
    };
  } finally {
    waiter.close();
    removeTemp(tmp);
  }
});
