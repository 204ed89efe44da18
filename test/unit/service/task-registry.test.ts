/**
 * One server holding many tasks (issue 11, item 4): every request is routed by its id, tasks are isolated
 * from each other (a hung runhcs call of one delays nothing of another), Create of a held id is
 * AlreadyExists, events carry their task's container id, and Shutdown ends the server only when no task
 * is left. Over ttrpc, each task with its own fake runhcs, sharing the waiter and the event publisher.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Task as TaskV2 } from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { Status } from "../../../src/gen/containerd/types/task/task_pb.js";
import { silentLogger } from "../../../src/log/logger.js";
import { TaskRegistry } from "../../../src/service/task-registry.js";
import { type Client, Code, type createClient, type Server } from "../../../src/ttrpc/index.js";
import { FakeDeps, FakeRunhcs, SH_EXEC_SPEC, serveTaskApi } from "../../fakes/service-deps.js";

const IDS = ["t1", "t2", "t3"] as const;
const SPEC = SH_EXEC_SPEC;

describe("Task registry: many tasks on one server", () => {
  let dir: string;
  let server: Server;
  let client: Client;
  let fakes: FakeDeps;
  /** Each task's own runhcs (t1's pids from 1000, t2's from 2000, ...). */
  let runhcsOf: Map<string, FakeRunhcs>;
  let shutdowns: number;
  /** What the registry asked of the per-task logs. */
  let logs: string[];
  let api: ReturnType<typeof createClient<typeof TaskV2>>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "svc-many-"));
    fakes = new FakeDeps();
    runhcsOf = new Map();
    for (const [i, id] of IDS.entries()) {
      await mkdir(join(dir, id));
      await writeFile(join(dir, id, "config.json"), JSON.stringify({ process: { args: ["sh"] }, root: {} }));
      const runhcs = new FakeRunhcs();
      runhcs.nextPid = 1000 * (i + 1);
      runhcs.waitFor = (pid) => fakes.waiter.wait(pid);
      runhcsOf.set(id, runhcs);
    }
    const registry = new TaskRegistry({
      // A group's server, started for t1 (`groupAdmission`): every task whose bundle is `<dir>/<id>`.
      ...fakes.deps("t1", { deleteExitMs: 300 }, join(dir, "t1")),
      taskLogs: {
        open: (id, bundle) => {
          logs.push(`open ${id} ${bundle}`);
          return silentLogger;
        },
        close: async (id) => void logs.push(`close ${id}`),
      },
      runhcs: (o) => runhcsOf.get(basename(o.cwd ?? ""))!,
    });
    shutdowns = 0;
    logs = [];
    ({ server, client, api } = await serveTaskApi(dir, registry, () => shutdowns++));
  });

  afterEach(async () => {
    client.close();
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const createTask = (id: string) => api.create({ id, bundle: join(dir, id), stdout: `/fifo/${id}` });
  const calls = (id: string) => runhcsOf.get(id)!.calls;
  const eventsOf = (topic: string) =>
    fakes.events.events.filter((e) => e.topic === topic).map((e) => [e.fields.containerId, e.fields.id]);

  /** Task `id`'s next `runhcs delete` ends its helper `pid` (exit 1, as the simulator's of a created container). */
  function helperExitsOnDelete(id: string, pid: number): void {
    const runhcs = runhcsOf.get(id)!;
    runhcs.afterDelete = () => {
      runhcs.afterDelete = () => {};
      fakes.waiter.exit(pid, 1);
    };
  }

  async function createAll(): Promise<number[]> {
    const pids: number[] = [];
    for (const id of IDS) pids.push((await createTask(id)).pid);
    return pids;
  }

  it("3 tasks: each request reaches its own task's runhcs and state; events carry their container id", async () => {
    assert.deepEqual(await createAll(), [1000, 2000, 3000]);
    await api.start({ id: "t2" });
    await assert.rejects(api.exec({ id: "t3", execId: "e1", spec: SPEC }), { code: Code.FailedPrecondition });
    assert.deepEqual(await Promise.all(IDS.map(async (id) => (await api.state({ id })).status)), [
      Status.CREATED,
      Status.RUNNING,
      Status.CREATED,
    ]);
    await api.start({ id: "t3" });
    await api.exec({ id: "t3", execId: "e1", spec: SPEC });
    const exec = await api.start({ id: "t3", execId: "e1" });
    await assert.rejects(api.state({ id: "t2", execId: "e1" }), {
      code: Code.NotFound,
      message: "exec e1: not found",
    });
    await api.kill({ id: "t2", signal: 15 });
    assert.deepEqual(calls("t1"), ["create t1"]);
    assert.deepEqual(calls("t2").at(-1), "kill t2 15");
    assert.ok(!calls("t3").some((c) => c.startsWith("kill")));
    assert.deepEqual((await api.connect({ id: "t3" })).taskPid, 3000);
    assert.deepEqual((await api.connect({ id: "nope" })).taskPid, 0);

    fakes.waiter.exit(exec.pid, 4);
    fakes.waiter.exit(2000, 143);
    assert.equal((await api.wait({ id: "t3", execId: "e1" })).exitStatus, 4);
    assert.equal((await api.wait({ id: "t2" })).exitStatus, 143);
    assert.equal((await api.state({ id: "t3" })).status, Status.RUNNING, "t2's exit touched t3");
    const deleted = await api.delete({ id: "t2" });
    assert.deepEqual([deleted.pid, deleted.exitStatus], [2000, 143]);
    assert.deepEqual(eventsOf("/tasks/create"), [
      ["t1", undefined],
      ["t2", undefined],
      ["t3", undefined],
    ]);
    assert.deepEqual(eventsOf("/tasks/start"), [
      ["t2", undefined],
      ["t3", undefined],
    ]);
    assert.deepEqual(eventsOf("/tasks/exit"), [
      ["t3", "e1"],
      ["t2", "t2"],
    ]);
    assert.deepEqual(eventsOf("/tasks/delete"), [["t2", "t2"]]);
    await assert.rejects(api.state({ id: "t2" }), { code: Code.NotFound, message: "task t2: not found" });
    assert.equal((await api.state({ id: "t1" })).status, Status.CREATED);
  });

  it("kill all of one task signals only its own processes", async () => {
    await createAll();
    for (const id of IDS) await api.start({ id });
    for (const i of [1, 2, 3]) fakes.children.set(1000 * i, [1000 * i + 500]);
    await api.kill({ id: "t2", signal: 9, all: true });
    assert.deepEqual(fakes.signalled, ["2500 9"]);
  });

  it("Create of an id the server holds → AlreadyExists, also while its create is in flight; free again once deleted", async () => {
    runhcsOf.get("t1")!.createHangs = true;
    const first = api.create({ id: "t1", bundle: join(dir, "t1") }, { timeoutMs: 500 });
    for (let i = 0; i < 200 && calls("t1").length === 0; i++) await tick();
    await assert.rejects(createTask("t1"), { code: Code.AlreadyExists, message: "task t1: already exists" });
    await assert.rejects(first, { code: Code.DeadlineExceeded });
    runhcsOf.get("t1")!.createHangs = false;
    await createTask("t2");
    await assert.rejects(createTask("t2"), { code: Code.AlreadyExists });
    // The failed create left the id free.
    for (let i = 0; i < 500; i++) {
      const outcome = await createTask("t1").then(
        () => "created",
        (e: { code: Code }) => e.code,
      );
      if (outcome === "created") break;
      assert.equal(outcome, Code.AlreadyExists);
      await tick();
    }
    await api.delete({ id: "t2" });
    const again = await createTask("t2");
    assert.equal((await api.state({ id: "t2" })).pid, again.pid);
  });

  it("a hung runhcs call of one task delays nothing of another: State, Kill, Wait, Delete answer at once", async () => {
    await createAll();
    runhcsOf.get("t1")!.startHangs = true;
    let t1Settled = false;
    const t1Start = api.start({ id: "t1" }).finally(() => {
      t1Settled = true;
    });
    for (let i = 0; i < 200 && !calls("t1").includes("start t1"); i++) await tick();
    const t0 = Date.now();
    await api.start({ id: "t2" });
    assert.equal((await api.state({ id: "t2" })).status, Status.RUNNING);
    await api.kill({ id: "t2", signal: 9 });
    const waiting = api.wait({ id: "t2" });
    fakes.waiter.exit(2000, 137);
    assert.equal((await waiting).exitStatus, 137);
    await api.delete({ id: "t2" });
    // t3: created, killed and deleted while t1's start still hangs.
    helperExitsOnDelete("t3", 3000);
    await api.kill({ id: "t3", signal: 9 });
    assert.equal((await api.delete({ id: "t3" })).exitStatus, 137);
    assert.ok(Date.now() - t0 < 2_000, `t2 and t3 took ${Date.now() - t0} ms`);
    assert.equal(t1Settled, false, "t1's start did not hang meanwhile");
    assert.equal((await api.state({ id: "t1" })).status, Status.CREATED);
    // t1 is still whole: Kill cancels its hung start and ends it.
    helperExitsOnDelete("t1", 1000);
    await api.kill({ id: "t1", signal: 9 });
    await assert.rejects(t1Start, { code: Code.Canceled });
    assert.equal((await api.wait({ id: "t1" })).exitStatus, 137);
  });

  it("admission: a task of the group in its own bundle beside the server's, nothing else; each task its own log", async () => {
    const outside = await mkdtemp(join(tmpdir(), "svc-outside-"));
    try {
      await mkdir(join(outside, "t2"));
      for (const bundle of [join(outside, "t2"), join(dir, "t3"), dir, "t2"]) {
        await assert.rejects(api.create({ id: "t2", bundle }), { code: Code.InvalidArgument }, bundle);
      }
      await assert.rejects(api.create({ id: "..", bundle: dir }), { code: Code.InvalidArgument });
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
    // A refused Create released the log it opened.
    assert.deepEqual(
      logs,
      Array(4)
        .fill([`open t2 ${join(dir, "t2")}`, "close t2"])
        .flat(),
    );
    logs = [];
    await createAll();
    helperExitsOnDelete("t3", 3000);
    await api.delete({ id: "t3" });
    assert.deepEqual(logs, [...IDS.map((id) => `open ${id} ${join(dir, id)}`), "close t3"]);
  });

  it("Shutdown: refused for a task still held, answered without exiting while others remain; exits after the last", async () => {
    await createTask("t1");
    await createTask("t2");
    await assert.rejects(api.shutdown({ id: "t1" }), { code: Code.FailedPrecondition });
    for (const [id, pid] of [
      ["t1", 1000],
      ["t2", 2000],
    ] as const) {
      helperExitsOnDelete(id, pid);
      await api.delete({ id });
      await api.shutdown({ id });
      await tick();
      assert.equal(shutdowns, id === "t1" ? 0 : 1, `after ${id}'s delete`);
    }
    await api.shutdown({ id: "t3", now: true });
    await tick();
    assert.equal(shutdowns, 2);
  });
});

function tick(): Promise<void> {
  return new Promise((r) => setTimeout(r, 1));
}
