import assert from "node:assert/strict";
import { UnavailableError } from "../../../src/errdefs.js";
import {
  loadWindowsProcessTree,
  type ProcessListEntry,
  WINDOWS_PROCESS_TREE_MODULE,
  WindowsProcessTree,
  type WindowsProcessTreeModule,
} from "../../../src/platform/windows-tree.js";
import { FakeKernel32 } from "./fake-kernel32.js";

function fakeModule(list: ProcessListEntry[]): WindowsProcessTreeModule & { roots: number[] } {
  const roots: number[] = [];
  return {
    roots,
    getProcessList(rootPid, callback) {
      roots.push(rootPid);
      // Like the library: the root and its descendants, or undefined when the root does not exist.
      setImmediate(() => callback(list.some((p) => p.pid === rootPid) ? list : undefined));
    },
  };
}

/** A fake kernel32 where every listed process lives, created one second apart in list order. */
function liveKernel32(
  list: readonly ProcessListEntry[],
  start = Date.parse("2026-11-25T10:00:00Z"),
): FakeKernel32 {
  const k32 = new FakeKernel32();
  for (const [i, p] of list.entries()) k32.spawn(p.pid, new Date(start + i * 1000));
  return k32;
}

describe("platform/windows-tree (fake @vscode/windows-process-tree)", () => {
  const list: ProcessListEntry[] = [
    { pid: 4, ppid: 1, name: "containerd-shim-runhcs-v1.exe" },
    { pid: 8, ppid: 4, name: "runhcs.exe" },
    { pid: 12, ppid: 8, name: "vmwp.exe" },
    { pid: 16, ppid: 4, name: "conhost.exe" },
    { pid: 20, ppid: 99, name: "unrelated.exe" },
    { pid: 24, ppid: 24, name: "self-parent.exe" },
  ];

  it("descendants → every level below the root, not the root, not unrelated processes", async () => {
    const mod = fakeModule(list);
    const tree = new WindowsProcessTree(
      () => mod,
      () => liveKernel32(list),
    );
    assert.deepEqual(await tree.descendants(4), [8, 16, 12]);
    assert.deepEqual(mod.roots, [4]);
  });

  it("unknown root → []; a pid that is its own parent does not loop", async () => {
    const tree = new WindowsProcessTree(
      () => fakeModule(list),
      () => liveKernel32(list),
    );
    assert.deepEqual(await tree.descendants(1234), []);
    assert.deepEqual(await tree.descendants(24), []);
  });

  it("the module is loaded lazily, once", async () => {
    let loads = 0;
    const tree = new WindowsProcessTree(
      () => {
        loads++;
        return fakeModule(list);
      },
      () => liveKernel32(list),
    );
    assert.equal(loads, 0);
    await tree.descendants(4);
    await tree.descendants(8);
    assert.equal(loads, 1);
  });

  it("a recycled parent pid: the newer process that reused it does not adopt the old parent's children", async () => {
    // 100 (our helper's child) started 200 and exited; an unrelated process then got pid 100. Toolhelp
    // still reports 200's parent pid as 100, so by parent pid alone 200 (and its child 300) look like
    // children of the NEW 100, which is the root here.
    const t = (s: number) => new Date(Date.parse("2026-11-25T10:00:00Z") + s * 1000);
    const snapshot: ProcessListEntry[] = [
      { pid: 100, ppid: 4, name: "unrelated.exe" },
      { pid: 200, ppid: 100, name: "orphan.exe" },
      { pid: 300, ppid: 200, name: "orphan-child.exe" },
      { pid: 400, ppid: 100, name: "real-child.exe" },
      { pid: 500, ppid: 400, name: "real-grandchild.exe" },
    ];
    const k32 = new FakeKernel32();
    k32.spawn(200, t(0));
    k32.spawn(300, t(1));
    k32.spawn(100, t(5)); // the pid was reused after 200 and 300 were created
    k32.spawn(400, t(6));
    k32.spawn(500, t(7));
    const tree = new WindowsProcessTree(
      () => fakeModule(snapshot),
      () => k32,
    );
    assert.deepEqual(await tree.descendants(100), [400, 500]);
    // The orphans' own tree is still theirs.
    assert.deepEqual(await tree.descendants(200), [300]);
  });

  it("a child whose creation time cannot be read (exited, access denied) is left out with its subtree", async () => {
    const k32 = liveKernel32(list);
    k32.denied.add(8);
    k32.exit(16, 0);
    const tree = new WindowsProcessTree(
      () => fakeModule(list),
      () => k32,
    );
    assert.deepEqual(await tree.descendants(4), []);
  });

  it("missing optional dependency → UnavailableError naming it (import of the layer still works)", async () => {
    // The real module is an optional dependency (installed here, usable only on Windows): name an absent one.
    const absent = `${WINDOWS_PROCESS_TREE_MODULE}-absent`;
    assert.throws(
      () => loadWindowsProcessTree(absent),
      (e: unknown) => e instanceof UnavailableError && e.message.includes(absent),
    );
    await assert.rejects(
      new WindowsProcessTree(() => loadWindowsProcessTree(absent)).descendants(4),
      UnavailableError,
    );
  });
});

describe("platform/windows-tree startedAt (fake kernel32)", () => {
  const noModule = (): WindowsProcessTreeModule => {
    throw new Error("descendants module must not be loaded for startedAt");
  };

  it("a live pid → its creation time; no such pid / access denied / exited → undefined", async () => {
    const k32 = new FakeKernel32();
    const at = new Date("2026-11-25T14:00:00.123Z");
    k32.spawn(40, at);
    k32.spawn(44);
    k32.denied.add(44);
    k32.spawn(52);
    k32.exit(52, 0);
    const tree = new WindowsProcessTree(noModule, () => k32);
    assert.equal((await tree.startedAt(40))?.toISOString(), at.toISOString());
    assert.equal(await tree.startedAt(1234), undefined);
    assert.equal(await tree.startedAt(44), undefined);
    assert.equal(await tree.startedAt(52), undefined);
    assert.deepEqual(
      k32.calls,
      [40, 1234, 44, 52].map((p) => `GetProcessTimes(${p})`),
    );
  });

  it("pids that cannot name a Windows process → undefined without asking kernel32", async () => {
    const k32 = new FakeKernel32();
    const tree = new WindowsProcessTree(noModule, () => k32);
    for (const pid of [0, -4, 1.5, Number.NaN, 2 ** 32]) assert.equal(await tree.startedAt(pid), undefined);
    assert.deepEqual(k32.calls, []);
  });

  it("kernel32 loaded lazily, once; a failing load or call → undefined (delete then kills nothing)", async () => {
    const k32 = new FakeKernel32();
    k32.spawn(48);
    let loads = 0;
    const tree = new WindowsProcessTree(noModule, () => {
      loads++;
      return k32;
    });
    assert.equal(loads, 0);
    assert.ok(await tree.startedAt(48));
    k32.failProcessTimes = 6;
    assert.equal(await tree.startedAt(48), undefined);
    assert.equal(loads, 1);

    const broken = new WindowsProcessTree(noModule, () => {
      throw new Error("kernel32.dll: cannot load");
    });
    assert.equal(await broken.startedAt(48), undefined);
  });
});
