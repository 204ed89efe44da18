/**
 * What the service needs from the rest of the shim, as interfaces: tests give fakes, `src/shim/serve.ts`
 * gives the real modules.
 */
import type { EventOf, Topic } from "../events/topics.js";
import type { Logger } from "../log/logger.js";
import type { ContainerProcesses, ProcessTree, ProcessWaiter } from "../platform/types.js";
import type { CallerStdio, Runhcs, RunhcsOptions } from "../runhcs/index.js";

/** The stdio endpoints containerd gave for a process (paths or URIs; "" = not used). */
export interface StdioConfig {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

/** A process's stdio relay between containerd's endpoints and runhcs (see `src/stdio`). */
export interface ProcessIO {
  /** The stdio runhcs create/exec is spawned with (its helper inherits it). */
  readonly runhcsStdio: CallerStdio;
  /** Closes our copies of the child's ends, once runhcs is spawned. */
  afterSpawn(): void;
  /** CloseIO: the process sees EOF on stdin; output keeps flowing. */
  closeStdin(): void;
  /** Resolves once all output has been relayed to containerd. */
  readonly outputDone: Promise<void>;
  /** Releases everything; idempotent. */
  close(): void;
}

/** Opens a process's stdio (dials containerd's pipes / opens its FIFOs). */
export type OpenProcessIO = (config: StdioConfig) => Promise<ProcessIO>;

/** Publishes task events without blocking (see `src/events`). */
export interface EventSender {
  publish<T extends Topic>(topic: T, fields: EventOf<T>): void;
}

/** The runhcs calls the service makes (the real {@link Runhcs} client; a fake in tests). */
export type RunhcsClient = Pick<
  Runhcs,
  "create" | "start" | "execAttached" | "kill" | "delete" | "state" | "ps" | "pause" | "resume" | "resizeTty"
>;

/** Everything a task depends on. */
export interface TaskDeps {
  readonly logger: Logger;
  readonly events: EventSender;
  readonly waiter: ProcessWaiter;
  readonly tree: ProcessTree;
  /** Reaches container processes by their runhcs helper (exec Kill, Kill all). */
  readonly containerProcesses: ContainerProcesses;
  readonly openIO: OpenProcessIO;
  /** Makes the runhcs client for a task, from the global flags its runtime options ask for. */
  readonly runhcs: (options: RunhcsOptions) => RunhcsClient;
  /** Windows: a spec without rootfs mounts must already carry layer folders. */
  readonly requireLayerFolders: boolean;
  /** Bounds (ms); defaults in `task.ts`. Tests shorten them. */
  readonly timeouts?: Partial<TaskTimeouts>;
}

/** Which tasks a server takes, and the bundle each must be created in. */
export interface Admission {
  /** The bundle (absolute) task `id` must be created in; throws InvalidArgument when `id` is not taken here. */
  bundleOf(id: string): string;
}

/**
 * The log of each task: containerd reads one endpoint per task it started (also for a task that joined a
 * running server), so a task's lines go to its own. `logger` of {@link TaskDeps} is the server's.
 */
export interface TaskLogs {
  /** The logger of task `id` (created in `bundle`); its endpoint is opened now. */
  open(id: string, bundle: string): Logger;
  /** Flushes (bounded) and releases task `id`'s endpoint; the server's own is kept. */
  close(id: string): Promise<void>;
}

/** Everything the task registry (the server's tasks) depends on: its tasks' dependencies and admission. */
export interface ServerDeps extends TaskDeps {
  readonly admission: Admission;
  /** Per-task logs; without it every task logs to `logger`. */
  readonly taskLogs?: TaskLogs;
}

export interface TaskTimeouts {
  /** Start: how long runhcs may report `created` after `runhcs start` returned. */
  startMs: number;
  /** Exit: how long to wait for the output relay to drain before reporting an exit anyway. */
  outputDrainMs: number;
  /** Delete: how long to wait for the exit after `runhcs delete --force`. */
  deleteExitMs: number;
}
