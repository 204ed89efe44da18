import { FailedPreconditionError, NotFoundError } from "../errdefs.js";
import { Phase, type PhaseFamily } from "./phase.js";
import type { ExecOps, ProcessStatus } from "./types.js";

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

class ExecCreatedState extends BaseExecState {
  readonly status = "created";
  protected readonly next = ["running", "stopped", "deleted"] as const;
  override async start(): Promise<number> {
    const pid = await this.host.ops.start();
    this.transition("running");
    return pid;
  }
  override kill(): Promise<void> {
    return Promise.reject(new FailedPreconditionError("cannot kill a created process"));
  }
  override delete(): Promise<void> {
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
