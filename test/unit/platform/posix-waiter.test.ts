import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { NotFoundError, UnavailableError } from "../../../src/errdefs.js";
import { loadLibc } from "../../../src/platform/posix-libc.js";
import { exitCodeFromWaitStatus, PosixProcessWaiter } from "../../../src/platform/posix-waiter.js";
import { UNKNOWN_EXIT_CODE } from "../../../src/platform/types.js";
import { type Orphan, procStat, spawnForeign, spawnOrphan, untilExited } from "./orphans.js";

const linux = process.platform === "linux";

describe("platform/posix-waiter exitCodeFromWaitStatus", () => {
  it("normal exit → the status byte", () => {
    assert.equal(exitCodeFromWaitStatus(0), 0);
    assert.equal(exitCodeFromWaitStatus(7 << 8), 7);
    assert.equal(exitCodeFromWaitStatus(255 << 8), 255);
  });
  it("death by signal → 128 + signo (core dump bit ignored)", () => {
    assert.equal(exitCodeFromWaitStatus(9), 137);
    assert.equal(exitCodeFromWaitStatus(15), 143);
    assert.equal(exitCodeFromWaitStatus(0x80 | 11), 139);
  });
});

(linux ? describe : describe.skip)("platform/posix-waiter with real processes", function () {
  this.timeout(60_000);
  let waiter: PosixProcessWaiter;
  const orphans: Orphan[] = [];
  const orphan = async (cmd: string) => {
    const o = await spawnOrphan(cmd);
    orphans.push(o);
    return o;
  };

  beforeEach(() => {
    waiter = new PosixProcessWaiter({ libc: loadLibc });
    waiter.init();
  });
  afterEach(async () => {
    // Let every grandchild finish and reap it, so no test leaves a process or zombie behind.
    for (const o of orphans.splice(0)) o.release();
    waiter.close();
  });

  it("init makes this process a child subreaper and close undoes it", () => {
    assert.equal(loadLibc().getChildSubreaper(), true);
    waiter.close();
    assert.equal(loadLibc().getChildSubreaper(), false);
    waiter = new PosixProcessWaiter({ libc: loadLibc });
    waiter.init();
  });

  for (const [name, cmd, code] of [
    ["exit 0", "read x <&3; exit 0", 0],
    ["exit 3", "read x <&3; exit 3", 3],
    ["exit 7", "read x <&3; exit 7", 7],
    ["SIGKILL", "read x <&3; kill -KILL $$", 137],
  ] as const) {
    it(`wait on a reparented grandchild (${name}) → exit code ${code}`, async () => {
      const o = await orphan(cmd);
      assert.equal(procStat(o.pid)?.ppid, process.pid, "the grandchild was reparented to us");
      const before = Date.now();
      const done = waiter.wait(o.pid);
      assert.equal(waiter.pending, 1);
      o.release();
      const info = await done;
      assert.equal(info.exitCode, code);
      assert.equal(info.exitCodeUnknown, undefined);
      assert.ok(info.exitedAt.getTime() >= before);
      assert.equal(waiter.pending, 0);
      assert.equal(procStat(o.pid), undefined, "reaped: no zombie left");
    });
  }

  it("wait registered after the exit (zombie, or already reaped by the orphan sweep) → its exit code at once", async () => {
    // Exit only after the intermediate shell is gone: a shell may reap a background job that ends early.
    const o = await orphan("read x <&3; exit 5");
    o.release();
    await untilExited(o.pid);
    assert.deepEqual((await waiter.wait(o.pid)).exitCode, 5);
    assert.equal(procStat(o.pid), undefined);
  });

  it("concurrent waits on one pid share one result", async () => {
    const o = await orphan("read x <&3; exit 9");
    const a = waiter.wait(o.pid);
    const b = waiter.wait(o.pid);
    assert.equal(a, b);
    assert.equal(waiter.pending, 1);
    o.release();
    assert.equal((await a).exitCode, 9);
  });

  it("20 concurrent grandchildren → each reported with its own code", async () => {
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => orphan(`read x <&3; exit ${i + 10}`)));
    const waits = all.map((o) => waiter.wait(o.pid));
    assert.equal(waiter.pending, 20);
    for (const o of all) o.release();
    const infos = await Promise.all(waits);
    assert.deepEqual(
      infos.map((i) => i.exitCode),
      all.map((_, i) => i + 10),
    );
  });

  it("child_process children still get their exit events while waits are pending", async () => {
    const o = await orphan("read x <&3; exit 1");
    const pendingWait = waiter.wait(o.pid);
    for (const code of [0, 4, 42]) {
      const child = spawn("sh", ["-c", `exit ${code}`], { stdio: "ignore" });
      const [exitCode] = await once(child, "exit");
      assert.equal(exitCode, code);
    }
    assert.equal(waiter.pending, 1, "libuv's exits did not resolve our wait");
    o.release();
    assert.equal((await pendingWait).exitCode, 1);
  });

  it("a pid that never was our child → pidfd fallback: exit seen, code unknown", async () => {
    const f = await spawnForeign("read x <&3; exit 6");
    try {
      assert.notEqual(procStat(f.pid)?.ppid, process.pid);
      const done = waiter.wait(f.pid);
      f.release();
      const info = await done;
      assert.equal(info.exitCode, UNKNOWN_EXIT_CODE);
      assert.equal(info.exitCodeUnknown, true);
      const [parentCode] = f.parent.exitCode === null ? await once(f.parent, "exit") : [f.parent.exitCode];
      assert.equal(parentCode, 6, "its real parent still reaped it with the real code");
    } finally {
      f.release();
    }
  });

  it("a pid that is not our child with foreign: reject → NotFoundError", async () => {
    const strict = new PosixProcessWaiter({ libc: loadLibc, foreign: "reject" });
    strict.init();
    const f = await spawnForeign("read x <&3; exit 0");
    try {
      await assert.rejects(
        strict.wait(f.pid),
        (e: unknown) => e instanceof NotFoundError && /not a child/.test(e.message),
      );
    } finally {
      f.release();
      strict.close();
      await once(f.parent, "exit");
    }
  });

  it("a pid with no process → NotFoundError", async () => {
    await assert.rejects(waiter.wait(99_999_999), NotFoundError);
    await assert.rejects(waiter.wait(0), NotFoundError);
    await assert.rejects(waiter.wait(-1), NotFoundError);
  });

  it("close rejects pending waits with UnavailableError", async () => {
    const o = await orphan("read x <&3; exit 0");
    const done = waiter.wait(o.pid);
    waiter.close();
    await assert.rejects(done, UnavailableError);
    await assert.rejects(waiter.wait(o.pid), UnavailableError);
    // Reap it so the test leaves no zombie: a fresh waiter still sees it as our child.
    const again = new PosixProcessWaiter({ libc: loadLibc });
    again.init();
    o.release();
    assert.equal((await again.wait(o.pid)).exitCode, 0);
    again.close();
  });
});

describe("platform/posix-waiter without init", () => {
  it("wait before init is a programming error", () => {
    const w = new PosixProcessWaiter({ libc: loadLibc });
    assert.throws(() => w.wait(1), /init\(\) must be called/);
  });
});
