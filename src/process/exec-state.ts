import { NotFoundError } from "../errdefs.js";
import { Phase, type PhaseFamily } from "./phase.js";
import {
  type ExecOps,
  type ExitResult,
  type ProcessStatus,
  signalExitStatus,
  UNKNOWN_EXIT_STATUS,
} from "./types.js";

/** One phase of an exec process (containerd's `exec_state.go`); see {@link InitState} for the pattern. */
export interface ExecState {
  readonly status: Exclude<ProcessStatus, "paused">;
  /** Runs the exec; returns its pid. */
  start(): Promise<number>;
  kill(signal: number): Promise<void>;
  delete(): Promise<void>;
  exited(): void;
}

/** What a state needs from its exec process. */
export interface ExecHost {
  readonly ops: ExecOps;
  state: ExecState;
  /** Records the exit (the first one counts), releasing the waiters. */
  setExited(result: ExitResult): boolean;
}

type ExecStatus = ExecState["status"];

const EXEC: PhaseFamily<ExecStatus, ExecState, ExecHost> = { kind: "exec", noun: "process", make: execState };

abstract class BaseExecState extends Phase<ExecStatus, ExecState, ExecHost> implements ExecState {
  constructor(host: ExecHost) {
    super(host, EXEC);
  }

  start(): Promise<number> {
    return this.refuse("start");
  }
  kill(signal: number): Promise<void> {
    return this.host.ops.kill(signal);
  }
  delete(): Promise<void> {
    return this.refuse("delete");
  }
  exited(): void {
    this.transition("stopped");
  }
}

/**
 * A created exec never ran, so no exit of its own will ever come: whatever ends it here records its exit,
 * or a Wait on it would never return.
 */
class ExecCreatedState extends BaseExecState {
  readonly status = "created";
  protected readonly next = ["running", "stopped", "deleted"] as const;
  /** A failed runhcs exec ends the exec with 255 (containerd's runc shim closes its waitBlock then). */
  override async start(): Promise<number> {
    let pid: number;
    try {
      pid = await this.host.ops.start();
    } catch (err: unknown) {
      this.host.setExited({ exitStatus: UNKNOWN_EXIT_STATUS, exitedAt: new Date() });
      throw err;
    }
    this.transition("running");
    return pid;
  }
  /** Nothing to signal: the exec ends as killed by `signal` (it can no longer be started). */
  override async kill(signal: number): Promise<void> {
    this.host.setExited({ exitStatus: signalExitStatus(signal), exitedAt: new Date() });
  }
  override delete(): Promise<void> {
    this.host.setExited({ exitStatus: UNKNOWN_EXIT_STATUS, exitedAt: new Date() });
    return this.deleteFromHere("deleted", "stopped");
  }
}

class ExecRunningState extends BaseExecState {
  readonly status = "running";
  protected readonly next = ["stopped"] as const;
}

class ExecStoppedState extends BaseExecState {
  readonly status = "stopped";
  protected readonly next = ["deleted"] as const;
  override kill(): Promise<void> {
    return Promise.reject(new NotFoundError("process already finished"));
  }
  override delete(): Promise<void> {
    return this.deleteFromHere("deleted", "stopped");
  }
  override exited(): void {}
}

class ExecDeletedState extends BaseExecState {
  readonly status = "deleted";
  protected readonly next = [] as const;
  override kill(): Promise<void> {
    return Promise.reject(new NotFoundError("cannot kill a deleted process"));
  }
  override delete(): Promise<void> {
    return Promise.reject(new NotFoundError("cannot delete a deleted process"));
  }
  override exited(): void {}
}

/** The state object for a phase of an exec process. */
export function execState(status: ExecStatus, host: ExecHost): ExecState {
  switch (status) {
    case "created":
      return new ExecCreatedState(host);
    case "running":
      return new ExecRunningState(host);
    case "stopped":
      return new ExecStoppedState(host);
    case "deleted":
      return new ExecDeletedState(host);
  }
}
