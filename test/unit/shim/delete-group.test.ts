/**
 * The `delete` action for one container of a group whose server still runs (containerd 1.6 runs it after
 * every task's connection closed): the server lets that task go and keeps serving the others; it exits
 * only with the last task.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordCreated } from "../../../src/bundle/created-files.js";
import type { Task as TaskV2 } from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { Status } from "../../../src/gen/containerd/types/task/task_pb.js";
import { TaskRegistry } from "../../../src/service/task-registry.js";
import { deleteShim } from "../../../src/shim/delete.js";
import { defaultFlags } from "../../../src/shim/flags.js";
import { type Client, Code, type createClient, type Server } from "../../../src/ttrpc/index.js";
import { FakeDeps, serveTaskApi } from "../../fakes/service-deps.js";

/** Above this machine's pid_max (32768 by default): the action's kills of recorded pids reach nobody. */
const NO_SUCH_PID = 4_194_400;

describe("shim delete: one container of a group whose server runs", function () {
  this.timeout(20_000);
  let dir: string;
  let server: Server;
  let client: Client;
  let fakes: FakeDeps;
  let shutdowns: number;
  let api: ReturnType<typeof createClient<typeof TaskV2>>;
  const warnings: string[] = [];
  const notFound = { delete: async () => Promise.reject(new Error("container is not present for id")) };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "delete-group-"));
    fakes = new FakeDeps();
    fakes.runhcs.nextPid = NO_SUCH_PID;
    for (const id of ["a", "b"]) {
      await mkdir(join(dir, id));
      await writeFile(join(dir, id, "config.json"), JSON.stringify({ process: { args: ["sh"] }, root: {} }));
    }
    shutdowns = 0;
    warnings.length = 0;
    const registry = new TaskRegistry(fakes.deps("a", {}, join(dir, "a")));
    let address: string;
    ({ server, client, api, address } = await serveTaskApi(dir, registry, () => shutdowns++));
    for (const id of ["a", "b"]) {
      await api.create({ id, bundle: join(dir, id) });
      await api.start({ id });
      // What `start` wrote in each bundle: the group's address (a's start also spawned the server).
      await writeFile(join(dir, id, "address"), address);
      await writeFile(join(dir, id, "shim.pid"), String(process.pid));
      recordCreated(join(dir, id), ["address", "shim.pid"]);
    }
  });

  afterEach(async () => {
    client.close();
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const run = (id: string) =>
    deleteShim(
      { ...defaultFlags(), namespace: "unit", id, bundle: join(dir, id) },
      { runhcs: notFound, warn: (m) => warnings.push(m) },
    );

  it("a running task: deleted once its exit is seen, the server keeps serving the other, then exits with the last", async () => {
    const [a, b] = [NO_SUCH_PID, NO_SUCH_PID + 1];
    // The action killed a's processes; the server sees the exit a moment later.
    setTimeout(() => fakes.waiter.exit(a, 137), 300);
    await run("a");
    await assert.rejects(api.state({ id: "a" }), { code: Code.NotFound });
    assert.equal((await api.state({ id: "b" })).status, Status.RUNNING);
    assert.equal(shutdowns, 0, "the server was told to exit while b runs");

    // containerd's own flow for b: Wait, Delete, Shutdown, then the action (nothing left to delete).
    fakes.waiter.exit(b, 0);
    await api.wait({ id: "b" });
    await api.delete({ id: "b" });
    await run("b");
    assert.equal(shutdowns, 1);
    assert.deepEqual(warnings, []);
  });
});
