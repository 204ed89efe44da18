import assert from "node:assert/strict";
import { NotFoundError, UnavailableError } from "../../../src/errdefs.js";
import type { ProcessWaiter } from "../../../src/platform/types.js";
import { Win32Error } from "../../../src/platform/windows-kernel32.js";
import { WindowsProcessWaiter } from "../../../src/platform/windows-waiter.js";
import { FakeKernel32 } from "./fake-kernel32.js";

describe("platform/windows-waiter (fake kernel32)", () => {
  let k32: FakeKernel32;
  let waiter: WindowsProcessWaiter;
  const at = new Date("2026-01-02T03:04:05.006Z");

  beforeEach(() => {
    k32 = new FakeKernel32();
    waiter = new WindowsProcessWaiter({ kernel32: () => k32, now: () => at });
    waiter.init();
  });
  afterEach(() => waiter.close());

  it("is a ProcessWaiter", () => {
    const w: ProcessWaiter = waiter;
    assert.equal(typeof w.wait, "function");
  });

  it("wait opens the process handle synchronously, before returning", () => {
    k32.spawn(100);
    waiter.wait(100).catch(() => {}); // rejected by close() in afterEach
    assert.deepEqual(k32.calls, ["OpenProcess(100)", "RegisterWaitForSingleObject(100)"]);
  });

  it("wait on a running process → its exit code, then wait and process handles released", async () => {
    k32.spawn(100);
    const done = waiter.wait(100);
    assert.equal(waiter.pending, 1);
    k32.exit(100, 3);
    assert.deepEqual(await done, { exitCode: 3, exitedAt: at });
    assert.equal(waiter.pending, 0);
    assert.equal(k32.openHandles, 0);
    assert.deepEqual(k32.calls.slice(2), [
      "GetExitCodeProcess(100)",
      "UnregisterWait(100)",
      "CloseHandle(100)",
    ]);
  });

  it("wait on a process that already exited (handle still open elsewhere) → its exit code", async () => {
    k32.spawn(7);
    k32.exit(7, 0);
    assert.equal((await waiter.wait(7)).exitCode, 0);
    assert.equal(k32.openHandles, 0);
  });

  it("a 32-bit exit code (NTSTATUS) is reported unsigned", async () => {
    k32.spawn(8);
    const done = waiter.wait(8);
    k32.exit(8, 0xc0000005);
    assert.equal((await done).exitCode, 3221225477);
  });

  it("concurrent waits on one pid share one handle and one result", async () => {
    k32.spawn(9);
    const a = waiter.wait(9);
    const b = waiter.wait(9);
    assert.equal(a, b);
    assert.equal(k32.calls.filter((c) => c.startsWith("OpenProcess")).length, 1);
    k32.exit(9, 1);
    assert.equal((await b).exitCode, 1);
  });

  it("20 processes → each its own code", async () => {
    const pids = Array.from({ length: 20 }, (_, i) => 1000 + i);
    for (const p of pids) k32.spawn(p);
    const waits = pids.map((p) => waiter.wait(p));
    for (const p of [...pids].reverse()) k32.exit(p, p - 1000);
    assert.deepEqual(
      (await Promise.all(waits)).map((i) => i.exitCode),
      pids.map((p) => p - 1000),
    );
    assert.equal(k32.openHandles, 0);
  });

  it("no such pid (ERROR_INVALID_PARAMETER) → NotFoundError", async () => {
    await assert.rejects(waiter.wait(4242), NotFoundError);
    await assert.rejects(waiter.wait(0), NotFoundError);
  });

  it("RegisterWaitForSingleObject failure → rejected, process handle closed", async () => {
    k32.spawn(5);
    k32.failRegisterWait = true;
    await assert.rejects(waiter.wait(5), Win32Error);
    assert.equal(k32.openHandles, 0);
    assert.equal(waiter.pending, 0);
  });

  it("close → pending waits rejected with UnavailableError, handles released, late exit ignored", async () => {
    k32.spawn(11);
    const done = waiter.wait(11);
    waiter.close();
    await assert.rejects(done, UnavailableError);
    assert.equal(k32.openHandles, 0);
    k32.exit(11, 0);
    await new Promise((r) => setImmediate(r));
    await assert.rejects(waiter.wait(11), UnavailableError);
  });

  it("wait before init is a programming error", () => {
    const w = new WindowsProcessWaiter({ kernel32: () => k32 });
    assert.throws(() => w.wait(1), /init\(\) must be called/);
  });
});
