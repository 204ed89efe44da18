/**
 * A pod on one server: the spec goes to runhcs unchanged (runhcs places a Hyper-V pod's containers in the
 * sandbox's utility VM from the CRI annotations), a workload container is created only while its sandbox
 * exists here, and the sandbox is deleted last. Over ttrpc with fake runhcs and waiter.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Task as TaskV2 } from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { podRole } from "../../../src/service/pod.js";
import { TaskRegistry } from "../../../src/service/task-registry.js";
import { type Client, Code, type createClient, type Server } from "../../../src/ttrpc/index.js";
import { FakeDeps, serveTaskApi } from "../../fakes/service-deps.js";

const TYPE = "io.kubernetes.cri.container-type";
const SANDBOX = "io.kubernetes.cri.sandbox-id";
/** Above this machine's pid_max: nothing real is ever signalled. */
const FIRST_PID = 4_194_400;

describe("pods on one server", () => {
  let dir: string;
  let server: Server;
  let client: Client;
  let fakes: FakeDeps;
  let api: ReturnType<typeof createClient<typeof TaskV2>>;
  const specs = new Map<string, string>();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "svc-pods-"));
    fakes = new FakeDeps();
    fakes.runhcs.nextPid = FIRST_PID;
    const pod: Array<[string, Record<string, string>]> = [
      ["sb", { [TYPE]: "sandbox", [SANDBOX]: "sb" }],
      ["w1", { [TYPE]: "container", [SANDBOX]: "sb" }],
      ["w2", { [TYPE]: "container", [SANDBOX]: "sb" }],
      ["alone", {}],
    ];
    for (const [id, annotations] of pod) {
      await mkdir(join(dir, id));
      const spec = JSON.stringify({ process: { args: ["sh"] }, root: {}, annotations });
      specs.set(id, spec);
      await writeFile(join(dir, id, "config.json"), spec);
    }
    const registry = new TaskRegistry(fakes.deps("sb", {}, join(dir, "sb")));
    ({ server, client, api } = await serveTaskApi(dir, registry));
  });

  afterEach(async () => {
    client.close();
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const create = (id: string) => api.create({ id, bundle: join(dir, id) });
  /** Ends task `id`'s init (its helper exits) and deletes it. */
  async function end(id: string, pid: number) {
    fakes.waiter.exit(pid, 0);
    await api.wait({ id });
    return api.delete({ id });
  }

  it("a workload before its sandbox → FailedPrecondition; the sandbox is deleted last; specs pass unchanged", async () => {
    await assert.rejects(create("w1"), {
      code: Code.FailedPrecondition,
      message: /^sandbox sb of container w1 does not exist in this shim: create the sandbox first/,
    });
    assert.deepEqual(fakes.runhcs.calls, [], "runhcs was asked to create a container without its sandbox");
    const sb = (await create("sb")).pid;
    const w1 = (await create("w1")).pid;
    const w2 = (await create("w2")).pid;
    const alone = (await create("alone")).pid;
    for (const id of ["sb", "w1", "w2", "alone"]) {
      assert.equal(
        await readFile(join(dir, id, "config.json"), "utf8"),
        specs.get(id),
        `${id}'s spec changed`,
      );
    }
    for (const [id, pid] of [
      ["sb", sb],
      ["w1", w1],
      ["w2", w2],
    ] as const) {
      fakes.waiter.exit(pid, 0);
      await api.wait({ id });
    }
    await assert.rejects(api.delete({ id: "sb" }), {
      code: Code.FailedPrecondition,
      message: /^sandbox sb still has containers w1, w2: delete them first/,
    });
    await api.delete({ id: "w2" });
    await assert.rejects(api.delete({ id: "sb" }), {
      code: Code.FailedPrecondition,
      message: /containers w1:/,
    });
    await api.delete({ id: "w1" });
    await api.delete({ id: "sb" });
    // Not in a pod: unaffected by all of it.
    await end("alone", alone);
    // The sandbox gone, its containers cannot come back.
    await assert.rejects(create("w1"), { code: Code.FailedPrecondition });
  });

  it("podRole reads the annotations as runhcs's parseSandboxAnnotations (CRI, CRI-O, dockershim)", () => {
    assert.deepEqual(podRole({ [TYPE]: "sandbox", [SANDBOX]: "p" }), { sandbox: true, sandboxId: "p" });
    assert.deepEqual(podRole({ [TYPE]: "container", [SANDBOX]: "p" }), { sandbox: false, sandboxId: "p" });
    assert.equal(podRole({ [TYPE]: "container" }), undefined, "a workload naming no sandbox is not checked");
    assert.equal(podRole({ [SANDBOX]: "p" }), undefined, "a sandbox id alone makes no pod");
    assert.deepEqual(
      podRole({ "io.kubernetes.cri-o.ContainerType": "container", "io.kubernetes.cri-o.SandboxID": "q" }),
      { sandbox: false, sandboxId: "q" },
    );
    assert.deepEqual(
      podRole({ "io.kubernetes.docker.type": "podsandbox", "io.kubernetes.sandbox.id": "d" }),
      { sandbox: true, sandboxId: "d" },
    );
    // The first type key present decides, as in runhcs.
    assert.equal(podRole({ [TYPE]: "other", "io.kubernetes.cri-o.ContainerType": "sandbox" }), undefined);
  });
});
