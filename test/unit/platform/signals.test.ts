import assert from "node:assert/strict";
import { InvalidArgumentError } from "../../../src/errdefs.js";
import { type KillFn, PosixSignals, WindowsSignals } from "../../../src/platform/signals.js";

function recorder(fail?: string): { kill: KillFn; sent: Array<[number, number | string]> } {
  const sent: Array<[number, number | string]> = [];
  return {
    sent,
    kill: (pid, signal) => {
      if (fail) throw Object.assign(new Error(fail), { code: fail });
      sent.push([pid, signal]);
    },
  };
}

describe("platform/signals", () => {
  it("posix toRunhcsSignal: 1..64 → decimal string; 0, 65, -1, 1.5, NaN → InvalidArgumentError", () => {
    const s = new PosixSignals();
    assert.equal(s.toRunhcsSignal(9), "9");
    assert.equal(s.toRunhcsSignal(15), "15");
    assert.equal(s.toRunhcsSignal(1), "1");
    assert.equal(s.toRunhcsSignal(64), "64");
    for (const bad of [0, 65, -1, 1.5, Number.NaN])
      assert.throws(() => s.toRunhcsSignal(bad), InvalidArgumentError);
  });

  it("windows toRunhcsSignal: 0..64 passed through unchanged (runhcs maps WCOW signals)", () => {
    const s = new WindowsSignals();
    assert.equal(s.toRunhcsSignal(0), "0");
    assert.equal(s.toRunhcsSignal(15), "15");
    assert.equal(s.toRunhcsSignal(9), "9");
    for (const bad of [65, -1, 2.5]) assert.throws(() => s.toRunhcsSignal(bad), InvalidArgumentError);
  });

  it("posix kill sends the number; ESRCH → false; EPERM thrown", () => {
    const r = recorder();
    assert.equal(new PosixSignals(r.kill).kill(42, 15), true);
    assert.deepEqual(r.sent, [[42, 15]]);
    assert.equal(new PosixSignals(recorder("ESRCH").kill).kill(42, 9), false);
    assert.throws(() => new PosixSignals(recorder("EPERM").kill).kill(42, 9), /EPERM/);
    assert.throws(() => new PosixSignals(r.kill).kill(42, 0), InvalidArgumentError);
  });

  it("windows kill terminates whatever the number, 0 only probes", () => {
    const r = recorder();
    const s = new WindowsSignals(r.kill);
    assert.equal(s.kill(42, 15), true);
    assert.equal(s.kill(43, 0), true);
    assert.deepEqual(r.sent, [
      [42, "SIGKILL"],
      [43, 0],
    ]);
    assert.equal(new WindowsSignals(recorder("ESRCH").kill).kill(42, 9), false);
  });
});
