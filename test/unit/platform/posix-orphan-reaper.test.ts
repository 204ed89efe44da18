/**
 * The subreaper reaps every orphan it adopts (issue 10 item 2), with real processes: orphans re-parented to
 * this test process (a child subreaper while the waiter is open), the way processes that a container's exec
 * leaves running in the background (`sh -c 'sleep 1 & exit 0'`) are re-parented to the shim.
 *
 * How the tests know an orphan has exited without sleeping: a pidfd becomes readable in the same kernel step
 * (exit_notify) that queues our SIGCHLD. Then a Node child is spawned and its `exit` awaited: the waiter
 * sweeps on that SIGCHLD and on every exit of a Node child, before the test's own `exit` listener runs, so
 * afterwards every zombie that is not libuv's must be gone.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { NotFoundError } from "../../../src/errdefs.js";
import { PidfdWatcher } from "../../../src/platform/pidfd-watcher.js";
import { loadLibc } from "../../../src/platform/posix-libc.js";
import { PosixProcessWaiter } from "../../../src/platform/posix-waiter.js";
import { type Orphan, procStat, spawnOrphan, zombieChildren } from "./orphans.js";

/** Runs `sh -c script` as a Node child; resolves with its exit code and the first line it printed. */
async function nodeChild(script: string): Promise<{ code: number | null; line: string }> {
  const child = spawn("sh", ["-c", script], { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (d: string) => {
    out += d;
  });
  const [code] = (await once(child, "exit")) as [number | null];
  if (child.stdout.readable) await once(child.stdout, "close");
  return { code, line: out.split("\n")[0] ?? "" };
}

/** Resolves once `pid` has exited (or is already gone: reaped before we looked). */
async function exited(watcher: PidfdWatcher, pid: number): Promise<void> {
  await watcher.watch(pid).catch((e: unknown) => {
    if (!(e instanceof NotFoundError)) throw e;
  });
}

/** A SIGCHLD and an exit of a Node child: both make the waiter sweep. */
async function nodeChildCycle(): Promise<void> {
  assert.equal((await nodeChild("exit 0")).code, 0);
}

(process.platform === "linux" ? describe : describe.skip)("platform/posix-waiter reaps orphans", function () {
  this.timeout(120_000);
  let waiter: PosixProcessWaiter;
  let watcher: PidfdWatcher;
  const gated: Orphan[] = [];

  beforeEach(() => {
    waiter = new PosixProcessWaiter({ libc: loadLibc });
    waiter.init();
    watcher = new PidfdWatcher(loadLibc());
  });
  afterEach(() => {
    for (const o of gated.splice(0)) o.release();
    watcher.close();
    waiter.close();
  });

  it("200 orphans of `sh -c 'sleep 0.1 & exit K'` leave 0 zombies; Node's children and waited pids keep their codes", async () => {
    // Processes we wait for, released in the middle of the storm.
    const waited = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const o = await spawnOrphan(`read x <&3; exit ${50 + i}`);
        gated.push(o);
        return o;
      }),
    );
    const waits = waited.map((o) => waiter.wait(o.pid));

    const orphanPids: number[] = [];
    const nodeCodes: Array<[number | null, number]> = [];
    for (let batch = 0; batch < 10; batch++) {
      if (batch === 5) for (const o of waited) o.release();
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const k = (batch * 20 + i) % 256;
          // Even: the shell exits at once (its orphan exits 0.1 s later). Odd: the shell and its orphan exit
          // together, so Node's exits and the orphans' land in the same SIGCHLD bursts.
          const script =
            i % 2 === 0
              ? `sleep 0.1 >/dev/null 2>&1 & echo $!; exit ${k}`
              : `sleep 0.1 >/dev/null 2>&1 & echo $!; sleep 0.1; exit ${k}`;
          // Every fourth, one more Node child that orphans nothing exits in the same burst.
          const [{ code, line }, plain] = await Promise.all([
            nodeChild(script),
            i % 4 === 0 ? nodeChild(`exit ${(k + 1) % 256}`) : undefined,
          ]);
          nodeCodes.push([code, k]);
          if (plain) nodeCodes.push([plain.code, (k + 1) % 256]);
          orphanPids.push(Number(line));
        }),
      );
    }

    for (const [got, want] of nodeCodes) assert.equal(got, want, "a Node child reported its own exit code");
    assert.equal(orphanPids.length, 200);
    assert.ok(orphanPids.every((p) => Number.isInteger(p) && p > 0));
    assert.deepEqual(
      (await Promise.all(waits)).map((i) => i.exitCode),
      waited.map((_, i) => 50 + i),
      "waited pids keep their exact codes",
    );

    await Promise.all(orphanPids.map((pid) => exited(watcher, pid)));
    await nodeChildCycle();
    const leftover = orphanPids.filter((pid) => procStat(pid)?.state === "Z");
    assert.deepEqual(leftover, [], `${leftover.length} orphans left as zombies`);
    assert.deepEqual(zombieChildren(), [], "no zombie child at all");
  });

  it("an orphan that exits and is reaped before wait() is called still reports its exact code", async () => {
    const o = await spawnOrphan("read x <&3; exit 23");
    gated.push(o);
    o.release();
    await exited(watcher, o.pid);
    await nodeChildCycle();
    assert.equal(procStat(o.pid), undefined, "reaped at once, not kept as a zombie");
    const info = await waiter.wait(o.pid);
    assert.equal(info.exitCode, 23);
    assert.equal(info.exitCodeUnknown, undefined);
  });

  it("a zombie we did not reap yet when wait() comes is still read by wait() (no double reap)", async () => {
    const o = await spawnOrphan("read x <&3; exit 4");
    gated.push(o);
    const done = waiter.wait(o.pid);
    o.release();
    assert.equal((await done).exitCode, 4);
    await nodeChildCycle();
    assert.deepEqual(zombieChildren(), []);
  });
});
