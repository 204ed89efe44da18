import { CanceledError } from "../errdefs.js";
import { DeletedState, StoppedState } from "./final-states.js";
import { Phase, type ProcessState, type StateHost } from "./phase.js";
import type { InitOps, ProcessStatus } from "./types.js";

/** What an init phase needs from its process, beyond what every phase needs. */
export interface InitHost extends StateHost {
  readonly ops: InitOps;
  /** The pid runhcs reported at create. */
  readonly pid: number;
  /** Set when Kill ended the process before it started: its exit is reported as 128 + this signal. */
  killedBeforeStart: number | undefined;
  readonly exitResult: unknown;
}

/** The phases before the exit: signals go to the container through runhcs. */
abstract class LiveInitState extends Phase<InitHost> {
  kill(signal: number, all: boolean): Promise<void> {
    return this.host.ops.kill(signal, all);
  }
}

class CreatedState extends LiveInitState {
  readonly status = "created";
  protected readonly next = ["running", "stopped", "deleted"] as const;
  readonly #start = new AbortController();
  override async start(): Promise<number> {
    await this.host.ops.start(this.#start.signal);
    this.transition("running");
    return this.host.pid;
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
    return this.deleteFromHere();
  }
  override cancelStart(): void {
    this.#start.abort(new CanceledError("start: the task is being killed or deleted"));
  }
}

class RunningState extends LiveInitState {
  readonly status = "running";
  protected readonly next = ["paused", "stopped"] as const;
  override async pause(): Promise<void> {
    await this.host.ops.pause();
    this.transition("paused");
  }
}

class PausedState extends LiveInitState {
  readonly status = "paused";
  protected readonly next = ["running", "stopped"] as const;
  override async resume(): Promise<void> {
    await this.host.ops.resume();
    this.transition("running");
  }
}

/** The phase object of `status` for the init process. */
export function initState(status: ProcessStatus, host: InitHost): ProcessState {
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
