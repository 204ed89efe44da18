// The typed layer over protobuf-es service descriptors, end to end over a unix socket.
import assert from "node:assert/strict";
import { create, createFileRegistry, type DescService } from "@bufbuild/protobuf";
import type { GenService } from "@bufbuild/protobuf/codegenv2";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Events } from "../../../src/gen/containerd/services/events/ttrpc/v1/events_pb.js";
import {
  file_ttrpc_ttrpc,
  type RequestSchema,
  type ResponseSchema,
} from "../../../src/gen/ttrpc/ttrpc_pb.js";
import {
  Client,
  Code,
  createClient,
  registerService,
  Server,
  type ServiceImpl,
  StatusError,
} from "../../../src/ttrpc/index.js";
import { socketPerTest } from "./helpers.js";

/** A stand-in service built at runtime whose messages are the generated ttrpc envelope types. */
type Stand = GenService<{
  call: { methodKind: "unary"; input: typeof RequestSchema; output: typeof ResponseSchema };
  nothing: { methodKind: "unary"; input: typeof RequestSchema; output: typeof ResponseSchema };
  missing: { methodKind: "unary"; input: typeof RequestSchema; output: typeof ResponseSchema };
  watch: { methodKind: "server_streaming"; input: typeof RequestSchema; output: typeof ResponseSchema };
}>;

function standInService(): Stand {
  const m = (name: string, serverStreaming = false) => ({
    name,
    inputType: ".ttrpc.Request",
    outputType: ".ttrpc.Response",
    serverStreaming,
  });
  const file = create(FileDescriptorProtoSchema, {
    name: "test/stand.proto",
    package: "test.stand",
    dependency: ["ttrpc/ttrpc.proto"],
    syntax: "proto3",
    service: [{ name: "Stand", method: [m("Call"), m("Nothing"), m("Missing"), m("Watch", true)] }],
  });
  const reg = createFileRegistry(file, (name) =>
    name === "ttrpc/ttrpc.proto" ? file_ttrpc_ttrpc : undefined,
  );
  const svc: DescService | undefined = reg.getService("test.stand.Stand");
  assert.ok(svc);
  return svc as Stand;
}

describe("ttrpc typed layer", () => {
  let server: Server;
  let client: Client;
  const sock = socketPerTest(async () => {
    client?.close();
    await server.shutdown();
  });

  beforeEach(() => {
    server = new Server();
  });

  it("round-trips typed messages with the generated ttrpc schemas as stand-ins", async () => {
    const Stand = standInService();
    const impl: Omit<ServiceImpl<Stand>, "missing"> = {
      call: (req, ctx) => ({
        status: { code: Number(req.timeoutNano), message: `${ctx.service}/${ctx.method}:${req.service}` },
        payload: req.payload,
      }),
      nothing: () => undefined as never,
    };
    // "missing" is left out on purpose: it must answer Unimplemented
    registerService(server, Stand, impl);
    await server.listen(sock.path);
    client = await Client.connect(sock.path);
    const c = createClient(client, Stand);
    const res = await c.call({ service: "inner", timeoutNano: 7n, payload: Buffer.from("p") });
    assert.equal(res.status?.code, 7);
    assert.equal(res.status?.message, "test.stand.Stand/Call:inner");
    assert.equal(Buffer.from(res.payload).toString(), "p");
    await assert.rejects(
      c.nothing({}),
      (e: StatusError) => e.code === Code.Unknown && e.message === "ttrpc: marshal called with nil",
    );
    await assert.rejects(
      c.missing({}),
      (e: StatusError) => e.code === Code.Unimplemented && e.message === "method Missing",
    );
    assert.equal("watch" in c, false, "streaming methods are not exposed");
    // an undecodable request payload is the peer's fault: InvalidArgument naming the method (Go: Internal)
    await assert.rejects(
      client.call("test.stand.Stand", "Call", Buffer.from([0x0a, 0x05])),
      (e: StatusError) =>
        e.code === Code.InvalidArgument &&
        e.message.startsWith("ttrpc: invalid test.stand.Stand/Call request: "),
    );
  });

  it("serves a generated containerd service, also under an alias name, and passes handler errors through", async () => {
    const seen: string[] = [];
    registerService(server, Events, {
      forward: async (req, ctx) => {
        if (req.envelope?.topic === "/bad")
          throw new StatusError(Code.InvalidArgument, "topic: invalid argument");
        seen.push(`${ctx.service} ${req.envelope?.namespace} ${req.envelope?.topic}`);
        return {};
      },
    });
    registerService(server, Events, { forward: () => ({}) }, { name: "alias.Events" });
    await server.listen(sock.path);
    client = await Client.connect(sock.path);
    const events = createClient(client, Events);
    const reply = await events.forward({ envelope: { namespace: "default", topic: "/tasks/exit" } });
    assert.equal(reply.$typeName, "google.protobuf.Empty");
    assert.deepEqual(seen, ["containerd.services.events.ttrpc.v1.Events default /tasks/exit"]);
    await assert.rejects(
      events.forward({ envelope: { topic: "/bad" } }),
      (e: StatusError) => e.code === Code.InvalidArgument && e.message === "topic: invalid argument",
    );
    await createClient(client, Events, { name: "alias.Events" }).forward({});
    // a garbage payload for a real method (a truncated envelope field): InvalidArgument, the handler not run
    await assert.rejects(
      client.call("alias.Events", "Forward", Buffer.from([0x0a, 0x7f, 0x01])),
      (e: StatusError) =>
        e.code === Code.InvalidArgument &&
        /^ttrpc: invalid alias\.Events\/Forward request: .+/.test(e.message),
    );
    assert.equal(seen.length, 1);
    server.register("garbage.Events", { Forward: () => Buffer.from([0x0a, 0x05]) });
    await assert.rejects(
      createClient(client, Events, { name: "garbage.Events" }).forward({}),
      (e: StatusError) =>
        e.code === Code.Internal && e.message.startsWith("ttrpc: error unmarshalling response: "),
    );
    assert.throws(() => registerService(server, Events, { forward: () => ({}) }), /already registered/);
  });
});
