/**
 * The runhcs client's options: construction (global flags, how to spawn, the default deadline and its
 * operator override, the call observer) and per call (deadline, cancellation, stdio).
 */
import type { GlobalOptions } from "./global-args.js";
import type { CallerStdio, CommandRunner, SpawnedStdio } from "./runner.js";

/** Deadline of one runhcs call unless the client, the call or `$RUNHCS_TIMEOUT` says otherwise. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/**
 * The operator's deadline for runhcs calls, in seconds (a positive number; anything else is ignored): how
 * long a hung `runhcs delete`, `kill`, `state`, `ps`... may take before the RPC fails with DeadlineExceeded.
 * Create has its own (`create_timeout_in_sec`); attached execs and the container's stdio have none.
 */
export const RUNHCS_TIMEOUT_ENV = "RUNHCS_TIMEOUT";

export function timeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const seconds = Number(env[RUNHCS_TIMEOUT_ENV] || Number.NaN);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/** Construction options: the global flags plus how to spawn. */
export interface RunhcsOptions extends GlobalOptions {
  /** Binary to run; default `$RUNHCS_BINARY`, else `runhcs.exe`/`runhcs` from PATH, else from `besideDir`. */
  binary?: string;
  /** Where runhcs is looked for after PATH: the shim executable's directory (see `binary.ts`). */
  besideDir?: string;
  /** Environment of runhcs (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Working directory of runhcs (default: this process's). */
  cwd?: string;
  /** Spawner; tests pass a fake. */
  runner?: CommandRunner;
  /** Default deadline of each call, in ms. */
  timeoutMs?: number;
  /**
   * Told of every call once it is over for its caller: runhcs exited, or for an attached exec, its pid
   * file came (how long the RPC waited on runhcs). The shim logs it at debug; `scripts/bench overhead`
   * subtracts it from each RPC's latency.
   */
  onCall?: (call: RunhcsCallTiming) => void;
}

/** One runhcs call as {@link RunhcsOptions.onCall} sees it. */
export interface RunhcsCallTiming {
  command: string;
  ms: number;
  /** Exit code (undefined: an attached exec still running, or runhcs could not be run). */
  exitCode?: number | null;
}

/** Per-call options: every call is bounded and cancellable. */
export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Per-call options of create/exec: the stdio given to runhcs, which hands it to the process it starts.
 * Without `stdio` runhcs's output is captured; note that runhcs's helper then inherits our capture
 * pipes (we stop reading shortly after runhcs exits).
 */
export interface IoCallOptions extends CallOptions {
  stdio?: CallerStdio;
  /** Receives the parent ends of `"pipe"` stdio slots right after the spawn. */
  onSpawn?: (io: SpawnedStdio) => void;
}
