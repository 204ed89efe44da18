import assert from "node:assert/strict";
import { InvalidArgumentError } from "../../../src/errdefs.js";
import {
  acceptedSignals,
  hcsSignalAction,
  validateContainerSignal,
} from "../../../src/platform/container-signals.js";

describe("platform/container-signals (runhcs's ValidateWCOW / ValidateLCOW)", () => {
  it("WCOW accepts exactly 0, 1, 2, 5, 6, 9, 15", () => {
    const accepted = [];
    for (let s = -2; s <= 70; s++) {
      try {
        validateContainerSignal(s, false);
        accepted.push(s);
      } catch (err) {
        assert.ok(err instanceof InvalidArgumentError, String(err));
        assert.match((err as Error).message, /WCOW/);
      }
    }
    assert.deepEqual(accepted, [0, 1, 2, 5, 6, 9, 15]);
    assert.deepEqual(acceptedSignals(false), accepted);
  });

  it("LCOW accepts exactly 1..31 (signalMapLcow's values)", () => {
    const accepted = [];
    for (let s = -2; s <= 70; s++) {
      try {
        validateContainerSignal(s, true);
        accepted.push(s);
      } catch (err) {
        assert.ok(err instanceof InvalidArgumentError, String(err));
      }
    }
    assert.deepEqual(
      accepted,
      Array.from({ length: 31 }, (_, i) => i + 1),
    );
    assert.deepEqual(acceptedSignals(true), accepted);
  });

  it("non-integers are invalid in both worlds", () => {
    for (const s of [1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => validateContainerSignal(s, false), InvalidArgumentError);
      assert.throws(() => validateContainerSignal(s, true), InvalidArgumentError);
    }
  });

  it("WCOW: console control events by name, 15 → CtrlShutdown, 9 → terminate", () => {
    const opts = (s: number) => hcsSignalAction(s, false, false);
    assert.deepEqual(opts(0), { kind: "signal", options: '{"Signal":"CtrlC"}' });
    assert.deepEqual(opts(1), { kind: "signal", options: '{"Signal":"CtrlBreak"}' });
    assert.deepEqual(opts(2), { kind: "signal", options: '{"Signal":"CtrlClose"}' });
    assert.deepEqual(opts(5), { kind: "signal", options: '{"Signal":"CtrlLogOff"}' });
    assert.deepEqual(opts(6), { kind: "signal", options: '{"Signal":"CtrlShutdown"}' });
    assert.deepEqual(opts(15), { kind: "signal", options: '{"Signal":"CtrlShutdown"}' });
    assert.deepEqual(opts(9), { kind: "terminate" });
  });

  it("WCOW with a terminal: every accepted signal terminates (kill.go); invalid ones still throw", () => {
    for (const s of acceptedSignals(false))
      assert.deepEqual(hcsSignalAction(s, false, true), { kind: "terminate" });
    assert.throws(() => hcsSignalAction(3, false, true), InvalidArgumentError);
  });

  it('LCOW: {"Signal":n} whether or not there is a terminal; 9 → terminate', () => {
    for (const terminal of [false, true]) {
      assert.deepEqual(hcsSignalAction(15, true, terminal), { kind: "signal", options: '{"Signal":15}' });
      assert.deepEqual(hcsSignalAction(1, true, terminal), { kind: "signal", options: '{"Signal":1}' });
      assert.deepEqual(hcsSignalAction(9, true, terminal), { kind: "terminate" });
    }
    assert.throws(() => hcsSignalAction(0, true, false), InvalidArgumentError);
    assert.throws(() => hcsSignalAction(32, true, false), InvalidArgumentError);
  });
});
