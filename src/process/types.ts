/**
 * Types of the process layer. This layer knows runhcs, stdio and events only through the
 * {@link InitOps}/{@link ExecOps} callbacks its owner gives it, and never sees generated protobuf types.
 * What the owner drives of either kind of process is `Process` (process.ts).
 */

/** The phase a process is in, as the Task API reports it (plus `deleted`, after which it is gone). */
export type ProcessStatus = "created" | "running" | "paused" | "stopped" | "deleted";

/** How a process ended: recorded once, when its exit is observed. */
export interface ExitResult {
  /** The exit code (Windows: the raw uint32 code; a signal death on Linux: 128 + signal number). */
  readonly exitStatus: number;
  readonly exitedAt: Date;
}

/** Exit status reported for a process whose exit could not be observed (containerd's convention). */
export const UNKNOWN_EXIT_STATUS = 255;

/** Exit status of a process killed by `signal` (a shell's and containerd's convention: 128 + signal). */
export function signalExitStatus(signal: number): number {
  return 128 + signal;
}

/** The side effects of the init process's operations: runhcs calls, made by the owner. */
export interface InitOps {
  /**
   * Start the container (runhcs start) and return once it is no longer `created` and its start has been
   * announced (the start event, which precedes any exit report); `signal` cancels it.
   */
  start(signal: AbortSignal): Promise<void>;
  /** Signal the container's init process, or every process of the container when `all`. */
  kill(signal: number, all: boolean): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Remove the container (runhcs delete --force) and what the shim created for it; bounded. */
  delete(): Promise<void>;
  /**
   * End a container that never started, which runhcs cannot signal (runhcs delete --force); resolves
   * once its exit has been reported, or (bounded) reports one itself when its helper's exit never comes.
   */
  destroy(): Promise<void>;
}

/** The side effects of an exec process's operations. */
export interface ExecOps {
  /** Run the exec (runhcs exec), announce it (its event precedes any exit report), return its pid. */
  start(): Promise<number>;
  kill(signal: number): Promise<void>;
  /** Release what the shim created for the exec (process spec file, pid file, stdio); bounded. */
  delete(): Promise<void>;
}
