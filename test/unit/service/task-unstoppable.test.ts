/**
 * No RPC waits on something that cannot happen (issue 10, item 1): a created task whose start failed or
 * hangs, never-started execs. And the bundle (item 3): only the shim's own, and no file removed that the
 * shim did not create. Over ttrpc, with the shared fakes.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { readCreated } from "../../../src/bundle/created-files.js";
import type { Task as TaskV2 } from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { Status } from "../../../src/gen/containerd/types/task/task_pb.js";
import { TaskRegistry } from "../../../src/service/task-registry.js";
import { type Client, Code, type createClient, type Server } from "../../../src/ttrpc/index.js";
import { FakeDeps, runhcsError, SH_EXEC_SPEC, serveTaskApi } from "../../fakes/service-deps.js";

const ID = "task1";
const CONFIG = JSON.stringify({ process: { args: ["sh"] }, root: { path: "r" } });
const SPEC = SH_EXEC_SPEC;

describe("Task: nothing waits for an exit that cannot come; the bundle is the shim's", () => {
  let dir: string;
  let bundle: string;
  let server: Server;
  let client: Client;
  let fakes: FakeDeps;
  let api: ReturnType<typeof createClient<typeof TaskV2>>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "svc-u-"));
    bundle = join(dir, "bundle");
    await mkdir(bundle);
    await writeFile(join(bundle, "config.json"), CONFIG);
    fakes = new FakeDeps();
    const task = new TaskRegistry(fakes.deps(ID, { deleteExitMs: 300 }, bundle));
    ({ server, client, api } = await serveTaskApi(dir, task));
  });

  afterEach(async () => {
    client.close();
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const createTask = () => api.create({ id: ID, bundle, stdout: "/fifo/out" });
  const exits = () => fakes.events.events.filter((e) => e.topic === "/tasks/exit").map((e) => e.fields);

  /** The next `runhcs delete` ends the helper (with 1, as the simulator's helper of a created container). */
  function helperExitsOnDelete(pid: number): void {
    fakes.runhcs.afterDelete = () => {
      fakes.runhcs.afterDelete = () => {};
      fakes.waiter.exit(pid, 1);
    };
  }

  /** A task whose `runhcs start` failed: CREATED, its helper alive. */
  async function startFailed(): Promise<number> {
    const { pid } = await createTask();
    fakes.runhcs.failures.set("start", runhcsError("start", "the compute system failed to start"));
    await assert.rejects(api.start({ id: ID }), { code: Code.Unknown, message: /failed to start/ });
    assert.equal((await api.state({ id: ID })).status, Status.CREATED);
    return pid;
  }

  it("kill of a created task whose start failed → runhcs delete --force, exit 137, Wait returns, Delete works", async () => {
    const pid = await startFailed();
    helperExitsOnDelete(pid);
    const waiting = api.wait({ id: ID });
    await api.kill({ id: ID, signal: 9 });
    assert.ok(!fakes.runhcs.calls.some((c) => c.startsWith("kill")), "runhcs kill cannot reach it");
    assert.ok(fakes.runhcs.calls.includes(`delete --force ${ID}`));
    const state = await api.state({ id: ID });
    assert.deepEqual([state.status, state.exitStatus], [Status.STOPPED, 137]);
    assert.equal((await waiting).exitStatus, 137);
    assert.deepEqual(
      exits().map((e) => [e.id, e.pid, e.exitStatus]),
      [[ID, pid, 137]],
    );
    const deleted = await api.delete({ id: ID });
    assert.deepEqual([deleted.pid, deleted.exitStatus], [pid, 137]);
    assert.deepEqual((await readdir(bundle)).sort(), ["config.json", "shim-created"]);
  });

  it("kill (SIGTERM) of a created task whose helper never exits → exit 143 after the bound, Delete works", async () => {
    await startFailed();
    const waiting = api.wait({ id: ID });
    await api.kill({ id: ID, signal: 15 });
    assert.equal((await waiting).exitStatus, 143);
    assert.deepEqual(
      exits().map((e) => e.exitStatus),
      [143],
    );
    assert.equal((await api.delete({ id: ID })).exitStatus, 143);
  });

  it("kill of a never-started task with a signal runhcs refuses → InvalidArgument, nothing destroyed", async () => {
    await createTask();
    await assert.rejects(api.kill({ id: ID, signal: 3 }), { code: Code.InvalidArgument });
    assert.deepEqual(fakes.runhcs.calls, [`create ${ID}`]);
    assert.equal((await api.state({ id: ID })).status, Status.CREATED);
  });

  it("kill while runhcs start hangs → the start is cancelled at once, exit 137, no /tasks/start", async () => {
    const { pid } = await createTask();
    fakes.runhcs.startHangs = true;
    helperExitsOnDelete(pid);
    const starting = api.start({ id: ID });
    const waiting = api.wait({ id: ID });
    for (let i = 0; i < 200 && !fakes.runhcs.calls.includes(`start ${ID}`); i++) await tick();
    const t0 = Date.now();
    await api.kill({ id: ID, signal: 9 });
    await assert.rejects(starting, { code: Code.Canceled });
    assert.equal((await waiting).exitStatus, 137);
    assert.ok(Date.now() - t0 < 5_000, "kill waited for the hung start");
    assert.deepEqual(fakes.events.topics, ["/tasks/create", "/tasks/exit"]);
    await api.delete({ id: ID });
  });

  it("delete while runhcs start hangs → the start is cancelled, the task deleted", async () => {
    const { pid } = await createTask();
    fakes.runhcs.startHangs = true;
    helperExitsOnDelete(pid);
    const starting = api.start({ id: ID });
    for (let i = 0; i < 200 && !fakes.runhcs.calls.includes(`start ${ID}`); i++) await tick();
    const t0 = Date.now();
    const deleted = await api.delete({ id: ID });
    assert.equal(deleted.pid, pid);
    await assert.rejects(starting, { code: Code.Canceled });
    assert.ok(Date.now() - t0 < 5_000, "delete waited for the hung start");
    await assert.rejects(api.state({ id: ID }), { code: Code.NotFound });
  });

  it("exec whose runhcs exec failed → its Wait returns 255; delete works", async () => {
    await started();
    await api.exec({ id: ID, execId: "e1", spec: SPEC });
    const waiting = api.wait({ id: ID, execId: "e1" });
    fakes.runhcs.failures.set("exec", runhcsError("exec", "the process could not be created"));
    await assert.rejects(api.start({ id: ID, execId: "e1" }), { code: Code.Unknown });
    assert.equal((await waiting).exitStatus, 255);
    assert.equal((await api.state({ id: ID, execId: "e1" })).status, Status.STOPPED);
    await api.delete({ id: ID, execId: "e1" });
    assert.ok(!(await readdir(bundle)).some((f) => f.includes("e1")));
  });

  it("kill of a created exec → exit 137, Wait returns, start refused, delete works", async () => {
    await started();
    await api.exec({ id: ID, execId: "e1", spec: SPEC });
    const waiting = api.wait({ id: ID, execId: "e1" });
    await api.kill({ id: ID, execId: "e1", signal: 9 });
    assert.equal((await waiting).exitStatus, 137);
    await assert.rejects(api.start({ id: ID, execId: "e1" }), { code: Code.FailedPrecondition });
    assert.ok(!fakes.runhcs.calls.some((c) => c.startsWith("exec")), "a killed exec was started");
    assert.equal((await api.delete({ id: ID, execId: "e1" })).exitStatus, 137);
  });

  it("delete of a created exec with a Wait pending → the Wait returns 255", async () => {
    await started();
    await api.exec({ id: ID, execId: "e1", spec: SPEC });
    const waiting = api.wait({ id: ID, execId: "e1" });
    await api.delete({ id: ID, execId: "e1" });
    assert.equal((await waiting).exitStatus, 255);
  });

  // ---- item 3: the bundle --------------------------------------------------------------------------

  it("create with a relative bundle → InvalidArgument, nothing run or written", async () => {
    const outside = join(dir, "outside");
    await mkdir(outside);
    await writeFile(join(outside, "config.json"), CONFIG);
    const rel = relative(process.cwd(), outside);
    await assert.rejects(api.create({ id: ID, bundle: rel }), { code: Code.InvalidArgument });
    await assert.rejects(api.create({ id: ID, bundle: "../../outside" }), { code: Code.InvalidArgument });
    assert.deepEqual(fakes.runhcs.calls, []);
    assert.deepEqual(await readdir(outside), ["config.json"]);
    assert.equal(await readFile(join(outside, "config.json"), "utf8"), CONFIG);
  });

  it("create with another absolute bundle → InvalidArgument, its config.json untouched", async () => {
    const other = join(dir, "other");
    await mkdir(other);
    await writeFile(join(other, "config.json"), CONFIG);
    await assert.rejects(api.create({ id: ID, bundle: other }), {
      code: Code.InvalidArgument,
      message: /is not this shim's bundle/,
    });
    assert.deepEqual(fakes.runhcs.calls, []);
    assert.equal(await readFile(join(other, "config.json"), "utf8"), CONFIG);
    // The shim's own bundle, spelled with a trailing separator, is the same bundle.
    await api.create({ id: ID, bundle: `${bundle}/` });
  });

  it("create when the bundle already holds a pid file this shim did not write → FailedPrecondition, file kept", async () => {
    await writeFile(join(bundle, "runhcs-pidfile.pid"), "4242");
    await assert.rejects(createTask(), { code: Code.FailedPrecondition, message: /runhcs-pidfile\.pid/ });
    assert.deepEqual(fakes.runhcs.calls, []);
    assert.equal(await readFile(join(bundle, "runhcs-pidfile.pid"), "utf8"), "4242");
    assert.deepEqual(await readCreated(bundle), new Set(), "recorded as the shim's for the delete action");
  });

  for (const before of [true, false]) {
    it(`a runhcs.log ${before ? "there before create is kept" : "runhcs wrote for the task is removed"} by delete`, async () => {
      if (before) await writeFile(join(bundle, "runhcs.log"), "earlier\n");
      const pid = await started();
      const created = await readCreated(bundle);
      assert.deepEqual([created.has("runhcs-pidfile.pid"), created.has("runhcs.log")], [true, !before]);
      if (!before) await writeFile(join(bundle, "runhcs.log"), "runhcs's own\n");
      fakes.waiter.exit(pid, 0);
      await api.wait({ id: ID });
      await api.delete({ id: ID });
      if (before) assert.equal(await readFile(join(bundle, "runhcs.log"), "utf8"), "earlier\n");
      else assert.deepEqual((await readdir(bundle)).sort(), ["config.json", "shim-created"]);
    });
  }

  it("exec whose pid file is already in the bundle → FailedPrecondition, the file kept, the id free", async () => {
    await started();
    await writeFile(join(bundle, "runhcs-exec-e1-pidfile.pid"), "4343");
    await assert.rejects(api.exec({ id: ID, execId: "e1", spec: SPEC }), { code: Code.FailedPrecondition });
    assert.equal(await readFile(join(bundle, "runhcs-exec-e1-pidfile.pid"), "utf8"), "4343");
    assert.ok(!(await readdir(bundle)).includes("exec-e1-process.json"));
    assert.ok(!(await readCreated(bundle)).has("runhcs-exec-e1-pidfile.pid"), "recorded as the shim's");
    await rm(join(bundle, "runhcs-exec-e1-pidfile.pid"));
    await api.exec({ id: ID, execId: "e1", spec: SPEC });
    const created = await readCreated(bundle);
    assert.ok(created.has("runhcs-exec-e1-pidfile.pid") && created.has("exec-e1-process.json"));
  });

  async function started(): Promise<number> {
    const { pid } = await createTask();
    await api.start({ id: ID });
    return pid;
  }
});

function tick(): Promise<void> {
  return new Promise((r) => setTimeout(r, 1));
}
