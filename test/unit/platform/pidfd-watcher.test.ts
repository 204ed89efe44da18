import assert from "node:assert/strict";
import { once } from "node:events";
import { readdirSync, readlinkSync } from "node:fs";
import { NotFoundError, UnavailableError } from "../../../src/errdefs.js";
import { PidfdWatcher } from "../../../src/platform/pidfd-watcher.js";
import { loadLibc } from "../../../src/platform/posix-libc.js";
import { type Orphan, spawnForeign } from "./orphans.js";

/** Open pidfds and eventfds of this process (what the watcher creates). */
const openFds = () =>
  readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return /\[(pidfd|eventfd)\]/.test(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      return false;
    }
  }).length;

(process.platform === "linux" ? describe : describe.skip)(
  "platform/pidfd-watcher (real pidfds)",
  function () {
    this.timeout(60_000);
    const foreign: Orphan[] = [];
    const start = async (cmd: string) => {
      const f = await spawnForeign(cmd);
      foreign.push(f);
      return f;
    };
    afterEach(async () => {
      for (const f of foreign.splice(0)) {
        f.release();
        if (f.parent.exitCode === null) await once(f.parent, "exit");
      }
    });

    it("a watch added while a poll runs interrupts it; each exit is seen on its own", async () => {
      const fdsBefore = openFds();
      const w = new PidfdWatcher(loadLibc());
      const a = await start("read x <&3; exit 0");
      const b = await start("read x <&3; exit 0");
      let aDone = false;
      const aWatch = w.watch(a.pid).then((d) => {
        aDone = true;
        return d;
      });
      const bWatch = w.watch(b.pid);
      b.release();
      assert.ok((await bWatch) instanceof Date);
      assert.equal(aDone, false, "a is still running");
      a.release();
      assert.ok((await aWatch) instanceof Date);
      await new Promise((r) => setImmediate(r));
      assert.equal(openFds(), fdsBefore, "pidfds and the eventfd are closed once nothing is watched");
      w.close();
    });

    it("close during a poll → pending watches rejected, poll interrupted, fds closed", async () => {
      const fdsBefore = openFds();
      const w = new PidfdWatcher(loadLibc());
      const a = await start("read x <&3; exit 0");
      const watch = w.watch(a.pid);
      assert.equal(openFds(), fdsBefore + 2, "one pidfd and the eventfd while polling");
      w.close();
      await assert.rejects(watch, UnavailableError);
      for (let i = 0; i < 200 && openFds() !== fdsBefore; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(openFds(), fdsBefore);
      await assert.rejects(w.watch(a.pid), UnavailableError);
    });

    it("no such process → NotFoundError", async () => {
      const w = new PidfdWatcher(loadLibc());
      await assert.rejects(w.watch(99_999_999), NotFoundError);
      w.close();
    });
  },
);
