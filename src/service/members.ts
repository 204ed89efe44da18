/**
 * What the modules of one task share: the task's context, and its processes with what the service
 * attached to each (stdio; for the init, the runhcs client and the bundle). Nothing here tracks a
 * process's phase or exit: the process machines (`src/process`) do.
 */
import type { InitProcess } from "../process/init.js";
import type { Process } from "../process/process.js";
import type { ProcessIO, RunhcsClient, StdioConfig, TaskDeps, TaskTimeouts } from "./deps.js";
import type { RuntimeOptions } from "./task.js";

/** One task's id (the container's), dependencies and bounds. */
export interface TaskContext {
  readonly id: string;
  readonly deps: TaskDeps;
  readonly timeouts: TaskTimeouts;
}

/** A process of the task: its state machine, its stdio endpoints and their relay. */
export interface Member<P extends Process = Process> {
  /** "" for the init. */
  readonly execId: string;
  readonly proc: P;
  readonly stdio: StdioConfig;
  readonly io: ProcessIO;
}

/** The init process, with what the whole task uses. */
export interface InitMember extends Member<InitProcess> {
  readonly runhcs: RunhcsClient;
  readonly bundle: string;
  readonly options: RuntimeOptions;
  /** config.json has a `linux` section: runhcs takes Linux signals (else Windows' signal map). */
  readonly lcow: boolean;
}
