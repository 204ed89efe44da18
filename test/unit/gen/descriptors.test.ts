// Names that appear on the wire or in Any type URLs: ttrpc service/method strings and message full names.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DescMessage, DescService } from "@bufbuild/protobuf";
import * as ev from "../../../src/gen/containerd/events/task_pb.js";
import { Events as TtrpcEvents } from "../../../src/gen/containerd/services/events/ttrpc/v1/events_pb.js";
import { Events as GrpcEvents } from "../../../src/gen/containerd/services/events/v1/events_pb.js";
import * as v2 from "../../../src/gen/containerd/task/v2/shim_pb.js";
import * as v3 from "../../../src/gen/containerd/task/v3/shim_pb.js";

const TASK_METHODS = [
  "State",
  "Create",
  "Start",
  "Delete",
  "Pids",
  "Pause",
  "Resume",
  "Checkpoint",
  "Kill",
  "Exec",
  "ResizePty",
  "CloseIO",
  "Update",
  "Wait",
  "Stats",
  "Connect",
  "Shutdown",
];

/** name, number, kind and type of each field: everything that decides the wire format. */
function shape(m: DescMessage): string[] {
  return m.fields.map((f) => {
    const t = f.message?.typeName.replace(/^containerd\.task\.v[23]\./, "") ?? f.enum?.typeName ?? f.scalar;
    return `${f.number} ${f.name} ${f.fieldKind} ${String(t)}`;
  });
}

const methods = (s: DescService) => s.methods.map((m) => `${m.name} ${m.methodKind}`);

describe("generated descriptors", () => {
  it("Task v2 and v3 are services containerd.task.v{2,3}.Task with the 17 unary methods in order", () => {
    assert.equal(v2.Task.typeName, "containerd.task.v2.Task");
    assert.equal(v3.Task.typeName, "containerd.task.v3.Task");
    const want = TASK_METHODS.map((m) => `${m} unary`);
    assert.deepEqual(methods(v2.Task), want);
    assert.deepEqual(methods(v3.Task), want);
    assert.equal(v2.Task.method["exec"]?.output.typeName, "google.protobuf.Empty");
  });

  it("every v3 message has exactly the v2 fields (wire-identical APIs)", () => {
    const v2msgs = v2.file_containerd_task_v2_shim.messages;
    const v3msgs = v3.file_containerd_task_v3_shim.messages;
    assert.deepEqual(
      v3msgs.map((m) => m.name),
      v2msgs.map((m) => m.name),
    );
    for (const [i, m] of v2msgs.entries()) assert.deepEqual(shape(v3msgs[i]!), shape(m), m.name);
    for (const [i, m] of v2.Task.methods.entries()) {
      assert.equal(v3.Task.methods[i]?.input.name, m.input.name);
      assert.equal(v3.Task.methods[i]?.output.name, m.output.name);
    }
  });

  it("proto/containerd/task/v3/shim.proto is v2's file with only the header and package changed", () => {
    const body = (p: string) =>
      readFileSync(join(process.cwd(), p), "utf8")
        .replace(/^(\/\/.*\n)+/, "")
        .replace(/^package containerd\.task\.v[23];$/m, "package <v>;");
    assert.equal(body("proto/containerd/task/v3/shim.proto"), body("proto/containerd/task/v2/shim.proto"));
  });

  it("event messages have the full names containerd uses as Any type URLs", () => {
    const names = [
      ev.TaskCreateSchema,
      ev.TaskStartSchema,
      ev.TaskDeleteSchema,
      ev.TaskIOSchema,
      ev.TaskExitSchema,
      ev.TaskOOMSchema,
      ev.TaskExecAddedSchema,
      ev.TaskExecStartedSchema,
      ev.TaskPausedSchema,
      ev.TaskResumedSchema,
      ev.TaskCheckpointedSchema,
    ].map((s) => s.typeName);
    assert.deepEqual(
      names,
      [
        "TaskCreate",
        "TaskStart",
        "TaskDelete",
        "TaskIO",
        "TaskExit",
        "TaskOOM",
        "TaskExecAdded",
        "TaskExecStarted",
        "TaskPaused",
        "TaskResumed",
        "TaskCheckpointed",
      ].map((n) => `containerd.events.${n}`),
    );
  });

  it("events services: ttrpc Forward (unary) and the gRPC Publish/Forward/Subscribe(server stream)", () => {
    assert.equal(TtrpcEvents.typeName, "containerd.services.events.ttrpc.v1.Events");
    assert.deepEqual(methods(TtrpcEvents), ["Forward unary"]);
    assert.equal(GrpcEvents.typeName, "containerd.services.events.v1.Events");
    assert.deepEqual(methods(GrpcEvents), ["Publish unary", "Forward unary", "Subscribe server_streaming"]);
  });
});
