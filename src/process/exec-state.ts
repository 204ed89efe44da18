import { AssertionError } from "node:assert";
import { FailedPreconditionError, NotFoundError } from "../errdefs.js";
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

abstract class BaseExecState implements ExecState {
  abstract readonly status: ExecStatus;
  protected abstract readonly next: readonly ExecStatus[];

  constructor(protected readonly host: ExecHost) {}

  protected transition(to: ExecStatus): void {
    if (this.host.state !== this) return;
    if (!this.next.includes(to)) throw new AssertionError({ message: `exec: ${this.status} -> ${to}` });
    this.host.state = execState(to, this.host);
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

  protected refuse(op: string): Promise<never> {
    return Promise.reject(new FailedPreconditionError(`cannot ${op} a ${this.status} process`));
  }

  protected async deleteFromHere(): Promise<void> {
    await this.host.ops.delete();
    if (this.host.state === this || this.host.state.status === "stopped") {
      this.host.state = execState("deleted", this.host);
    }
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
    return this.deleteFromHere();
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
    return this.deleteFromHere();
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
