/**
 * Task races and leaks (found in review): exits observed while output drains, Delete giving up on an
 * exit, execs outliving their task. Driven through the real task registry with the shared fakes.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TaskRegistry } from "../../../src/service/task-registry.js";
import { deferred } from "../../fakes/process-ops.js";
import { FakeDeps } from "../../fakes/service-deps.js";

const ID = "task1";
const SPEC = new TextEncoder().encode(JSON.stringify({ args: ["sh"], cwd: "/" }));
const NO_STDIO = { stdin: "", stdout: "/fifo/out", stderr: "", terminal: false };

describe("Task races and leaks", () => {
  let dir: string;
  let bundle: string;
  let fakes: FakeDeps;
  let task: TaskRegistry;

  function setup(timeouts = {}): void {
    fakes = new FakeDeps();
    task = new TaskRegistry(fakes.deps(ID, timeouts, bundle));
  }

  async function createTask(): Promise<number> {
    return task.create({
      id: ID,
      bundle,
      rootfs: [],
      stdio: NO_STDIO,
      options: { debug: false, registryRoot: "", createTimeoutMs: 60_000 },
    });
  }

  async function started(): Promise<number> {
    const pid = await createTask();
    await task.start(ID, "");
    return pid;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "h14-"));
    bundle = join(dir, "bundle");
    await mkdir(bundle);
    await writeFile(
      join(bundle, "config.json"),
      JSON.stringify({ process: { args: ["sh"] }, root: { path: "r" } }),
    );
    setup();
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Finding 2 (pid reuse): the exec's helper exited and was reaped (exitObserved), its exit is only held
  // back while its output drains (up to outputDrainMs = 5 s). Kill in that window still signals the pid
  // (and, via #signalTree, whatever now has that pid / its children). Windows recycles pids quickly.
  it("exec kill after its exit was observed (output still draining) → no signal to the reaped, reusable pid", async () => {
    setup({ outputDrainMs: 2_000 });
    fakes.autoFinishOutput = false;
    await started();
    fakes.ios[0]?.finishOutput();
    await task.exec(ID, { execId: "e1", stdio: NO_STDIO, spec: SPEC });
    const execPid = await task.start(ID, "e1");
    fakes.waiter.exit(execPid, 0); // reaped now; the report waits for the output
    await new Promise((r) => setImmediate(r));
    await task.kill(ID, "e1", 15, false).catch(() => undefined);
    const signalled = [...fakes.signalled];
    fakes.ios[1]?.finishOutput();
    await task.wait(ID, "e1", new AbortController().signal);
    assert.deepEqual(signalled, [], "a reaped pid was signalled");
  });

  // Same window, other path: the init exits while an already-exited exec is still draining;
  // #reportExecsFirst filters on `!exitResult` (not `exitObserved`) and SIGKILLs the stale pid.
  it("init exit while an exited exec drains → the exec's stale pid is not SIGKILLed", async () => {
    setup({ outputDrainMs: 2_000 });
    fakes.autoFinishOutput = false;
    const pid = await started();
    await task.exec(ID, { execId: "e1", stdio: NO_STDIO, spec: SPEC });
    const execPid = await task.start(ID, "e1");
    fakes.waiter.exit(execPid, 0);
    await new Promise((r) => setImmediate(r));
    fakes.ios[0]?.finishOutput();
    fakes.waiter.exit(pid, 0);
    await new Promise((r) => setTimeout(r, 20));
    const signalled = [...fakes.signalled];
    fakes.ios[1]?.finishOutput();
    await task.wait(ID, "", new AbortController().signal);
    assert.deepEqual(signalled, [], "a reaped exec pid was SIGKILLed");
  });

  // Finding 3: Delete gave up waiting (deleteExitMs) and reported 255; the real exit arrives later and
  // is published as /tasks/exit AFTER /tasks/delete, with another status than Delete returned.
  it("a late exit after Delete gave up waiting → no /tasks/exit after /tasks/delete", async () => {
    setup({ deleteExitMs: 50 });
    const pid = await createTask(); // never started: runhcs delete --force makes it exit
    const deleted = await task.delete(ID, "");
    assert.equal(deleted.exit?.exitStatus, 255);
    fakes.waiter.exit(pid, 1);
    await new Promise((r) => setTimeout(r, 20));
    const topics = fakes.events.topics;
    const afterDelete = topics.slice(topics.indexOf("/tasks/delete") + 1);
    assert.deepEqual(afterDelete, [], `events after /tasks/delete: ${afterDelete.join(", ")}`);
  });

  // Finding 5: deleting the init leaves created-but-never-started execs (and an exec reserved while
  // its stdio was being opened) with their stdio open and their spec file in the bundle; afterwards
  // they cannot be deleted any more (NotFound), so nothing releases them until the shim exits.
  it("init delete → never-started execs release their stdio and files", async () => {
    const pid = await started();
    await task.exec(ID, { execId: "e1", stdio: NO_STDIO, spec: SPEC });
    fakes.waiter.exit(pid, 0);
    await task.wait(ID, "", new AbortController().signal);
    await task.delete(ID, "");
    const execIo = fakes.ios[1];
    assert.ok(execIo);
    assert.equal(execIo.closed, true, "the exec's stdio is still open after the task was deleted");
    assert.ok(!(await readdir(bundle)).includes("exec-e1-process.json"), "exec spec file left behind");
  });

  it("an exec whose stdio opens while the task is deleted → NotFound, nothing added or left open", async () => {
    const deps = fakes.deps(ID, {}, bundle);
    const opening = deferred();
    task = new TaskRegistry({
      ...deps,
      openIO: async (cfg) => {
        if (cfg.stdout === "/fifo/e1") await opening.promise;
        return deps.openIO(cfg);
      },
    });
    const pid = await started();
    const exec = task.exec(ID, { execId: "e1", stdio: { ...NO_STDIO, stdout: "/fifo/e1" }, spec: SPEC });
    fakes.waiter.exit(pid, 0);
    await task.wait(ID, "", new AbortController().signal);
    await task.delete(ID, "");
    opening.resolve();
    const outcome = await exec.then(
      () => "ok",
      (e: unknown) => (e as Error).name,
    );
    const topics = fakes.events.topics;
    assert.deepEqual(
      {
        outcome,
        afterDelete: topics.slice(topics.indexOf("/tasks/delete") + 1),
        open: fakes.ios.filter((io) => !io.closed).length,
      },
      { outcome: "NotFoundError", afterDelete: [], open: 0 },
    );
  });
});
