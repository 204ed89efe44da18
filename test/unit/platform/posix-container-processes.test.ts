/** The posix ContainerProcesses: the helper's tree is signalled (what the Task's kill did before the seam). */
import assert from "node:assert/strict";
import { InvalidArgumentError } from "../../../src/errdefs.js";
import { PosixContainerProcesses } from "../../../src/platform/posix-container-processes.js";
import { PosixSignals } from "../../../src/platform/signals.js";
import type { ContainerProcessTarget, ProcessTree } from "../../../src/platform/types.js";

function setup(tree: Record<number, number[]>, gone: number[] = []) {
  const sent: string[] = [];
  const signals = new PosixSignals((pid, sig) => {
    if (gone.includes(pid)) throw Object.assign(new Error("ESRCH"), { code: "ESRCH" });
    sent.push(`${pid}:${sig}`);
  });
  const pt: ProcessTree = {
    descendants: async (pid) => tree[pid] ?? [],
    startedAt: async () => undefined,
  };
  return { sent, seam: new PosixContainerProcesses(pt, signals) };
}

const target = (helperPid: number): ContainerProcessTarget => ({
  root: "",
  containerId: "c1",
  helperPid,
  terminal: false,
  lcow: false,
});

describe("platform/posix-container-processes", () => {
  it("signals every descendant of the helper, not the helper", async () => {
    const { sent, seam } = setup({ 10: [11, 12] });
    await seam.signal(target(10), 15);
    assert.deepEqual(sent, ["11:15", "12:15"]);
  });

  it("a helper without descendants is signalled itself, unless helperFallback is false", async () => {
    const { sent, seam } = setup({});
    await seam.signal(target(10), 9);
    await seam.signal(target(20), 9, { helperFallback: false });
    assert.deepEqual(sent, ["10:9"]);
  });

  it("a vanished process is skipped; a bad signal or pid is refused / ignored", async () => {
    const { sent, seam } = setup({ 10: [11, 12] }, [11]);
    await seam.signal(target(10), 15);
    assert.deepEqual(sent, ["12:15"]);
    await assert.rejects(seam.signal(target(10), 0), InvalidArgumentError);
    await assert.rejects(seam.signal(target(10), 65), InvalidArgumentError);
    await seam.signal(target(0), 15);
    assert.deepEqual(sent, ["12:15"]);
  });

  it("the posix platform exposes it", async () => {
    const { posixPlatform } = await import("../../../src/platform/posix.js");
    assert.ok(posixPlatform.createContainerProcesses() instanceof PosixContainerProcesses);
  });
});
