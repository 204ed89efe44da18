import { ExitLatch } from "./exit-latch.js";
import { Mutex } from "./mutex.js";
import type { ProcessState, StateHost } from "./phase.js";
import type { ExitResult, ProcessStatus } from "./types.js";

/**
 * A process of a container, init or exec, as its owner drives it (containerd's `process.Process`): the
 * owner forwards the Task API operations, tells it when the exit is observed and when it is reported, and
 * asks it what State, Wait and Kill need to know.
 */
export interface Process {
  /** The pid runhcs reported (its helper's); 0 for an exec before it started. */
  readonly pid: number;
  readonly status: ProcessStatus;
  /** The recorded exit, once reported. */
  readonly exitResult: ExitResult | undefined;
  /** Started, and its exit neither observed nor recorded: its pid still names it, so it may be signalled. */
  readonly alive: boolean;
  /** Settles once the start in flight, if any, has settled: exits are reported after it (and its event). */
  readonly startSettled: Promise<void>;
  /** Starts the process; resolves with its pid once started and announced. */
  start(): Promise<number>;
  /** `all`: every process of the container (the init only; an exec ignores it). */
  kill(signal: number, all?: boolean): Promise<void>;
  delete(): Promise<void>;
  /** The exit waiter observed the exit: no more signals by pid; the exit is recorded once reported. */
  exitObserved(): void;
  /** Records the exit (the first one counts) and stops the process; returns whether this one counted. */
  setExited(result: ExitResult): boolean;
  /** Resolves with the exit; at once when it is recorded. */
  wait(signal?: AbortSignal): Promise<ExitResult>;
}

/**
 * What the init and exec processes share: a façade that serializes operations (a per-process {@link Mutex},
 * so a slow runhcs call for one process never blocks another) and delegates them to the current
 * {@link ProcessState}. Exits are applied synchronously, so an exit observed during a runhcs call is never
 * lost or overwritten. Kill is not serialized: it must be able to stop a process whose start is in flight.
 */
export abstract class BaseProcess implements Process, StateHost {
  readonly id: string;
  abstract readonly kind: string;
  abstract readonly noun: string;
  abstract readonly signalledByPid: boolean;
  abstract readonly ops: { delete(): Promise<void> };
  /** Set by the subclass's constructor to its `created` phase. */
  state!: ProcessState;
  protected readonly mutex = new Mutex();
  readonly #exit = new ExitLatch();
  #pid: number;
  #startSettled: Promise<void> = Promise.resolve();

  constructor(id: string, pid: number) {
    this.id = id;
    this.#pid = pid;
  }

  abstract makeState(status: ProcessStatus): ProcessState;

  get pid(): number {
    return this.#pid;
  }

  get status(): ProcessStatus {
    return this.state.status;
  }

  get exitResult(): ExitResult | undefined {
    return this.#exit.result;
  }

  get alive(): boolean {
    return this.#pid > 0 && this.state.live;
  }

  get startSettled(): Promise<void> {
    return this.#startSettled;
  }

  start(): Promise<number> {
    const starting = this.mutex.run(async () => {
      this.#pid = await this.state.start();
      return this.#pid;
    });
    this.#startSettled = starting.then(
      () => {},
      () => {},
    );
    return starting;
  }

  kill(signal: number, all = false): Promise<void> {
    return this.state.kill(signal, all);
  }

  /** Deletes the process; a start still in flight is cancelled first (the process goes anyway). */
  delete(): Promise<void> {
    this.state.cancelStart();
    return this.mutex.run(() => this.state.delete());
  }

  exitObserved(): void {
    this.state.exitObserved();
  }

  setExited(result: ExitResult): boolean {
    if (!this.#exit.set(result)) return false;
    this.state.exited();
    return true;
  }

  wait(signal?: AbortSignal): Promise<ExitResult> {
    return this.#exit.wait(signal);
  }
}
