import { NotFoundError } from "../errdefs.js";
import { Phase, type PhaseFamily } from "./phase.js";
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

const INIT: PhaseFamily<ProcessStatus, InitState, InitHost> = { kind: "init", noun: "task", make: initState };

abstract class BaseInitState extends Phase<ProcessStatus, InitState, InitHost> implements InitState {
  constructor(host: InitHost) {
    super(host, INIT);
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
}

class CreatedState extends BaseInitState {
  readonly status = "created";
  protected readonly next = ["running", "stopped", "deleted"] as const;
  override async start(): Promise<void> {
    await this.host.ops.start();
    this.transition("running");
  }
  override delete(): Promise<void> {
    return this.deleteFromHere("deleted", "stopped");
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
    return this.deleteFromHere("deleted", "stopped");
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
