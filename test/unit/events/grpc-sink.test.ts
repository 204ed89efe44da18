import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { GrpcPublishSink } from "../../../src/events/grpc-sink.js";
import { EventPublisher } from "../../../src/events/publisher.js";
import { TaskExitSchema } from "../../../src/gen/containerd/events/task_pb.js";
import {
  type PublishRequest,
  PublishRequestSchema,
} from "../../../src/gen/containerd/services/events/v1/events_pb.js";
import { silentLogger } from "../../../src/log/logger.js";

/** A grpc-js server standing in for containerd's gRPC events service. */
async function fakeContainerd(socket: string, received: Array<{ req: PublishRequest; ns: unknown }>) {
  const server = new grpc.Server();
  server.addService(
    {
      Publish: {
        path: "/containerd.services.events.v1.Events/Publish",
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => fromBinary(PublishRequestSchema, b),
        responseSerialize: () => Buffer.alloc(0),
        responseDeserialize: (b: Buffer) => b,
      },
    },
    {
      Publish: (call: grpc.ServerUnaryCall<PublishRequest, unknown>, done: grpc.sendUnaryData<unknown>) => {
        received.push({ req: call.request, ns: call.metadata.get("containerd-namespace")[0] });
        done(null, {});
      },
    },
  );
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  return server;
}

describe("gRPC publish sink", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "grpc-events-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("Events/Publish with topic, the event Any (bare type URL) and the containerd-namespace header", async () => {
    const socket = join(dir, "containerd.sock");
    const received: Array<{ req: PublishRequest; ns: unknown }> = [];
    const server = await fakeContainerd(socket, received);
    const pub = new EventPublisher(new GrpcPublishSink(socket), { namespace: "moby", logger: silentLogger });
    try {
      pub.publish("/tasks/exit", { containerId: "c", id: "c", exitStatus: 9 });
      pub.publish("/tasks/delete", { containerId: "c" });
      assert.equal(await pub.flush(20_000), true);
      assert.deepEqual(
        received.map((r) => [r.req.topic, r.req.event?.typeUrl, r.ns]),
        [
          ["/tasks/exit", "containerd.events.TaskExit", "moby"],
          ["/tasks/delete", "containerd.events.TaskDelete", "moby"],
        ],
      );
      assert.equal(fromBinary(TaskExitSchema, received[0]!.req.event!.value).exitStatus, 9);
    } finally {
      await pub.close();
      server.forceShutdown();
    }
  });

  it("containerd not listening → Unavailable (the publisher retries)", async () => {
    const sink = new GrpcPublishSink(join(dir, "absent.sock"));
    try {
      await assert.rejects(
        sink.send(
          {
            topic: "/tasks/oom",
            namespace: "n",
            timestamp: new Date(),
            event: { $typeName: "google.protobuf.Any", typeUrl: "x", value: new Uint8Array() },
          },
          AbortSignal.timeout(5_000),
        ),
        { code: 14, message: /over gRPC/ },
      );
    } finally {
      sink.close();
    }
  });
});
