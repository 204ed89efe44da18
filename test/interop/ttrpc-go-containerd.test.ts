/**
 * The typed layer and the generated containerd messages against containerd's own Go code:
 * containerd 1.6's generated Task client (gogo) calling our typed Task server, and our typed Events
 * client forwarding to containerd's Events service in front of containerd's events exchange, decoded
 * by typeurl as containerd's subscribers (CRI) decode events.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { NotFoundError } from "../../src/errdefs.js";
import { TaskExitSchema } from "../../src/gen/containerd/events/task_pb.js";
import { Events } from "../../src/gen/containerd/services/events/ttrpc/v1/events_pb.js";
import { type CreateTaskRequest, Task } from "../../src/gen/containerd/task/v2/shim_pb.js";
import { Status } from "../../src/gen/containerd/types/task/task_pb.js";
import {
  type CallContext,
  Code,
  createClient,
  registerService,
  Server,
  type ServiceImpl,
  StatusError,
} from "../../src/ttrpc/index.js";
import { runGoClient } from "./go-peer.js";
import { goPeerSuite, goServerWithClient } from "./helpers.js";

interface TaskResult {
  ok: boolean;
  response?: Record<string, unknown>;
  code?: number;
  message?: string;
  containerdClass?: string;
  containerdText?: string;
}

interface Forwarded {
  topic: string;
  namespace: string;
  timestamp: string;
  typeUrl: string;
  event?: Record<string, unknown>;
  decodeError?: string;
}

const EXITED_AT = { seconds: 1_700_000_000n, nanos: 123_456_789 };

describe("typed ttrpc with containerd's generated Go Task client and events exchange", function () {
  this.timeout(120_000);
  const suite = goPeerSuite("ttrpc-containerd-");

  it("containerd's Task client → our typed Task server: messages, errdefs and Unimplemented", async () => {
    const seen: { create?: CreateTaskRequest; namespace?: string | undefined } = {};
    // Stats is deliberately missing: an unregistered method must read as NotImplemented in containerd.
    const impl: Partial<ServiceImpl<typeof Task>> = {
      connect: (req) => ({ shimPid: 4242, taskPid: 4343, version: `ts:${req.id}` }),
      create: (req, ctx: CallContext) => {
        seen.create = req;
        seen.namespace = ctx.metadata.get("containerd-namespace-ttrpc");
        return { pid: 77 };
      },
      state: (req) => ({
        id: req.id,
        bundle: String.raw`C:\bundles\abc`,
        pid: 77,
        status: Status.STOPPED,
        stdout: String.raw`\\.\pipe\out`,
        terminal: true,
        exitStatus: 137,
        exitedAt: EXITED_AT,
        execId: req.execId,
      }),
      kill: (req) => {
        throw new NotFoundError(`process does not exist ${req.id}`);
      },
      shutdown: () => ({}),
    };
    const server = new Server();
    registerService(server, Task, impl);
    const socket = join(suite.dir, "task.sock");
    await server.listen(`unix://${socket}`);
    try {
      const got = await (await runGoClient<Record<string, TaskResult>>(socket, "task")).result;
      assert.deepEqual(got["connect"], {
        ok: true,
        response: { shim_pid: 4242, task_pid: 4343, version: "ts:abc" },
      });
      assert.deepEqual(got["create"], { ok: true, response: { pid: 77 } });
      assert.deepEqual(got["state"], {
        ok: true,
        response: {
          id: "abc",
          bundle: String.raw`C:\bundles\abc`,
          pid: 77,
          status: Status.STOPPED,
          stdout: String.raw`\\.\pipe\out`,
          terminal: true,
          exit_status: 137,
          exited_at: "2023-11-14T22:13:20.123456789Z",
          exec_id: "e1",
        },
      });
      assert.deepEqual(got["killUnknown"], {
        ok: false,
        code: Code.NotFound,
        message: "process does not exist nope: not found",
        containerdClass: "NotFound",
        containerdText: "process does not exist nope: not found",
      });
      assert.equal(got["stats"]?.code, Code.Unimplemented);
      assert.equal(got["stats"]?.containerdClass, "NotImplemented");
      assert.deepEqual(got["shutdown"], { ok: true, response: {} });

      const req = seen.create;
      assert.ok(req, "Create was not called");
      assert.equal(seen.namespace, "default");
      assert.equal(req.id, "abc");
      assert.equal(req.bundle, String.raw`C:\bundles\abc`);
      assert.deepEqual(
        req.rootfs.map((m) => [m.type, m.source, m.options]),
        [["windows-layer", String.raw`C:\layers\1`, ["rw", "parentLayerPaths=[]"]]],
      );
      assert.equal(req.terminal, true);
      assert.equal(req.stdin, String.raw`\\.\pipe\in`);
      assert.equal(req.stdout, String.raw`\\.\pipe\out`);
      assert.equal(req.options?.typeUrl, "containerd.runhcs.v1.Options");
      assert.deepEqual([...(req.options?.value ?? [])], [0x08, 0x01]);
    } finally {
      server.close();
    }
  });

  describe("our typed Events client → containerd's Events service and exchange", () => {
    const peer = goServerWithClient(suite, "events.sock", { mode: "events-server" });

    const exit = create(TaskExitSchema, {
      containerId: "abc",
      id: "abc",
      pid: 77,
      exitStatus: 137,
      exitedAt: EXITED_AT,
    });
    const envelope = (
      topic: string,
      event: { typeUrl: string; value: Uint8Array },
      namespace = "default",
    ) => ({
      envelope: { timestamp: EXITED_AT, namespace, topic, event },
    });

    it("a TaskExit with containerd's bare type URL reaches subscribers decoded", async () => {
      const events = createClient(peer.client, Events);
      await events.forward(
        envelope("/tasks/exit", {
          typeUrl: "containerd.events.TaskExit",
          value: toBinary(TaskExitSchema, exit),
        }),
        { metadata: [["containerd-namespace-ttrpc", "default"]] },
      );
      const got = (await peer.go.waitForRecord((r) => (r as Forwarded).topic === "/tasks/exit")) as Forwarded;
      assert.deepEqual(got, {
        topic: "/tasks/exit",
        namespace: "default",
        timestamp: "2023-11-14T22:13:20.123456789Z",
        typeUrl: "containerd.events.TaskExit",
        event: {
          container_id: "abc",
          id: "abc",
          pid: 77,
          exit_status: 137,
          exited_at: "2023-11-14T22:13:20.123456789Z",
        },
      });
    });

    it("anyPack's type.googleapis.com/ prefix is NOT decodable by containerd 1.6 subscribers", async () => {
      // Pins why the shim's publisher must write bare type URLs (typeurl v1 looks names up as is).
      const events = createClient(peer.client, Events);
      await events.forward(envelope("/tasks/exit-prefixed", anyPack(TaskExitSchema, exit)));
      const got = (await peer.go.waitForRecord(
        (r) => (r as Forwarded).topic === "/tasks/exit-prefixed",
      )) as Forwarded;
      assert.equal(got.typeUrl, "type.googleapis.com/containerd.events.TaskExit");
      assert.equal(got.event, undefined);
      assert.match(got.decodeError ?? "", /not found/);
    });

    it("containerd's validation errors come back as statuses (empty namespace → InvalidArgument)", async () => {
      const events = createClient(peer.client, Events);
      const value = toBinary(TaskExitSchema, exit);
      await assert.rejects(
        events.forward(envelope("/tasks/exit", { typeUrl: "containerd.events.TaskExit", value }, "")),
        (err: unknown) => err instanceof StatusError && err.code === Code.InvalidArgument,
      );
    });
  });
});
