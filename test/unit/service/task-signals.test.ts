/**
 * Kill as runhcs would take it: signals checked against the container's OS (WCOW signal map, LCOW 1..31)
 * before runhcs runs, and execs (which runhcs kill cannot reach) signalled through the platform's
 * ContainerProcesses seam with everything it needs to find the exec's container process.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "../../../src/errdefs.js";
import type { ContainerProcessTarget } from "../../../src/platform/types.js";
import { TaskRegistry } from "../../../src/service/task-registry.js";
import { FakeDeps } from "../../fakes/service-deps.js";

const ID = "task1";
const SPEC = new TextEncoder().encode(JSON.stringify({ args: ["cmd"], cwd: "C:\\" }));

describe("Task kill: runhcs's signal rules and the ContainerProcesses seam", () => {
  let dir: string;
  let bundle: string;
  let fakes: FakeDeps;
  let task: TaskRegistry;
  let reached: Array<{ target: ContainerProcessTarget; signal: number; fallback: boolean | undefined }>;
  let failWith: Error | undefined;

  async function started(spec: object, registryRoot = ""): Promise<number> {
    await writeFile(join(bundle, "config.json"), JSON.stringify(spec));
    fakes = new FakeDeps();
    reached = [];
    failWith = undefined;
    task = new TaskRegistry({
      ...fakes.deps(ID, {}, bundle),
      containerProcesses: {
        signal: async (target, signal, options) => {
          reached.push({ target, signal, fallback: options?.helperFallback });
          if (failWith) throw failWith;
        },
      },
    });
    const pid = await task.create({
      id: ID,
      bundle,
      rootfs: [],
      stdio: { stdin: "", stdout: "", stderr: "", terminal: false },
      options: { debug: false, registryRoot, createTimeoutMs: 60_000 },
    });
    await task.start(ID, "");
    return pid;
  }

  const wcow = { process: { args: ["cmd"] }, windows: { layerFolders: ["a", "b"] } };
  const lcow = { process: { args: ["sh"] }, linux: {}, windows: { layerFolders: ["a", "b"] } };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "task-signals-"));
    bundle = join(dir, "bundle");
    await mkdir(bundle);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("WCOW: 0, 1, 2, 5, 6, 9, 15 reach runhcs kill; 10 and 3 are InvalidArgument before runhcs runs", async () => {
    await started(wcow);
    for (const sig of [0, 1, 2, 5, 6, 9, 15]) await task.kill(ID, "", sig, false);
    for (const sig of [3, 10, 31, 64, -1]) {
      await assert.rejects(task.kill(ID, "", sig, false), InvalidArgumentError);
    }
    const kills = fakes.runhcs.calls.filter((c) => c.startsWith("kill"));
    assert.deepEqual(
      kills,
      [0, 1, 2, 5, 6, 9, 15].map((s) => `kill ${ID} ${s}`),
    );
  });

  it("LCOW (config.json has `linux`): 1..31 reach runhcs kill; 0 and 32 are InvalidArgument", async () => {
    await started(lcow);
    await task.kill(ID, "", 10, false);
    await task.kill(ID, "", 31, false);
    await assert.rejects(task.kill(ID, "", 0, false), InvalidArgumentError);
    await assert.rejects(task.kill(ID, "", 32, false), InvalidArgumentError);
    assert.deepEqual(
      fakes.runhcs.calls.filter((c) => c.startsWith("kill")),
      [`kill ${ID} 10`, `kill ${ID} 31`],
    );
  });

  it("exec kill → the seam, with the exec's helper pid, the container id, root, terminal and OS", async () => {
    await started(lcow, "tenant-a");
    await task.exec(ID, {
      execId: "e1",
      stdio: { stdin: "", stdout: "", stderr: "", terminal: true },
      spec: SPEC,
    });
    const pid = await task.start(ID, "e1");
    await task.kill(ID, "e1", 15, false);
    assert.deepEqual(reached, [
      {
        target: { root: "tenant-a", containerId: ID, helperPid: pid, terminal: true, lcow: true },
        signal: 15,
        fallback: undefined,
      },
    ]);
    assert.ok(
      !fakes.runhcs.calls.some((c) => c.startsWith("kill")),
      "runhcs kill must not be used for an exec",
    );
    await assert.rejects(task.kill(ID, "e1", 40, false), InvalidArgumentError);
    assert.equal(reached.length, 1);
  });

  it("exec kill: the seam's NotFound and FailedPrecondition reach the caller unchanged", async () => {
    await started(wcow);
    await task.exec(ID, {
      execId: "e1",
      stdio: { stdin: "", stdout: "", stderr: "", terminal: false },
      spec: SPEC,
    });
    await task.start(ID, "e1");
    failWith = new NotFoundError("process already finished");
    await assert.rejects(task.kill(ID, "e1", 9, false), NotFoundError);
    failWith = new FailedPreconditionError("vmcompute.dll cannot be loaded");
    await assert.rejects(task.kill(ID, "e1", 9, false), FailedPreconditionError);
  });

  it("kill all → runhcs kill of the init, then every live process through the seam without helper fallback", async () => {
    const initPid = await started(wcow);
    await task.exec(ID, {
      execId: "e1",
      stdio: { stdin: "", stdout: "", stderr: "", terminal: false },
      spec: SPEC,
    });
    const execPid = await task.start(ID, "e1");
    failWith = new NotFoundError("process already finished"); // gone ones are skipped, not an error
    await task.kill(ID, "", 9, true);
    assert.deepEqual(
      fakes.runhcs.calls.filter((c) => c.startsWith("kill")),
      [`kill ${ID} 9`],
    );
    assert.deepEqual(
      reached.map((r) => [r.target.helperPid, r.signal, r.fallback]),
      [
        [initPid, 9, false],
        [execPid, 9, false],
      ],
    );
  });
});
