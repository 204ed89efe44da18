/**
 * The Windows ContainerProcesses logic with a fake HCS and a fake registry: which HCS calls are made,
 * how every HCS outcome is classified, handles always closed, and no host process ever signalled.
 */
import assert from "node:assert/strict";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "../../../src/errdefs.js";
import type { ContainerProcessTarget } from "../../../src/platform/types.js";
import { WindowsContainerProcesses } from "../../../src/platform/windows-container-processes.js";
import { REG_QWORD, type RegistryReader, runhcsKeyPath } from "../../../src/platform/windows-registry.js";
import {
  HcsError,
  type HcsHandle,
  type Vmcompute,
  win32FromHresult,
} from "../../../src/platform/windows-vmcompute.js";

type Call = "openComputeSystem" | "openProcess" | "terminateProcess" | "signalProcess";

class FakeHcs implements Vmcompute {
  readonly calls: string[] = [];
  readonly open = new Set<HcsHandle>();
  /** HRESULT to fail each call with. */
  readonly failures = new Map<Call, number>();

  #maybeFail(call: Call, name: string): void {
    const hr = this.failures.get(call);
    if (hr !== undefined) throw new HcsError(name, hr, `{"Error":${hr | 0},"ErrorMessage":"fake"}`);
  }
  openComputeSystem(id: string): HcsHandle {
    this.calls.push(`HcsOpenComputeSystem(${id})`);
    this.#maybeFail("openComputeSystem", "HcsOpenComputeSystem");
    const h = { system: id };
    this.open.add(h);
    return h;
  }
  closeComputeSystem(system: HcsHandle): void {
    this.calls.push("HcsCloseComputeSystem");
    assert.ok(this.open.delete(system), "closing a handle that is not open");
  }
  openProcess(system: HcsHandle, pid: number): HcsHandle {
    assert.ok(this.open.has(system));
    this.calls.push(`HcsOpenProcess(${pid})`);
    this.#maybeFail("openProcess", "HcsOpenProcess");
    const h = { pid };
    this.open.add(h);
    return h;
  }
  closeProcess(process: HcsHandle): void {
    this.calls.push("HcsCloseProcess");
    assert.ok(this.open.delete(process), "closing a handle that is not open");
  }
  terminateProcess(process: HcsHandle): void {
    assert.ok(this.open.has(process));
    this.calls.push("HcsTerminateProcess");
    this.#maybeFail("terminateProcess", "HcsTerminateProcess");
  }
  signalProcess(process: HcsHandle, options: string): void {
    assert.ok(this.open.has(process));
    this.calls.push(`HcsSignalProcess(${options})`);
    this.#maybeFail("signalProcess", "HcsSignalProcess");
  }
}

const TARGET: ContainerProcessTarget = {
  root: "",
  containerId: "c1",
  helperPid: 4242,
  terminal: false,
  lcow: false,
};

function registry(values: Record<string, number> = { "pid-4242": 7 }): RegistryReader {
  return {
    readLocalMachine(subKey, name) {
      if (subKey !== runhcsKeyPath("", "c1") || values[name] === undefined) return undefined;
      const data = Buffer.alloc(8);
      data.writeBigUInt64LE(BigInt(values[name]));
      return { type: REG_QWORD, data };
    },
  };
}

function setup(values?: Record<string, number>) {
  const hcs = new FakeHcs();
  const seam = new WindowsContainerProcesses({ vmcompute: () => hcs, registry: () => registry(values) });
  return { hcs, seam };
}

const OPEN_CLOSE = ["HcsOpenComputeSystem(c1)", "HcsOpenProcess(7)"];

describe("platform/windows-container-processes (fake HCS + registry)", () => {
  it("win32FromHresult as hcsshim's interop: 0x8007xxxx → xxxx, other HRESULTs unchanged", () => {
    assert.equal(win32FromHresult(0x80070005), 5);
    assert.equal(win32FromHresult(0x80070490 | 0), 0x490);
    assert.equal(win32FromHresult(0xc037010e | 0), 0xc037010e);
    assert.equal(win32FromHresult(0x8037011f), 0x8037011f);
    const e = new HcsError(
      "HcsOpenProcess",
      0x80070005 | 0,
      '{"Error":-2147024891,"ErrorMessage":"Access is denied."}',
    );
    assert.equal(e.code, 5);
    assert.equal(e.hresult, 0x80070005);
    assert.match(e.message, /HcsOpenProcess failed with HRESULT 0x80070005: Access is denied\./);
  });

  it("15 on WCOW → HcsSignalProcess CtrlShutdown for pid-<helper>'s container pid; handles closed", async () => {
    const { hcs, seam } = setup();
    await seam.signal(TARGET, 15);
    assert.deepEqual(hcs.calls, [
      ...OPEN_CLOSE,
      'HcsSignalProcess({"Signal":"CtrlShutdown"})',
      "HcsCloseProcess",
      "HcsCloseComputeSystem",
    ]);
    assert.equal(hcs.open.size, 0);
  });

  it("9 → HcsTerminateProcess; a WCOW terminal process terminates for 15 too; LCOW signals by number", async () => {
    const { hcs, seam } = setup();
    await seam.signal(TARGET, 9);
    await seam.signal({ ...TARGET, terminal: true }, 15);
    await seam.signal({ ...TARGET, lcow: true, terminal: true }, 15);
    assert.deepEqual(
      hcs.calls.filter((c) => !c.includes("Open") && !c.includes("Close")),
      ["HcsTerminateProcess", "HcsTerminateProcess", 'HcsSignalProcess({"Signal":15})'],
    );
    assert.equal(hcs.open.size, 0);
  });

  it("an invalid signal → InvalidArgument before anything is looked up", async () => {
    const { hcs, seam } = setup();
    await assert.rejects(seam.signal(TARGET, 3), InvalidArgumentError);
    await assert.rejects(seam.signal({ ...TARGET, lcow: true }, 0), InvalidArgumentError);
    assert.deepEqual(hcs.calls, []);
  });

  it("no pid-<helper> in runhcs state → NotFound (process already finished), HCS untouched", async () => {
    const { hcs, seam } = setup({});
    await assert.rejects(
      seam.signal(TARGET, 9),
      (e: unknown) => e instanceof NotFoundError && /already finished/.test((e as Error).message),
    );
    assert.deepEqual(hcs.calls, []);
  });

  const stopped: [string, Call, number][] = [
    ["compute system does not exist", "openComputeSystem", 0xc037010e],
    ["element not found on open", "openProcess", 0x80070490],
    ["process already stopped on open", "openProcess", 0x8037011f],
    ["process already stopped on terminate", "terminateProcess", 0x8037011f],
    ["vmcompute already stopped on terminate", "terminateProcess", 0xc0370110],
    ["access denied on terminate (after exit, as Process.Kill)", "terminateProcess", 0x80070005],
    ["invalid state on signal", "signalProcess", 0xc0370105],
    ["system already stopped on signal", "signalProcess", 0x80370110],
  ];
  for (const [what, call, hr] of stopped) {
    it(`${what} → NotFound, every handle closed`, async () => {
      const { hcs, seam } = setup();
      hcs.failures.set(call, hr | 0);
      const signal = call === "signalProcess" ? 15 : 9;
      await assert.rejects(
        seam.signal(TARGET, signal),
        (e: unknown) => e instanceof NotFoundError && /already finished/.test((e as Error).message),
      );
      assert.equal(hcs.open.size, 0);
    });
  }

  const precondition: [string, Call, number, RegExp][] = [
    ["access denied opening the compute system", "openComputeSystem", 0x80070005, /access denied/],
    ["access denied opening the process", "openProcess", 0x80070005, /access denied/],
    ["another failure opening the process", "openProcess", 0x80070057, /cannot open/],
    ["access denied signalling", "signalProcess", 0x80070005, /cannot signal.*access denied/],
    ["an unsupported request", "signalProcess", 0xc037010d, /cannot signal/],
  ];
  for (const [what, call, hr, re] of precondition) {
    it(`${what} → FailedPrecondition naming it, every handle closed`, async () => {
      const { hcs, seam } = setup();
      hcs.failures.set(call, hr | 0);
      const signal = call === "signalProcess" ? 15 : 9;
      await assert.rejects(
        seam.signal(TARGET, signal),
        (e: unknown) => e instanceof FailedPreconditionError && re.test((e as Error).message),
      );
      assert.equal(hcs.open.size, 0);
    });
  }

  it("vmcompute.dll that cannot be loaded → FailedPrecondition; a registry failure → FailedPrecondition", async () => {
    const noDll = new WindowsContainerProcesses({
      vmcompute: () => {
        throw new Error("Failed to load shared library");
      },
      registry: () => registry(),
    });
    await assert.rejects(
      noDll.signal(TARGET, 9),
      (e: unknown) => e instanceof FailedPreconditionError && /vmcompute\.dll/.test((e as Error).message),
    );
    const badRegistry = new WindowsContainerProcesses({
      vmcompute: () => new FakeHcs(),
      registry: () => ({
        readLocalMachine() {
          throw new Error("RegOpenKeyExW failed with Win32 error 5");
        },
      }),
    });
    await assert.rejects(badRegistry.signal(TARGET, 9), FailedPreconditionError);
  });

  it("the DLL and the registry are loaded lazily, once", async () => {
    let loads = 0;
    const hcs = new FakeHcs();
    const seam = new WindowsContainerProcesses({
      vmcompute: () => {
        loads++;
        return hcs;
      },
      registry: () => registry(),
    });
    assert.equal(loads, 0);
    await seam.signal(TARGET, 15);
    await seam.signal(TARGET, 15);
    assert.equal(loads, 1);
  });
});
