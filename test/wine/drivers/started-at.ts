/**
 * Wine driver: `ProcessTree.startedAt` of the Windows platform (kernel32 `GetProcessTimes` through koffi)
 * on the real Windows node. Reports, as epoch milliseconds, when a child was spawned (just before the
 * `spawn()` call and at its `spawn` event) and what `startedAt` says for it; for this process; for the
 * child's pid once it exited and node closed its handle; and for a pid that does not exist.
 */
import { spawn } from "node:child_process";
import { windowsPlatform } from "../../../src/platform/windows.js";
import { runDriver, within } from "./report.js";

/** A multiple of 4 (Windows pids are) far above anything Wine or Windows hands out here. */
const NO_SUCH_PID = 0x7fff_fff0;

const ms = (d: Date | undefined): number | null => (d ? d.getTime() : null);

runDriver(async () => {
  const tree = windowsPlatform.createProcessTree();
  // The clock's own coarseness and Wine's process bookkeeping are well under the 2 s the test allows.
  const before = Date.now();
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  try {
    await within(
      new Promise((resolve, reject) => {
        child.once("spawn", resolve);
        child.once("error", reject);
      }),
      30_000,
      "child spawn",
    );
    const spawned = Date.now();
    const pid = child.pid ?? 0;
    const childStartedAt = ms(await tree.startedAt(pid));
    const again = ms(await tree.startedAt(pid));
    const self = ms(await tree.startedAt(process.pid));

    const closed = new Promise((resolve) => child.once("close", resolve));
    child.kill();
    await within(closed, 30_000, "child close");
    const exitedBy = Date.now();
    return {
      child: { pid, before, spawned, startedAt: childStartedAt, again },
      self,
      // Another Wine process (other tests share the wineserver) may have been given the pid meanwhile:
      // then its own, later, start time is the right answer.
      afterExit: { exitedBy, startedAt: ms(await tree.startedAt(pid)) },
      unknown: ms(await tree.startedAt(NO_SUCH_PID)),
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  }
});
