import { CanceledError, NotFoundError } from "../errdefs.js";
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
  /** Cancels a start in flight, because the container is being deleted (no-op outside `created`). */
  cancelStart(): void;
}

/** What a state needs from its process: the side effects and the current state. */
export interface InitHost {
  readonly ops: InitOps;
  state: InitState;
  /** Set when Kill ended the process before it started: its exit is reported as 128 + this signal. */
  killedBeforeStart: number | undefined;
  readonly exitResult: unknown;
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
  cancelStart(): void {}
}

class CreatedState extends BaseInitState {
  readonly status = "created";
  protected readonly next = ["running", "stopped", "deleted"] as const;
  readonly #start = new AbortController();
  override async start(): Promise<void> {
    await this.host.ops.start(this.#start.signal);
    this.transition("running");
  }
  /**
   * runhcs cannot signal a container that never started (kill answers `container is stopped`) and no
   * exit would ever come: the container is destroyed instead (a start in flight is cancelled) and its
   * exit reported as 128 + signal, as containerd's runc shim reports a created process it killed
   * (pkg/process/init_state.go createdState.Kill: runc kill ends runc init). The first Kill's signal counts.
   */
  override async kill(signal: number): Promise<void> {
    const first = this.host.killedBeforeStart === undefined;
    if (first) this.host.killedBeforeStart = signal;
    this.cancelStart();
    try {
      await this.host.ops.destroy();
    } catch (err: unknown) {
      // Not destroyed: an exit that still comes is the process's own.
      if (first && this.host.exitResult === undefined) this.host.killedBeforeStart = undefined;
      throw err;
    }
  }
  override delete(): Promise<void> {
    return this.deleteFromHere("deleted", "stopped");
  }
  override cancelStart(): void {
    this.#start.abort(new CanceledError("start: the task is being killed or deleted"));
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
