// Interop evidence: bytes marshalled by containerd 1.6's own Go types (go-fixtures/main.go) decode with our
// generated schemas to the expected field values, and re-encode to the very same bytes.
import assert from "node:assert/strict";
import { create, type DescMessage, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import * as ev from "../../../src/gen/containerd/events/task_pb.js";
import {
  Options_DebugType,
  Options_SandboxIsolation,
  OptionsSchema,
  ProcessDetailsSchema,
} from "../../../src/gen/containerd/runhcs/v1/runhcs_pb.js";
import * as evttrpc from "../../../src/gen/containerd/services/events/ttrpc/v1/events_pb.js";
import * as evgrpc from "../../../src/gen/containerd/services/events/v1/events_pb.js";
import * as v2 from "../../../src/gen/containerd/task/v2/shim_pb.js";
import * as v3 from "../../../src/gen/containerd/task/v3/shim_pb.js";
import { MountSchema } from "../../../src/gen/containerd/types/mount_pb.js";
import { ProcessSchema, Status } from "../../../src/gen/containerd/types/task/task_pb.js";
import { RequestSchema, ResponseSchema } from "../../../src/gen/ttrpc/ttrpc_pb.js";
import { GoUnavailableError, goSamples } from "./go-fixtures.js";

const utf8 = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const ts = (iso: string, nanos: number) => ({ seconds: BigInt(Date.parse(iso) / 1000), nanos });
const exitedAt = ts("2024-05-06T07:08:09Z", 123456789);
const created = ts("2023-01-02T03:04:05Z", 600);
const any = (typeUrl: string, value: Uint8Array | number[]) => ({ typeUrl, value: Uint8Array.from(value) });

const mounts = [
  {
    type: "windows-layer",
    source: "C:\\snapshots\\7",
    target: "",
    options: ["rw", 'parentLayerPaths=["C:\\\\l\\\\2","C:\\\\l\\\\1"]'],
  },
  { type: "bind", source: "/src", target: "/dst", options: ["ro"] },
];
const taskExit = { containerId: "c1", id: "e1", pid: 4242, exitStatus: 137, exitedAt };

type Case = { schema: DescMessage; init: MessageInitShape<DescMessage>; v3?: DescMessage };
/** Typed per schema, so a misspelt field name is a compile error. */
const c = <D extends DescMessage>(schema: D, init: MessageInitShape<D>, v3?: DescMessage): Case => ({
  schema,
  init: init as MessageInitShape<DescMessage>,
  ...(v3 ? { v3 } : {}),
});

/** What main.go marshals, as protobuf-es init objects (same names as the Go fixture). */
const expected: Record<string, Case> = {
  "task.CreateTaskRequest": c(
    v2.CreateTaskRequestSchema,
    {
      id: "c1",
      bundle: "/run/bundle/c1",
      rootfs: mounts,
      terminal: true,
      stdin: "\\\\.\\pipe\\in",
      stdout: "\\\\.\\pipe\\out",
      stderr: "\\\\.\\pipe\\err",
      checkpoint: "/cp",
      parentCheckpoint: "/pcp",
      options: any("containerd.runhcs.v1.Options", [0x08, 0x01, 0x10, 0x01, 0x1a, 0x01, 0x52]),
    },
    v3.CreateTaskRequestSchema,
  ),
  "task.CreateTaskResponse": c(v2.CreateTaskResponseSchema, { pid: 1234 }, v3.CreateTaskResponseSchema),
  "task.DeleteRequest": c(v2.DeleteRequestSchema, { id: "c1", execId: "e1" }, v3.DeleteRequestSchema),
  "task.DeleteResponse": c(
    v2.DeleteResponseSchema,
    { pid: 1234, exitStatus: 255, exitedAt },
    v3.DeleteResponseSchema,
  ),
  // gogo non-nullable stdtime: a Go zero time.Time is still sent, as 0001-01-01T00:00:00Z.
  "task.DeleteResponse.zeroTime": c(v2.DeleteResponseSchema, {
    pid: 7,
    exitedAt: { seconds: -62135596800n, nanos: 0 },
  }),
  "task.ExecProcessRequest": c(
    v2.ExecProcessRequestSchema,
    {
      id: "c1",
      execId: "e1",
      terminal: true,
      stdin: "i",
      stdout: "o",
      stderr: "e",
      spec: any("types.containerd.io/opencontainers/runtime-spec/1/Process", utf8('{"args":["cmd"]}')),
    },
    v3.ExecProcessRequestSchema,
  ),
  "task.ExecProcessResponse": c(v2.ExecProcessResponseSchema, {}, v3.ExecProcessResponseSchema),
  "task.ResizePtyRequest": c(
    v2.ResizePtyRequestSchema,
    { id: "c1", execId: "e1", width: 120, height: 40 },
    v3.ResizePtyRequestSchema,
  ),
  "task.StateRequest": c(v2.StateRequestSchema, { id: "c1", execId: "e1" }, v3.StateRequestSchema),
  "task.StateResponse": c(
    v2.StateResponseSchema,
    {
      id: "c1",
      bundle: "/b",
      pid: 99,
      status: Status.PAUSING,
      stdin: "i",
      stdout: "o",
      stderr: "e",
      terminal: true,
      exitStatus: 3,
      exitedAt,
      execId: "e1",
    },
    v3.StateResponseSchema,
  ),
  "task.KillRequest": c(
    v2.KillRequestSchema,
    { id: "c1", execId: "e1", signal: 9, all: true },
    v3.KillRequestSchema,
  ),
  "task.CloseIORequest": c(
    v2.CloseIORequestSchema,
    { id: "c1", execId: "e1", stdin: true },
    v3.CloseIORequestSchema,
  ),
  "task.PidsRequest": c(v2.PidsRequestSchema, { id: "c1" }, v3.PidsRequestSchema),
  "task.PidsResponse": c(
    v2.PidsResponseSchema,
    {
      processes: [
        { pid: 1, info: any("containerd.runhcs.v1.ProcessDetails", [0x0a, 0x03, 0x63, 0x6d, 0x64]) },
        { pid: 2 },
      ],
    },
    v3.PidsResponseSchema,
  ),
  "task.CheckpointTaskRequest": c(
    v2.CheckpointTaskRequestSchema,
    { id: "c1", path: "/p", options: any("x.Y", [1]) },
    v3.CheckpointTaskRequestSchema,
  ),
  "task.UpdateTaskRequest": c(
    v2.UpdateTaskRequestSchema,
    {
      id: "c1",
      resources: any("types.containerd.io/opencontainers/runtime-spec/1/WindowsResources", utf8("{}")),
      annotations: { k: "v" },
    },
    v3.UpdateTaskRequestSchema,
  ),
  "task.StartRequest": c(v2.StartRequestSchema, { id: "c1", execId: "e1" }, v3.StartRequestSchema),
  "task.StartResponse": c(v2.StartResponseSchema, { pid: 77 }, v3.StartResponseSchema),
  "task.WaitRequest": c(v2.WaitRequestSchema, { id: "c1", execId: "e1" }, v3.WaitRequestSchema),
  "task.WaitResponse": c(v2.WaitResponseSchema, { exitStatus: 1, exitedAt }, v3.WaitResponseSchema),
  "task.StatsRequest": c(v2.StatsRequestSchema, { id: "c1" }, v3.StatsRequestSchema),
  "task.StatsResponse": c(
    v2.StatsResponseSchema,
    { stats: any("containerd.runhcs.stats.v1.Statistics", [0x0a, 0x00]) },
    v3.StatsResponseSchema,
  ),
  "task.ConnectRequest": c(v2.ConnectRequestSchema, { id: "abc" }, v3.ConnectRequestSchema),
  "task.ConnectResponse": c(
    v2.ConnectResponseSchema,
    { shimPid: 10, taskPid: 20, version: "2" },
    v3.ConnectResponseSchema,
  ),
  "task.ShutdownRequest": c(v2.ShutdownRequestSchema, { id: "c1", now: true }, v3.ShutdownRequestSchema),
  "task.PauseRequest": c(v2.PauseRequestSchema, { id: "c1" }, v3.PauseRequestSchema),
  "task.ResumeRequest": c(v2.ResumeRequestSchema, { id: "c1" }, v3.ResumeRequestSchema),

  "types.Mount": c(MountSchema, mounts[0]!),
  "types.Process": c(ProcessSchema, {
    containerId: "c1",
    id: "e1",
    pid: 5,
    status: Status.STOPPED,
    stdin: "i",
    stdout: "o",
    stderr: "e",
    terminal: true,
    exitStatus: 2,
    exitedAt: created,
  }),

  "events.TaskCreate": c(ev.TaskCreateSchema, {
    containerId: "c1",
    bundle: "/b",
    rootfs: mounts,
    io: { stdin: "i", stdout: "o", stderr: "e", terminal: true },
    checkpoint: "/cp",
    pid: 11,
  }),
  "events.TaskStart": c(ev.TaskStartSchema, { containerId: "c1", pid: 11 }),
  "events.TaskDelete": c(ev.TaskDeleteSchema, {
    containerId: "c1",
    pid: 11,
    exitStatus: 1,
    exitedAt,
    id: "e1",
  }),
  "events.TaskIO": c(ev.TaskIOSchema, { stdin: "i", stdout: "o", stderr: "e", terminal: true }),
  "events.TaskExit": c(ev.TaskExitSchema, taskExit),
  "events.TaskOOM": c(ev.TaskOOMSchema, { containerId: "c1" }),
  "events.TaskExecAdded": c(ev.TaskExecAddedSchema, { containerId: "c1", execId: "e1" }),
  "events.TaskExecStarted": c(ev.TaskExecStartedSchema, { containerId: "c1", execId: "e1", pid: 12 }),
  "events.TaskPaused": c(ev.TaskPausedSchema, { containerId: "c1" }),
  "events.TaskResumed": c(ev.TaskResumedSchema, { containerId: "c1" }),
  "events.TaskCheckpointed": c(ev.TaskCheckpointedSchema, { containerId: "c1", checkpoint: "/cp" }),

  "eventsttrpc.ForwardRequest": c(evttrpc.ForwardRequestSchema, {
    envelope: {
      timestamp: created,
      namespace: "default",
      topic: "/tasks/exit",
      event: any(
        "containerd.events.TaskExit",
        toBinary(ev.TaskExitSchema, create(ev.TaskExitSchema, taskExit)),
      ),
    },
  }),
  "eventsttrpc.Envelope": c(evttrpc.EnvelopeSchema, {
    timestamp: created,
    namespace: "k8s.io",
    topic: "/tasks/oom",
    event: any("containerd.events.TaskOOM", [0x0a, 0x02, 0x63, 0x31]),
  }),
  "eventsgrpc.PublishRequest": c(evgrpc.PublishRequestSchema, {
    topic: "/tasks/start",
    event: any("containerd.events.TaskStart", [0x0a, 0x02, 0x63, 0x31, 0x10, 0x03]),
  }),
  "eventsgrpc.ForwardRequest": c(evgrpc.ForwardRequestSchema, {
    envelope: {
      timestamp: created,
      namespace: "default",
      topic: "/tasks/paused",
      event: any("containerd.events.TaskPaused", [0x0a, 0x02, 0x63, 0x31]),
    },
  }),
  "eventsgrpc.SubscribeRequest": c(evgrpc.SubscribeRequestSchema, {
    filters: ["topic==/tasks/exit", "namespace==default"],
  }),

  // Go side: structs with hcsshim's gogo struct tags (hcsshim types are not in GOPATH).
  "runhcs.Options": c(OptionsSchema, {
    debug: true,
    debugType: Options_DebugType.ETW,
    registryRoot: "HKLM\\r",
    sandboxImage: "pause:3.9",
    sandboxPlatform: "linux/amd64",
    sandboxIsolation: Options_SandboxIsolation.HYPERVISOR,
    bootFilesRootPath: "C:\\lcow",
    vmProcessorCount: 4,
    vmMemorySizeInMb: 2048,
    GPUVHDPath: "C:\\gpu.vhd",
    scaleCpuLimitsToSandbox: true,
    defaultContainerScratchSizeInGb: 30,
    defaultVmScratchSizeInGb: 40,
    shareScratch: true,
    NCProxyAddr: "\\\\.\\pipe\\nc",
    logLevel: "trace",
    ioRetryTimeoutInSec: 5,
    defaultContainerAnnotations: { a: "b" },
    noInheritHostTimezone: true,
    scrubLogs: true,
  }),
  "runhcs.ProcessDetails": c(ProcessDetailsSchema, {
    imageName: "cmd.exe",
    createdAt: created,
    kernelTime100Ns: 1n << 40n,
    memoryCommitBytes: 2n,
    memoryWorkingSetPrivateBytes: 3n,
    memoryWorkingSetSharedBytes: 4n,
    processId: 5,
    userTime100Ns: 6n,
    execId: "e1",
  }),

  "ttrpc.Request": c(RequestSchema, {
    service: "containerd.task.v2.Task",
    method: "Connect",
    payload: Uint8Array.from([0x0a, 0x03, 0x61, 0x62, 0x63]),
    timeoutNano: 5_000_000_000n,
    metadata: [{ key: "containerd-namespace-ttrpc", value: "default" }],
  }),
  "ttrpc.Response.error": c(ResponseSchema, { status: { code: 5, message: "container c1: not found" } }),
  // Go always sends a Status, empty when OK: `0a 00`.
  "ttrpc.Response.ok": c(ResponseSchema, { status: {}, payload: Uint8Array.from([0x08, 0x4d]) }),
};

describe("generated protos vs containerd 1.6 Go types (go-fixtures)", function () {
  this.timeout(300_000); // first run builds the Go program (2 shared cores)
  let samples: Map<string, Uint8Array>;

  before(async function () {
    try {
      samples = await goSamples();
    } catch (e: unknown) {
      if (e instanceof GoUnavailableError) this.skip();
      throw e;
    }
  });

  it("the Go program and this table cover the same sample names", () => {
    assert.deepEqual([...samples.keys()].sort(), Object.keys(expected).sort());
  });

  for (const [name, { schema, init, v3: v3schema }] of Object.entries(expected)) {
    it(`${name}: decodes to the expected fields and re-encodes byte-identically`, () => {
      const goBytes = samples.get(name);
      assert.ok(goBytes, `Go fixture did not print ${name}`);
      // Unknown fields dropped: a field our schema lacks (or numbers differently) cannot survive.
      const decoded = fromBinary(schema, goBytes, { readUnknownFields: false });
      assert.deepEqual(decoded, create(schema, init));
      assert.equal(hex(toBinary(schema, decoded)), hex(goBytes));
      assert.equal(hex(toBinary(schema, create(schema, init))), hex(goBytes));
      if (v3schema) {
        const again = fromBinary(v3schema, goBytes, { readUnknownFields: false });
        assert.equal(hex(toBinary(v3schema, again)), hex(goBytes), "task v3 must be wire-identical to v2");
      }
    });
  }
});
