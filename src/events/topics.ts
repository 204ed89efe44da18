import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import {
  TaskCheckpointedSchema,
  TaskCreateSchema,
  TaskDeleteSchema,
  TaskExecAddedSchema,
  TaskExecStartedSchema,
  TaskExitSchema,
  TaskOOMSchema,
  TaskPausedSchema,
  TaskResumedSchema,
  TaskStartSchema,
} from "../gen/containerd/events/task_pb.js";

/**
 * The task events a shim publishes, by topic. The pairing is the contract containerd relies on
 * (runtime v2 README); the event's Any type URL is its bare protobuf full name, e.g.
 * `containerd.events.TaskExit`, which every containerd from 1.6 on resolves.
 */
export const TOPICS = {
  "/tasks/create": TaskCreateSchema,
  "/tasks/start": TaskStartSchema,
  "/tasks/delete": TaskDeleteSchema,
  "/tasks/exit": TaskExitSchema,
  "/tasks/oom": TaskOOMSchema,
  "/tasks/exec-added": TaskExecAddedSchema,
  "/tasks/exec-started": TaskExecStartedSchema,
  "/tasks/paused": TaskPausedSchema,
  "/tasks/resumed": TaskResumedSchema,
  "/tasks/checkpointed": TaskCheckpointedSchema,
} as const satisfies Record<string, DescMessage>;

export type Topic = keyof typeof TOPICS;

/** The fields of the event published on `T`. */
export type EventOf<T extends Topic> = MessageInitShape<(typeof TOPICS)[T]>;
