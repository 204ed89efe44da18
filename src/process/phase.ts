import { AssertionError } from "node:assert";
import { FailedPreconditionError, NotFoundError } from "../errdefs.js";
import type { ProcessStatus } from "./types.js";

/**
 * One phase of a process (containerd's `init_state.go` / `exec_state.go`). Each method either performs the
 * operation through the process's ops and moves to the next phase, or refuses it with the error class
 * containerd expects for that phase. Init and exec processes share this interface and the phases after
 * the exit ({@link ExitedState}, `StoppedState`, `DeletedState`).
 */
export interface ProcessState {
  readonly status: ProcessStatus;
  /** Neither observed nor recorded to have exited: a started process's pid still names it. */
  readonly live: boolean;
  /** Starts the process; resolves with its pid. */
  start(): Promise<number>;
  /** `all`: every process of the container (meaningful for the init only). */
  kill(signal: number, all: boolean): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  delete(): Promise<void>;
  /** The exit waiter observed the exit (the pid is reaped); it is recorded once reported. Never refused. */
  exitObserved(): void;
  /** The exit was recorded: the process is stopped. Never refused. */
  exited(): void;
  /** Cancels a start in flight, because the process is being deleted (no-op where nothing can be cancelled). */
  cancelStart(): void;
}

/** What a phase needs from its process: the current phase, how to make the next, the side effect of deleting. */
export interface StateHost {
  state: ProcessState;
  /** `init` or `exec`, in assertion messages. */
  readonly kind: string;
  /** `task` or `process`, in the errors containerd sees ("cannot pause a created task"). */
  readonly noun: string;
  /**
   * Whether a signal reaches the process by its pid (an exec's helper), so that a reaped pid must not be
   * signalled; the init is reached by its container id (runhcs kill), which stays valid.
   */
  readonly signalledByPid: boolean;
  readonly ops: { delete(): Promise<void> };
  /** The phase object of `status` for this kind of process. */
  makeState(status: ProcessStatus): ProcessState;
}

/**
 * The mechanics every phase shares: a whitelist of next phases, refusal of the operations a phase does not
 * allow, deletion, and the move to {@link ExitedState} when the exit is observed.
 */
export abstract class Phase<H extends StateHost = StateHost> implements ProcessState {
  abstract readonly status: ProcessStatus;
  readonly live: boolean = true;
  /** The phases this one may move to. */
  protected abstract readonly next: readonly ProcessStatus[];

  constructor(protected readonly host: H) {}

  abstract kill(signal: number, all: boolean): Promise<void>;

  start(): Promise<number> {
    return this.refuse("start");
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
  exitObserved(): void {
    if (this.host.state === this) this.host.state = new ExitedState(this.host, this);
  }
  exited(): void {
    this.transition("stopped");
  }
  cancelStart(): void {}

  /**
   * Moves the process on, unless an exit or a deletion already did while the operation awaited runhcs
   * (then that phase stands). While the exit is only observed, the move applies to the phase the
   * {@link ExitedState} shows. An illegal target is a bug, not a user error.
   */
  protected transition(to: ProcessStatus): void {
    const wrapper = this.#wrapper();
    if (this.host.state !== this && !wrapper) return;
    if (!this.next.includes(to)) {
      throw new AssertionError({ message: `${this.host.kind}: ${this.status} -> ${to}` });
    }
    const next = this.host.makeState(to);
    if (wrapper && next.live) wrapper.phase = next;
    else this.host.state = next;
  }

  protected refuse(op: string): Promise<never> {
    return Promise.reject(new FailedPreconditionError(`cannot ${op} a ${this.status} ${this.host.noun}`));
  }

  /** Deletion is terminal and also follows an exit recorded while runhcs deleted. */
  protected async deleteFromHere(): Promise<void> {
    await this.host.ops.delete();
    const current = this.host.state;
    if (current === this || current.status === "stopped" || this.#wrapper()) {
      this.host.state = this.host.makeState("deleted");
    }
  }

  /** The {@link ExitedState} showing this phase, if the process is in it. */
  #wrapper(): ExitedState | undefined {
    const current = this.host.state;
    return current instanceof ExitedState && current.phase === this ? current : undefined;
  }
}

/**
 * Exited, not yet reported: the exit waiter observed the exit (the pid is reaped), and its report still
 * waits for the process's output, its start event and (the init) its execs' exits. Until the exit is
 * recorded, State, Wait and Delete see the process as the phase it was in (`phase`, which an operation in
 * flight, e.g. a start, still moves on), but a process reached by its pid is no longer signalled: the pid
 * may name another process now.
 */
export class ExitedState implements ProcessState {
  readonly live = false;

  constructor(
    private readonly host: StateHost,
    public phase: ProcessState,
  ) {}

  get status(): ProcessStatus {
    return this.phase.status;
  }
  start(): Promise<number> {
    return this.phase.start();
  }
  kill(signal: number, all: boolean): Promise<void> {
    if (this.host.signalledByPid) return Promise.reject(new NotFoundError("process already finished"));
    return this.phase.kill(signal, all);
  }
  pause(): Promise<void> {
    return this.phase.pause();
  }
  resume(): Promise<void> {
    return this.phase.resume();
  }
  delete(): Promise<void> {
    return this.phase.delete();
  }
  exitObserved(): void {}
  exited(): void {
    if (this.host.state === this) this.host.state = this.host.makeState("stopped");
  }
  cancelStart(): void {
    this.phase.cancelStart();
  }
}
