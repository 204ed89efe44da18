import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { create, fromBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { EventPublisher } from "../../../src/events/publisher.js";
import { PublishBinarySink, TtrpcForwardSink } from "../../../src/events/sink.js";
import { TaskExitSchema } from "../../../src/gen/containerd/events/task_pb.js";
import {
  type ForwardRequest,
  ForwardRequestSchema,
} from "../../../src/gen/containerd/services/events/ttrpc/v1/events_pb.js";
import { silentLogger } from "../../../src/log/logger.js";
import { Server } from "../../../src/ttrpc/index.js";

const EVENTS = "containerd.services.events.ttrpc.v1.Events";

/** Our ttrpc server standing in for containerd's events service. */
async function fakeContainerd(
  socket: string,
  received: Array<{ req: ForwardRequest; ns: string | undefined }>,
) {
  const server = new Server();
  server.register(EVENTS, {
    Forward: (bytes, ctx) => {
      received.push({
        req: fromBinary(ForwardRequestSchema, bytes),
        ns: ctx.metadata.get("containerd-namespace-ttrpc"),
      });
      return new Uint8Array();
    },
  });
  await server.listen(socket);
  return server;
}

/** containerd's ttrpc address: a unix socket in the test's directory, a named pipe on Windows. */
function ttrpcAddress(dir: string): string {
  return process.platform === "win32"
    ? `\\\\.\\pipe\\events-test-${basename(dir)}`
    : join(dir, "containerd.sock.ttrpc");
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

/**
 * The fake publish binary is a `#!` script: Windows runs only executables (test/wine/shim.test.ts covers the
 * Windows publish path with node.exe as the binary).
 */
function skipScriptBinaryOnWindows(ctx: Mocha.Context): void {
  if (process.platform === "win32") ctx.skip();
}

describe("event sinks", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "events-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("ttrpc Forward: envelope with topic, namespace, timestamp, bare type URL; namespace metadata", async () => {
    const socket = ttrpcAddress(dir);
    const received: Array<{ req: ForwardRequest; ns: string | undefined }> = [];
    const server = await fakeContainerd(socket, received);
    const pub = new EventPublisher(new TtrpcForwardSink(socket), {
      namespace: "k8s.io",
      logger: silentLogger,
    });
    try {
      pub.publish("/tasks/start", { containerId: "c1", pid: 42 });
      pub.publish("/tasks/exit", { containerId: "c1", id: "c1", pid: 42, exitStatus: 3 });
      assert.equal(await pub.flush(10_000), true);
      assert.deepEqual(
        received.map((r) => [
          r.req.envelope?.topic,
          r.req.envelope?.namespace,
          r.ns,
          r.req.envelope?.event?.typeUrl,
        ]),
        [
          ["/tasks/start", "k8s.io", "k8s.io", "containerd.events.TaskStart"],
          ["/tasks/exit", "k8s.io", "k8s.io", "containerd.events.TaskExit"],
        ],
      );
      const exit = fromBinary(TaskExitSchema, received[1]!.req.envelope!.event!.value);
      assert.equal(exit.exitStatus, 3);
      assert.ok(Number(received[0]!.req.envelope!.timestamp!.seconds) > 1_700_000_000);
    } finally {
      await pub.close();
      server.close();
    }
  });

  it("ttrpc Forward: events published while containerd restarts are delivered after it is back, in order", async () => {
    const socket = ttrpcAddress(dir);
    const received: Array<{ req: ForwardRequest; ns: string | undefined }> = [];
    let server = await fakeContainerd(socket, received);
    const pub = new EventPublisher(new TtrpcForwardSink(socket), { namespace: "n", logger: silentLogger });
    try {
      pub.publish("/tasks/create", { containerId: "c" });
      await until(() => received.length === 1, "first event");
      server.close();
      pub.publish("/tasks/start", { containerId: "c" });
      pub.publish("/tasks/exit", { containerId: "c" });
      await new Promise((r) => setTimeout(r, 200));
      server = await fakeContainerd(socket, received);
      assert.equal(await pub.flush(20_000), true);
      assert.deepEqual(
        received.map((r) => r.req.envelope?.topic),
        ["/tasks/create", "/tasks/start", "/tasks/exit"],
      );
    } finally {
      await pub.close();
      server.close();
    }
  });

  it("publish binary: argv as containerd's publish command wants it, the event Any on stdin", async function () {
    skipScriptBinaryOnWindows(this);
    const log = join(dir, "publish.log");
    process.env.FAKE_PUBLISH_LOG = log;
    const binary = resolve("test/fakes/publish/fake-containerd-publish.mjs");
    await chmod(binary, 0o755);
    const pub = new EventPublisher(new PublishBinarySink(binary, "/run/containerd/containerd.sock"), {
      namespace: "default",
      logger: silentLogger,
    });
    try {
      pub.publish("/tasks/exit", { containerId: "c", id: "c", exitStatus: 7 });
      assert.equal(await pub.flush(10_000), true);
      const [line] = (await readFile(log, "utf8")).trim().split("\n");
      const { argv, stdinHex } = JSON.parse(line!) as { argv: string[]; stdinHex: string };
      assert.deepEqual(argv, [
        "--address",
        "/run/containerd/containerd.sock",
        "publish",
        "--topic",
        "/tasks/exit",
        "--namespace",
        "default",
      ]);
      const any = fromBinary(AnySchema, Buffer.from(stdinHex, "hex"));
      assert.equal(any.typeUrl, "containerd.events.TaskExit");
      assert.equal(fromBinary(TaskExitSchema, any.value).exitStatus, 7);
    } finally {
      await pub.close();
      delete process.env.FAKE_PUBLISH_LOG;
    }
  });

  it("publish binary: a failing publish is an error carrying its stderr (so the publisher retries)", async function () {
    skipScriptBinaryOnWindows(this);
    process.env.FAKE_PUBLISH_LOG = join(dir, "p.log");
    process.env.FAKE_PUBLISH_EXIT = "3";
    try {
      const sink = new PublishBinarySink(resolve("test/fakes/publish/fake-containerd-publish.mjs"), "a");
      await assert.rejects(
        sink.send(
          {
            topic: "/tasks/oom",
            namespace: "n",
            timestamp: new Date(),
            event: create(AnySchema, { typeUrl: "x" }),
          },
          AbortSignal.timeout(10_000),
        ),
        /exited with 3: publish refused/,
      );
    } finally {
      delete process.env.FAKE_PUBLISH_LOG;
      delete process.env.FAKE_PUBLISH_EXIT;
    }
  });
});
