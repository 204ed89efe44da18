/**
 * Wine driver: the Windows ContainerProcesses seam (src/platform/windows-container-processes.ts) with the
 * real koffi bindings of vmcompute.dll (the fake one setup.sh put in System32) and advapi32, against a
 * compute-system stub (compute-system.ts) that owns a victim process. Writes runhcs's volatile registry
 * key itself first (advapi32), reads `FakeHcsOutstandingResults` after every call, and reports.
 */
import { createRequire } from "node:module";
import { windowsPlatform } from "../../../src/platform/windows.js";
import { WindowsContainerProcesses } from "../../../src/platform/windows-container-processes.js";
import {
  loadRegistry,
  REG_BINARY,
  REG_QWORD,
  RunhcsRegistryState,
  runhcsKeyPath,
} from "../../../src/platform/windows-registry.js";
import { bindVmcompute, system32Path } from "../../../src/platform/windows-vmcompute.js";
import { HKLM, loadRegistry as loadSimRegistry } from "../runhcs/win32.js";
import { startComputeSystem } from "./compute-system.js";
import { runDriver, within } from "./report.js";

type Koffi = typeof import("koffi").default;
const koffi = createRequire(import.meta.url)("koffi") as Koffi;

const ROOT = "C:\\wine test/root";
const ID = `ctr-${process.pid}`;
const HELPER = 4242;
/** A container with runhcs state but no compute system (no pipe). */
const NO_CS = `${ID}-nocs`;
const CONTAINER_PID = 7;
const registry = loadSimRegistry();

/** Creates runhcs's volatile container key as regstate.createVolatileKey does, with these values. */
function writeState(id: string, values: Record<string, { type: number; data: Buffer }>): void {
  const { key } = registry.createVolatile(HKLM, runhcsKeyPath(ROOT, id));
  try {
    for (const [name, v] of Object.entries(values)) registry.setValue(key, name, v.type, v.data);
  } finally {
    registry.close(key);
  }
}

function removeState(id: string): void {
  registry.deleteKey(HKLM, runhcsKeyPath(ROOT, id));
  try {
    // The root key too, unless it still holds another container's key (access denied then).
    registry.deleteKey(HKLM, runhcsKeyPath(ROOT, id).replace(/\\[^\\]+$/, ""));
  } catch {}
}

const qword = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return { type: REG_QWORD, data: b };
};

const fake = koffi.load(system32Path("vmcompute.dll"));
const outstanding = fake.func("__stdcall", "FakeHcsOutstandingResults", "int", []) as () => number;

interface Outcome {
  ok?: true;
  error?: string;
  name?: string;
  code?: number | undefined;
  message?: string;
  outstanding: number;
  requests: string[];
}

runDriver(async () => {
  writeState(NO_CS, { [`pid-${HELPER}`]: qword(CONTAINER_PID) });
  writeState(ID, {
    [`pid-${HELPER}`]: qword(CONTAINER_PID),
    pid: qword(CONTAINER_PID),
    state: { type: REG_BINARY, data: Buffer.from(JSON.stringify({ ID, Spec: { Windows: {} } })) },
  });
  const cs = await startComputeSystem(ID, CONTAINER_PID);
  try {
    const registry = new RunhcsRegistryState(loadRegistry());
    const seam = windowsPlatform.createContainerProcesses();
    const target = { root: ROOT, containerId: ID, helperPid: HELPER, terminal: false, lcow: false };
    const attempt = async (f: () => Promise<void>): Promise<Outcome> => {
      const before = cs.requests.length;
      try {
        await f();
        await cs.sync();
        return { ok: true, outstanding: outstanding(), requests: cs.requests.slice(before) };
      } catch (err: unknown) {
        const e = err as Error & { code?: number };
        await cs.sync();
        return {
          name: e.constructor.name,
          code: e.code,
          message: e.message,
          outstanding: outstanding(),
          requests: cs.requests.slice(before),
        };
      }
    };

    // A leak is visible: a result the caller does not free stays counted.
    const rawOpen = fake.func("__stdcall", "HcsOpenComputeSystem", "int32_t", [
      "str16",
      koffi.out(koffi.pointer("void *")),
      koffi.out(koffi.pointer("void *")),
    ]);
    const rawClose = fake.func("__stdcall", "HcsCloseComputeSystem", "int32_t", ["void *"]);
    const coTaskMemFree = koffi
      .load(system32Path("ole32.dll"))
      .func("__stdcall", "CoTaskMemFree", "void", ["void *"]);
    const h: unknown[] = [null];
    const res: unknown[] = [null];
    const rawHr = rawOpen(ID, h, res) as number;
    const leakVisible = outstanding();
    const rawResult = koffi.decode(res[0], "char16_t", -1) as string;
    coTaskMemFree(res[0]);
    rawClose(h[0]);
    const leakFreed = outstanding();

    const result = {
      keyPath: runhcsKeyPath(ROOT, ID),
      registry: {
        containerPid: registry.containerPid(ROOT, ID, HELPER),
        initPid: registry.initPid(ROOT, ID),
        lcow: registry.isLcow(ROOT, ID),
        missingHelper: registry.containerPid(ROOT, ID, HELPER + 1) ?? null,
        missingContainer: registry.containerPid(ROOT, `${ID}-absent`, HELPER) ?? null,
      },
      leak: { rawHr, leakVisible, rawResult, leakFreed },
      wcowTerm: await attempt(() => seam.signal(target, 15)),
      wcowCtrlC: await attempt(() => seam.signal(target, 0)),
      lcowUsr1: await attempt(() => seam.signal({ ...target, lcow: true }, 10)),
      invalid: await attempt(() => seam.signal(target, 3)),
      missingHelper: await attempt(() => seam.signal({ ...target, helperPid: HELPER + 1 }, 15)),
      accessDenied: await attempt(async () => {
        process.env.FAKE_HCS_FAIL_NEXT = "80070005:HcsOpenProcess";
        try {
          await seam.signal(target, 9);
        } finally {
          delete process.env.FAKE_HCS_FAIL_NEXT;
        }
      }),
      aliveAfterSignals: cs.victimAlive(),
      noVmcompute: await attempt(() =>
        new WindowsContainerProcesses({
          vmcompute: () => bindVmcompute(koffi, system32Path("no-such-vmcompute.dll")),
          registry: loadRegistry,
        }).signal(target, 9),
      ),
      terminate: await attempt(() => seam.signal(target, 9)),
      victimExit: await within(cs.victimExit, 20_000, "victim exit after terminate"),
      terminateAgain: await attempt(() => seam.signal(target, 9)),
      signalAfterExit: await attempt(() => seam.signal(target, 15)),
      noComputeSystem: await attempt(() => seam.signal({ ...target, containerId: NO_CS }, 9)),
    };
    return result;
  } finally {
    await cs.close();
    removeState(ID);
    removeState(NO_CS);
  }
});
