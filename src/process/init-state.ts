import { AssertionError } from "node:assert";
import { FailedPreconditionError, NotFoundError } from "../errdefs.js";
import type { InitOps, ProcessStatus } from "./types.js";

/**
 * One phase of the init process (containerd's `init_state.go`). Each method either performs the
 * operation through the owner's {@link InitOps} and moves to the next phase, or refuses it with the
 * error class containerd expects for that phase.
 */
export interface InitState {
  readonly status: ProcessStatus;
  start(): Promise<void>;
  kill(signal: number, all: boolean): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  delete(): Promise<void>;
  /** The process has exited (observed by the exit waiter); applied at once, never refused. */
  exited(): void;
}

/** What a state needs from its process: the side effects and the current state. */
export interface InitHost {
  readonly ops: InitOps;
  state: InitState;
}

abstract class BaseInitState implements InitState {
  abstract readonly status: ProcessStatus;
  /** The phases this one may move to. */
  protected abstract readonly next: readonly ProcessStatus[];

  constructor(protected readonly host: InitHost) {}

  /**
   * Moves the process on, unless an exit already did while the operation awaited runhcs
   * (then the exit's phase stands). An illegal target is a bug, not a user error.
   */
  protected transition(to: ProcessStatus): void {
    if (this.host.state !== this) return;
    if (!this.next.includes(to)) throw new AssertionError({ message: `init: ${this.status} -> ${to}` });
    this.host.state = initState(to, this.host);
  }

  start(): Promise<void> {
    return this.refuse("start");
  }
  kill(signal: number, all: boolean): Promise<void> {
    return this.host.ops.kill(signal, all);
  }
  pause(): Promise<void> {
    return this.refuse("pause");
  }
  resume(): Promise<void> {
    return this.refuse("resume");
  }
  delete(): Promise<void> {
    return this.refuse("delete");
  }
  exited(): void {
    this.transition("stopped");
  }

  protected refuse(op: string): Promise<never> {
    return Promise.reject(new FailedPreconditionError(`cannot ${op} a ${this.status} task`));
  }

  /** Deletion is terminal and also follows an exit that happened while runhcs deleted. */
  protected async deleteFromHere(): Promise<void> {
    await this.host.ops.delete();
    if (this.host.state === this || this.host.state.status === "stopped") {
      this.host.state = initState("deleted", this.host);
    }
  }
}

class CreatedState extends BaseInitState {
  readonly status = "created";
  protected readonly next = ["running", "stopped", "deleted"] as const;
  override async start(): Promise<void> {
    await this.host.ops.start();
    this.transition("running");
  }
  override delete(): Promise<void> {
    return this.deleteFromHere();
  }
}

class RunningState extends BaseInitState {
  readonly status = "running";
  protected readonly next = ["paused", "stopped"] as const;
  override async pause(): Promise<void> {
    await this.host.ops.pause();
    this.transition("paused");
  }
}

class PausedState extends BaseInitState {
  readonly status = "paused";
  protected readonly next = ["running", "stopped"] as const;
  override async resume(): Promise<void> {
    await this.host.ops.resume();
    this.transition("running");
  }
}

class StoppedState extends BaseInitState {
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

class DeletedState extends BaseInitState {
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

/** The state object for a phase of the init process. */
export function initState(status: ProcessStatus, host: InitHost): InitState {
  switch (status) {
    case "created":
      return new CreatedState(host);
    case "running":
      return new RunningState(host);
    case "paused":
      return new PausedState(host);
    case "stopped":
      return new StoppedState(host);
    case "deleted":
      return new DeletedState(host);
  }
}
