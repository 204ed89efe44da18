// Wire facts from /work/shared/spec (ttrpc.md §6, task-api.md, runhcs-cli.md §6) checked against the
// generated schemas by encoding: every expected byte string here is computed by hand from the spec.
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { TaskExitSchema } from "../../../src/gen/containerd/events/task_pb.js";
import {
  Options_DebugType,
  Options_SandboxIsolation,
  OptionsSchema,
} from "../../../src/gen/containerd/runhcs/v1/runhcs_pb.js";
import {
  BootstrapParamsSchema,
  BootstrapResultSchema,
  LogLevel,
} from "../../../src/gen/containerd/runtime/bootstrap/v1/bootstrap_pb.js";
import {
  EnvelopeSchema,
  ForwardRequestSchema,
} from "../../../src/gen/containerd/services/events/ttrpc/v1/events_pb.js";
import {
  ConnectRequestSchema,
  KillRequestSchema,
  StateResponseSchema,
} from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { Status } from "../../../src/gen/containerd/types/task/task_pb.js";
import { RequestSchema } from "../../../src/gen/ttrpc/ttrpc_pb.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
/** Hex of the UTF-8 bytes of `s` (keeps the expected strings readable). */
const str = (s: string) => Buffer.from(s, "utf8").toString("hex");

describe("wire facts (hand-computed bytes)", () => {
  it("ttrpc.md §6 worked example: Task/Connect request frame, stream 1, namespace default", () => {
    const payload = toBinary(ConnectRequestSchema, create(ConnectRequestSchema, { id: "abc" }));
    assert.equal(hex(payload), "0a03616263");
    const req = toBinary(
      RequestSchema,
      create(RequestSchema, {
        service: "containerd.task.v2.Task",
        method: "Connect",
        payload,
        metadata: [{ key: "containerd-namespace-ttrpc", value: "default" }],
      }),
    );
    const expected =
      `0a17${str("containerd.task.v2.Task")}` +
      `1207${str("Connect")}` +
      "1a05" +
      "0a03616263" +
      `2a25` +
      `0a1a${str("containerd-namespace-ttrpc")}` +
      `1207${str("default")}`;
    assert.equal(hex(req), expected);
    assert.equal(req.length, 80);
    // The frame header of the example: length 80, stream 1, type Request (1), flags 0 (unary).
    const header = Buffer.alloc(10);
    header.writeUInt32BE(req.length, 0);
    header.writeUInt32BE(1, 4);
    header.writeUInt8(1, 8);
    assert.equal(header.toString("hex"), "00000050000000010100");
  });

  it("KillRequest: id 1, exec_id 2, signal 3 (varint), all 4 (bool)", () => {
    const b = toBinary(
      KillRequestSchema,
      create(KillRequestSchema, { id: "c", execId: "e", signal: 15, all: true }),
    );
    assert.equal(hex(b), "0a0163120165180f2001");
  });

  it("StateResponse.status is containerd.v1.types.Status (field 4): PAUSED = 4", () => {
    const b = toBinary(StateResponseSchema, create(StateResponseSchema, { status: Status.PAUSED }));
    assert.equal(hex(b), "2004");
    assert.deepEqual(
      [Status.UNKNOWN, Status.CREATED, Status.RUNNING, Status.STOPPED, Status.PAUSED, Status.PAUSING],
      [0, 1, 2, 3, 4, 5],
    );
  });

  it("TaskExit: container_id 1, id 2, pid 3, exit_status 4, exited_at 5 (Timestamp)", () => {
    const b = toBinary(
      TaskExitSchema,
      create(TaskExitSchema, {
        containerId: "c1",
        id: "e1",
        pid: 4242,
        exitStatus: 137,
        exitedAt: { seconds: 1n, nanos: 2 },
      }),
    );
    // 4242 = 0x1092 → varint 92 21; 137 → 89 01; Timestamp {1: 1, 2: 2} → 08 01 10 02.
    assert.equal(hex(b), "0a02633112026531189221208901" + "2a0408011002");
  });

  it("ttrpc events Envelope inside ForwardRequest: timestamp 1, namespace 2, topic 3, event 4 (Any)", () => {
    const envelope = create(EnvelopeSchema, {
      timestamp: { seconds: 1n },
      namespace: "ns",
      topic: "/t",
      event: { typeUrl: "a.B", value: Uint8Array.of(1) },
    });
    // timestamp {seconds 1} | namespace | topic | event Any (8 bytes: type_url, value [1])
    const env = `0a020801 1202${str("ns")} 1a02${str("/t")} 2208 0a03${str("a.B")} 120101`.replaceAll(
      " ",
      "",
    );
    assert.equal(hex(toBinary(EnvelopeSchema, envelope)), env);
    const fwd = toBinary(ForwardRequestSchema, create(ForwardRequestSchema, { envelope }));
    assert.equal(hex(fwd), `0a${(env.length / 2).toString(16).padStart(2, "0")}${env}`);
  });

  it("containerd.runhcs.v1.Options: enums, fields 1-6, 10 (GPUVHDPath), 16 (log_level), optional 20", () => {
    const b = toBinary(
      OptionsSchema,
      create(OptionsSchema, {
        debug: true,
        debugType: Options_DebugType.FILE,
        registryRoot: "R",
        sandboxImage: "I",
        sandboxPlatform: "windows/amd64",
        sandboxIsolation: Options_SandboxIsolation.HYPERVISOR,
        GPUVHDPath: "g",
        logLevel: "debug",
        scrubLogs: false,
      }),
    );
    const expected =
      "0801" + // debug
      "1001" + // debug_type FILE
      `1a01${str("R")}` +
      `2201${str("I")}` +
      `2a0d${str("windows/amd64")}` +
      "3001" + // sandbox_isolation HYPERVISOR
      `5201${str("g")}` + // field 10, wire type 2
      `820105${str("debug")}` + // field 16 → tag 130 = 82 01
      "a00100"; // field 20 (proto3 optional, explicitly false) → tag 160 = a0 01
    assert.equal(hex(b), expected);
    assert.deepEqual([Options_DebugType.NPIPE, Options_DebugType.FILE, Options_DebugType.ETW], [0, 1, 2]);
    assert.equal(OptionsSchema.typeName, "containerd.runhcs.v1.Options");
  });

  it("BootstrapResult {version 3, address, protocol} and BootstrapParams negative log_level", () => {
    const r = toBinary(
      BootstrapResultSchema,
      create(BootstrapResultSchema, { version: 3, address: "unix:///s", protocol: "ttrpc" }),
    );
    assert.equal(hex(r), `08031209${str("unix:///s")}1a05${str("ttrpc")}`);
    // log_level -8: negative enums are 10-byte varints (int32 sign extension); then socket_dir "" (9).
    const p = fromBinary(BootstrapParamsSchema, Buffer.from("18f8ffffffffffffffff014a00", "hex"));
    assert.equal(p.logLevel, LogLevel.TRACE);
    assert.equal(p.logLevel, -8);
    assert.equal(p.socketDir, "");
    assert.ok(p.socketDir !== undefined, "socket_dir (9) is proto3 optional: presence is tracked");
  });
});
