import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { pino } from "pino";
import { OptionsSchema, ProcessDetailsSchema } from "../../../src/gen/containerd/runhcs/v1/runhcs_pb.js";
import { Task as TaskV2 } from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { Task as TaskV3 } from "../../../src/gen/containerd/task/v3/shim_pb.js";
import { Status } from "../../../src/gen/containerd/types/task/task_pb.js";
import { TaskRegistry } from "../../../src/service/task-registry.js";
import { registerTaskService } from "../../../src/service/task-service.js";
import { Client, Code, createClient, Server } from "../../../src/ttrpc/index.js";
import { VERSION } from "../../../src/version.js";
import { FakeDeps, runhcsError, serveTaskApi } from "../../fakes/service-deps.js";

const ID = "task1";
const PROCESS_TYPE = "types.containerd.io/opencontainers/runtime-spec/1/Process";

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

function execSpec(args = ["echo", "hi"]) {
  return create(AnySchema, {
    typeUrl: PROCESS_TYPE,
    value: new TextEncoder().encode(JSON.stringify({ args, cwd: "/" })),
  });
}

describe("Task service over ttrpc (fake runhcs)", () => {
  let dir: string;
  let bundle: string;
  let server: Server;
  let client: Client;
  let fakes: FakeDeps;
  let task: TaskRegistry;
  let shutdowns: number;
  let api: ReturnType<typeof createClient<typeof TaskV2>>;

  async function setup(timeouts = {}, runhcsOptionsSeen?: unknown[]) {
    fakes = new FakeDeps();
    const deps = fakes.deps(ID, timeouts, bundle);
    const runhcs = fakes.runhcs;
    const recordOptions: typeof deps.runhcs = (o) => {
      runhcsOptionsSeen?.push(o);
      return runhcs;
    };
    task = new TaskRegistry({ ...deps, runhcs: recordOptions });
    shutdowns = 0;
    ({ server, client, api } = await serveTaskApi(dir, task, () => shutdowns++));
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "svc-"));
    bundle = join(dir, "bundle");
    await mkdir(bundle);
    await writeFile(
      join(bundle, "config.json"),
      JSON.stringify({ process: { args: ["sh"] }, root: { path: "r" } }),
    );
    await setup();
  });

  afterEach(async () => {
    client.close();
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const createTask = (extra = {}, timeoutMs?: number) =>
    api.create(
      { id: ID, bundle, stdin: "", stdout: "/fifo/out", stderr: "/fifo/err", ...extra },
      timeoutMs ? { timeoutMs } : {},
    );

  async function started() {
    const { pid } = await createTask();
    await api.start({ id: ID });
    return pid;
  }

  it("create → runhcs create with the pid file, /tasks/create with the pid", async () => {
    const { pid } = await createTask();
    assert.equal(pid, 1000);
    assert.deepEqual(fakes.runhcs.calls, [`create ${ID}`]);
    assert.equal(fakes.ios[0]?.spawned, true);
    assert.deepEqual(fakes.events.topics, ["/tasks/create"]);
    assert.equal(fakes.events.events[0]?.fields.pid, 1000);
    const state = await api.state({ id: ID });
    assert.equal(state.status, Status.CREATED);
    assert.equal(state.stdout, "/fifo/out");
  });

  it("create with another id than the shim's → InvalidArgument", async () => {
    await assert.rejects(api.create({ id: "other", bundle }), { code: Code.InvalidArgument });
    await assert.rejects(api.create({ id: "../x", bundle }), { code: Code.InvalidArgument });
  });

  it("create twice → AlreadyExists", async () => {
    await createTask();
    await assert.rejects(createTask(), { code: Code.AlreadyExists, message: `task ${ID}: already exists` });
  });

  it("create failing in runhcs → its message, runhcs delete --force, stdio closed, pid file gone, task absent", async () => {
    fakes.runhcs.failures.set("create", runhcsError("create", "invalid layer folder"));
    await assert.rejects(createTask(), { code: Code.Unknown, message: /invalid layer folder/ });
    assert.deepEqual(fakes.runhcs.calls, [`create ${ID}`, `delete --force ${ID}`]);
    assert.equal(fakes.ios[0]?.closed, true);
    assert.deepEqual((await readdir(bundle)).sort(), ["config.json", "shim-created"]);
    await assert.rejects(api.state({ id: ID }), { code: Code.NotFound });
    assert.equal(fakes.events.topics.length, 0);
  });

  it("create refused because runhcs has the id already → no delete of that other container's state", async () => {
    fakes.runhcs.failures.set("create", runhcsError("create", `container ${ID} already exists`));
    await assert.rejects(createTask(), { code: Code.Unknown, message: /already exists/ });
    assert.deepEqual(fakes.runhcs.calls, [`create ${ID}`]);
  });

  it("create cancelled by the client while runhcs create hangs → runhcs delete --force, nothing left", async () => {
    fakes.runhcs.createHangs = true;
    await assert.rejects(createTask({}, 300), { code: Code.DeadlineExceeded });
    // The client gave up; the server notices its own deadline and cleans up.
    for (let i = 0; i < 100 && fakes.runhcs.calls.length < 2; i++) await sleep(20);
    assert.deepEqual(fakes.runhcs.calls, [`create ${ID}`, `delete --force ${ID}`]);
    assert.equal(fakes.ios[0]?.closed, true);
    assert.deepEqual((await readdir(bundle)).sort(), ["config.json", "shim-created"]);
    await assert.rejects(api.state({ id: ID }), { code: Code.NotFound });
  });

  it("create_timeout_in_sec bounds runhcs create: DeadlineExceeded, then runhcs delete --force", async () => {
    fakes.runhcs.createHangs = true;
    const started = Date.now();
    const options = create(AnySchema, {
      typeUrl: OptionsSchema.typeName,
      value: toBinary(OptionsSchema, create(OptionsSchema, { createTimeoutInSec: 1, registryRoot: "r9" })),
    });
    await assert.rejects(createTask({ options }), { code: Code.DeadlineExceeded });
    assert.ok(Date.now() - started >= 1_000);
    assert.deepEqual(fakes.runhcs.calls, [`create ${ID}`, `delete --force ${ID}`]);
    assert.deepEqual((await readdir(bundle)).sort(), ["config.json", "shim-created"]);
  });

  it("create_timeout_in_sec < 0 → InvalidArgument", async () => {
    const options = create(AnySchema, {
      typeUrl: OptionsSchema.typeName,
      value: toBinary(OptionsSchema, create(OptionsSchema, { createTimeoutInSec: -1 })),
    });
    await assert.rejects(createTask({ options }), { code: Code.InvalidArgument });
    assert.deepEqual(fakes.runhcs.calls, []);
  });

  it("create with a layer mount of an unknown type → InvalidArgument, nothing run", async () => {
    await assert.rejects(createTask({ rootfs: [{ type: "overlay", source: "/x", options: [] }] }), {
      code: Code.InvalidArgument,
    });
    assert.deepEqual(fakes.runhcs.calls, []);
  });

  it("create with runhcs options → debug and registry root reach runhcs", async () => {
    const seen: unknown[] = [];
    client.close();
    server.close();
    await setup({}, seen);
    const options = create(AnySchema, {
      typeUrl: OptionsSchema.typeName,
      value: toBinary(OptionsSchema, create(OptionsSchema, { debug: true, registryRoot: "r1" })),
    });
    await createTask({ options });
    // persisted for the `delete` action, which runs when this server is gone
    assert.equal(await readFile(join(bundle, "runhcs-root"), "utf8"), "r1");
    assert.deepEqual(seen[0], {
      debug: true,
      log: join(bundle, "runhcs.log"),
      logFormat: "json",
      owner: "containerd-runhcs-shim-v1",
      root: "r1",
      cwd: bundle,
    });
  });

  it("start → runhcs start, state polled until no longer created, /tasks/start", async () => {
    await createTask();
    fakes.runhcs.createdPolls = 3;
    const { pid } = await api.start({ id: ID });
    assert.equal(pid, 1000);
    assert.deepEqual(fakes.runhcs.calls.slice(1), ["start task1", ...Array(4).fill("state task1")]);
    assert.deepEqual(fakes.events.topics, ["/tasks/create", "/tasks/start"]);
    assert.equal((await api.state({ id: ID })).status, Status.RUNNING);
    await assert.rejects(api.start({ id: ID }), { code: Code.FailedPrecondition });
  });

  it("start while runhcs keeps reporting created → DeadlineExceeded", async () => {
    client.close();
    server.close();
    await setup({ startMs: 50 });
    await createTask();
    fakes.runhcs.createdPolls = 1_000_000;
    await assert.rejects(api.start({ id: ID }), { code: Code.DeadlineExceeded });
  });

  it("exit → Wait returns only after the output drained, then /tasks/exit; state stopped", async () => {
    fakes.autoFinishOutput = false;
    const pid = await started();
    const waiting = api.wait({ id: ID });
    fakes.waiter.exit(pid, 3, new Date(1_700_000_000_123));
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(!fakes.events.topics.includes("/tasks/exit"), "exit published before the output drained");
    fakes.ios[0]?.finishOutput();
    const exit = await waiting;
    assert.equal(exit.exitStatus, 3);
    // The exit time on the wire: whole seconds, the milliseconds as nanoseconds.
    const at = { seconds: 1_700_000_000n, nanos: 123_000_000 };
    assert.deepEqual([exit.exitedAt?.seconds, exit.exitedAt?.nanos], [at.seconds, at.nanos]);
    await until(() => fakes.events.topics.includes("/tasks/exit"), "/tasks/exit");
    const e = fakes.events.events.at(-1)!.fields;
    assert.deepEqual([e.containerId, e.id, e.pid, e.exitStatus], [ID, ID, pid, 3]);
    const eventAt = e.exitedAt as typeof at | undefined;
    assert.deepEqual([eventAt?.seconds, eventAt?.nanos], [at.seconds, at.nanos]);
    const state = await api.state({ id: ID });
    assert.equal(state.status, Status.STOPPED);
    assert.equal(state.exitStatus, 3);
    assert.deepEqual([state.exitedAt?.seconds, state.exitedAt?.nanos], [at.seconds, at.nanos]);
  });

  it("an exit during start is reported after /tasks/start", async () => {
    await createTask();
    fakes.runhcs.createdPolls = 2;
    const starting = api.start({ id: ID });
    await until(() => fakes.runhcs.calls.includes("start task1"), "runhcs start");
    fakes.waiter.exit(1000, 0);
    await starting;
    await until(() => fakes.events.topics.includes("/tasks/exit"), "/tasks/exit");
    assert.deepEqual(fakes.events.topics, ["/tasks/create", "/tasks/start", "/tasks/exit"]);
  });

  it("many concurrent waiters all get the exit", async () => {
    const pid = await started();
    const waiters = Array.from({ length: 20 }, () => api.wait({ id: ID }));
    fakes.waiter.exit(pid, 7);
    for (const w of await Promise.all(waiters)) assert.equal(w.exitStatus, 7);
  });

  it("kill → runhcs kill with the signal; container is stopped → success; kill after exit → NotFound", async () => {
    const pid = await started();
    await api.kill({ id: ID, signal: 15 });
    fakes.runhcs.failures.set("kill", runhcsError("kill", "container is stopped"));
    await api.kill({ id: ID, signal: 9 });
    assert.deepEqual(
      fakes.runhcs.calls.filter((c) => c.startsWith("kill")),
      ["kill task1 15", "kill task1 9"],
    );
    fakes.waiter.exit(pid, 137);
    await api.wait({ id: ID });
    await assert.rejects(api.kill({ id: ID, signal: 9 }), { code: Code.NotFound });
  });

  it("kill all → the processes below the init helper are signalled too", async () => {
    const pid = await started();
    fakes.children.set(pid, [2001, 2002]);
    await api.kill({ id: ID, signal: 9, all: true });
    assert.deepEqual(fakes.signalled, ["2001 9", "2002 9"]);
  });

  it("unknown task or exec id → NotFound", async () => {
    await started();
    await assert.rejects(api.state({ id: "nope" }), { code: Code.NotFound, message: "task nope: not found" });
    await assert.rejects(api.kill({ id: ID, execId: "e9", signal: 9 }), {
      code: Code.NotFound,
      message: "exec e9: not found",
    });
  });

  it("pause/resume → runhcs and /tasks/paused, /tasks/resumed; state paused", async () => {
    await started();
    await api.pause({ id: ID });
    assert.equal((await api.state({ id: ID })).status, Status.PAUSED);
    await assert.rejects(api.pause({ id: ID }), { code: Code.FailedPrecondition });
    await api.resume({ id: ID });
    assert.deepEqual(fakes.events.topics.slice(-2), ["/tasks/paused", "/tasks/resumed"]);
  });

  it("exec → spec file, /tasks/exec-added; start → exec-started; exit and delete → events with the exec id", async () => {
    await started();
    await api.exec({ id: ID, execId: "e1", stdout: "/fifo/e1", spec: execSpec() });
    assert.ok((await readdir(bundle)).includes("exec-e1-process.json"));
    assert.equal((await api.state({ id: ID, execId: "e1" })).status, Status.CREATED);
    const { pid } = await api.start({ id: ID, execId: "e1" });
    assert.equal(pid, 1001);
    fakes.waiter.exit(pid, 4);
    assert.equal((await api.wait({ id: ID, execId: "e1" })).exitStatus, 4);
    const deleted = await api.delete({ id: ID, execId: "e1" });
    assert.deepEqual([deleted.pid, deleted.exitStatus], [1001, 4]);
    assert.deepEqual(fakes.events.topics.slice(2), [
      "/tasks/exec-added",
      "/tasks/exec-started",
      "/tasks/exit",
      "/tasks/delete",
    ]);
    assert.equal(fakes.events.events[4]?.fields.id, "e1");
    assert.ok(!(await readdir(bundle)).some((f) => f.includes("e1")), "exec files left behind");
    await assert.rejects(api.state({ id: ID, execId: "e1" }), { code: Code.NotFound });
    assert.equal((await api.state({ id: ID })).status, Status.RUNNING, "deleting an exec touched the task");
  });

  it("exec with a used id → AlreadyExists; bad id → InvalidArgument; no spec → InvalidArgument", async () => {
    await started();
    await api.exec({ id: ID, execId: "e1", spec: execSpec() });
    await assert.rejects(api.exec({ id: ID, execId: "e1", spec: execSpec() }), { code: Code.AlreadyExists });
    await assert.rejects(api.exec({ id: ID, execId: "../e", spec: execSpec() }), {
      code: Code.InvalidArgument,
    });
    await assert.rejects(api.exec({ id: ID, execId: "e2" }), { code: Code.InvalidArgument });
    await assert.rejects(api.exec({ id: ID, execId: "e3", spec: execSpec([]) }), {
      code: Code.InvalidArgument,
    });
  });

  it("exec into a stopped task → FailedPrecondition", async () => {
    const pid = await started();
    fakes.waiter.exit(pid, 0);
    await api.wait({ id: ID });
    await assert.rejects(api.exec({ id: ID, execId: "e1", spec: execSpec() }), {
      code: Code.FailedPrecondition,
    });
  });

  it("exec kill → its host processes are signalled (runhcs kill only reaches the init)", async () => {
    await started();
    await api.exec({ id: ID, execId: "e1", spec: execSpec() });
    const { pid } = await api.start({ id: ID, execId: "e1" });
    fakes.children.set(pid, [3001]);
    await api.kill({ id: ID, execId: "e1", signal: 15 });
    assert.deepEqual(fakes.signalled, ["3001 15"]);
  });

  it("init exit with a running exec → the exec is killed and its exit published first", async () => {
    const pid = await started();
    await api.exec({ id: ID, execId: "e1", spec: execSpec() });
    const exec = await api.start({ id: ID, execId: "e1" });
    fakes.waiter.exit(pid, 0);
    await until(() => fakes.signalled.length > 0, "exec killed");
    assert.deepEqual(fakes.signalled, [`${exec.pid} 9`]);
    assert.ok(!fakes.events.topics.includes("/tasks/exit"));
    fakes.waiter.exit(exec.pid, 137);
    await api.wait({ id: ID });
    await until(() => fakes.events.topics.filter((t) => t === "/tasks/exit").length === 2, "two exits");
    const exits = fakes.events.events.filter((e) => e.topic === "/tasks/exit").map((e) => e.fields.id);
    assert.deepEqual(exits, ["e1", ID]);
  });

  it("pids → runhcs ps, exec pids carry ProcessDetails with the exec id", async () => {
    await started();
    await api.exec({ id: ID, execId: "e1", spec: execSpec() });
    const exec = await api.start({ id: ID, execId: "e1" });
    fakes.children.set(exec.pid, [6000]);
    fakes.runhcs.psPids = [1000, exec.pid, 5000, 6000];
    const { processes } = await api.pids({ id: ID });
    assert.deepEqual(
      processes.map((p) => p.pid),
      [1000, exec.pid, 5000, 6000],
    );
    assert.equal(fromBinary(ProcessDetailsSchema, processes[3]!.info!.value).execId, "e1");
    const info = processes[1]?.info;
    assert.equal(info?.typeUrl, "containerd.runhcs.v1.ProcessDetails");
    assert.equal(fromBinary(ProcessDetailsSchema, info!.value).execId, "e1");
    assert.equal(processes[0]?.info, undefined);
  });

  it("delete while running → FailedPrecondition; after exit → runhcs delete --force, /tasks/delete, files removed", async () => {
    const pid = await started();
    await assert.rejects(api.delete({ id: ID }), { code: Code.FailedPrecondition });
    fakes.waiter.exit(pid, 2);
    await api.wait({ id: ID });
    const r = await api.delete({ id: ID });
    assert.deepEqual([r.pid, r.exitStatus], [pid, 2]);
    assert.ok(fakes.runhcs.calls.includes("delete --force task1"));
    assert.equal(fakes.events.topics.at(-1), "/tasks/delete");
    assert.deepEqual((await readdir(bundle)).sort(), ["config.json", "shim-created"]);
    assert.equal(fakes.ios[0]?.closed, true);
    await assert.rejects(api.delete({ id: ID }), { code: Code.NotFound });
  });

  it("delete of a never-started task → waits for the exit runhcs delete causes", async () => {
    const { pid } = await createTask();
    const deleting = api.delete({ id: ID });
    await until(() => fakes.runhcs.calls.includes("delete --force task1"), "runhcs delete");
    fakes.waiter.exit(pid, 1);
    const r = await deleting;
    assert.equal(r.exitStatus, 1);
  });

  it("delete when the exit never comes → 255 after the bound, waiters released", async () => {
    const { pid } = await createTask();
    const waiting = api.wait({ id: ID });
    const r = await api.delete({ id: ID });
    assert.equal(r.exitStatus, 255);
    assert.equal((await waiting).exitStatus, 255);
    assert.equal(r.pid, pid);
  });

  it("closeIO(stdin) closes the process's stdin; resize-pty goes to runhcs with the helper pid", async () => {
    const pid = await started();
    await api.closeIO({ id: ID, stdin: true });
    assert.equal(fakes.ios[0]?.stdinClosed, true);
    await api.resizePty({ id: ID, width: 80, height: 25 });
    assert.ok(fakes.runhcs.calls.includes(`resize-tty task1 80x25 pid=${pid}`));
    await api.resizePty({ id: ID, width: 0, height: 0 });
    assert.equal(
      fakes.runhcs.calls.filter((c) => c.startsWith("resize-tty")).length,
      1,
      "0x0 reached runhcs",
    );
    fakes.runhcs.failures.set("resize-tty", runhcsError("resize-tty", "container is stopped"));
    await api.resizePty({ id: ID, width: 100, height: 30 });
  });

  it("stats, update, checkpoint → Unimplemented with what is missing", async () => {
    await started();
    await assert.rejects(api.stats({ id: ID }), { code: Code.Unimplemented, message: /stats/ });
    await assert.rejects(api.update({ id: ID }), { code: Code.Unimplemented, message: /update/ });
    await assert.rejects(api.checkpoint({ id: ID }), { code: Code.Unimplemented, message: /checkpoint/ });
  });

  it("connect → shim pid, task pid and version", async () => {
    const pid = await started();
    const r = await api.connect({ id: ID });
    assert.deepEqual([r.shimPid, r.taskPid, r.version], [process.pid, pid, VERSION]);
  });

  it("shutdown with a live task → FailedPrecondition; with now or after delete → the shim ends", async () => {
    const pid = await started();
    await assert.rejects(api.shutdown({ id: ID }), { code: Code.FailedPrecondition });
    await api.shutdown({ id: ID, now: true });
    await until(() => shutdowns === 1, "shutdown");
    fakes.waiter.exit(pid, 0);
    await api.wait({ id: ID });
    await api.delete({ id: ID });
    await api.shutdown({ id: ID });
    await until(() => shutdowns === 2, "second shutdown");
  });

  it("create with options of another type (CRI's) → ignored, defaults used", async () => {
    const seen: unknown[] = [];
    client.close();
    server.close();
    await setup({}, seen);
    await createTask({
      options: create(AnySchema, { typeUrl: "runtimeoptions.v1.Options", value: new Uint8Array([1]) }),
    });
    assert.equal((seen[0] as { debug: boolean }).debug, false);
  });

  it("debug logging names the method and the request fields, not the protobuf type; State and Connect write none", async () => {
    const lines: string[] = [];
    const logger = pino({ level: "debug" }, { write: (l: string) => lines.push(l) });
    const logged = new Server();
    registerTaskService(logged, task, { logger, shutdown: () => {} });
    const address =
      process.platform === "win32" ? `\\\\.\\pipe\\${basename(dir)}-logged` : join(dir, "logged.sock");
    await logged.listen(address);
    const c = await Client.connect(address);
    try {
      const api = createClient(c, TaskV2);
      await api.connect({ id: ID });
      await assert.rejects(api.state({ id: "nope" }), { code: Code.NotFound });
      assert.deepEqual(lines, [], "State and Connect are polled: no line per call");
      await api.shutdown({ id: "nope" });
      const line = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
      assert.equal(line.method, "Shutdown");
      assert.equal(line.id, "nope");
      assert.ok(!("$typeName" in line));
    } finally {
      c.close();
      logged.close();
    }
  });

  it("the same service answers as containerd.task.v3.Task", async () => {
    const v3 = createClient(client, TaskV3);
    const { pid } = await v3.create({ id: ID, bundle });
    assert.equal((await v3.state({ id: ID })).pid, pid);
  });
});
