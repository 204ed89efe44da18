/**
 * The vocabulary of a task: what Create and Exec are given, what State and Delete report, and the bounds
 * of the task's operations. The task itself is `container-task.ts`; the server holding the tasks is
 * `task-registry.ts`; the names of the files it creates in the bundle are `bundle/files.ts`.
 */
import type { RootfsMount } from "../bundle/index.js";
import type { ExitResult, ProcessStatus } from "../process/types.js";
import type { StdioConfig, TaskTimeouts } from "./deps.js";

/** The HCS owner runhcs records for containers this shim creates (as containerd's runhcs shim). */
export const RUNHCS_OWNER = "containerd-runhcs-shim-v1";
export const DEFAULT_TIMEOUTS: TaskTimeouts = { startMs: 30_000, outputDrainMs: 5_000, deleteExitMs: 5_000 };
/** `runhcs create` unless the runtime options say otherwise: a utility VM may boot for minutes. */
export const DEFAULT_CREATE_TIMEOUT_MS = 10 * 60_000;

/** The runtime options of `containerd.runhcs.v1.Options` that the shim uses. */
export interface RuntimeOptions {
  debug: boolean;
  registryRoot: string;
  /** Bound of `runhcs create` (ms). */
  createTimeoutMs: number;
}

export interface CreateConfig {
  id: string;
  bundle: string;
  rootfs: RootfsMount[];
  stdio: StdioConfig;
  options: RuntimeOptions;
  /** The request's cancellation: a cancelled Create stops `runhcs create` and cleans up. */
  signal?: AbortSignal;
}

export interface ExecConfig {
  execId: string;
  stdio: StdioConfig;
  /** The OCI Process, JSON. */
  spec: Uint8Array;
}

/** What State and Delete report of a process. */
export interface ProcessView {
  execId: string;
  pid: number;
  status: ProcessStatus;
  stdio: StdioConfig;
  exit: ExitResult | undefined;
}
