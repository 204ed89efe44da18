import { ExitLatch } from "./exit-latch.js";
import { type InitHost, type InitState, initState } from "./init-state.js";
import { Mutex } from "./mutex.js";
import { type ExitResult, type InitOps, type ProcessStatus, signalExitStatus } from "./types.js";

/**
 * The container's init process: a façade that serializes operations and delegates them to the
 * current {@link InitState}.
 *
 * Operations run one at a time (a per-process {@link Mutex}), except `kill`, which must be able to
 * stop a container whose start or pause is still in flight. Exits are applied synchronously, so an
 * exit observed during a runhcs call is never lost or overwritten.
 */
export class InitProcess implements InitHost {
  readonly id: string;
  /** The pid runhcs reported (its helper process, which exits with the container's exit code). */
  readonly pid: number;
  readonly ops: InitOps;
  state: InitState;
  killedBeforeStart: number | undefined;
  readonly #exit = new ExitLatch();
  readonly #mutex = new Mutex();

  constructor(id: string, pid: number, ops: InitOps) {
    this.id = id;
    this.pid = pid;
    this.ops = ops;
    this.state = initState("created", this);
  }

  get status(): ProcessStatus {
    return this.state.status;
  }

  /** The exit, once it has been observed. */
  get exitResult(): ExitResult | undefined {
    return this.#exit.result;
  }

  start(): Promise<void> {
    return this.#mutex.run(() => this.state.start());
  }

  kill(signal: number, all: boolean): Promise<void> {
    return this.state.kill(signal, all);
  }

  pause(): Promise<void> {
    return this.#mutex.run(() => this.state.pause());
  }

  resume(): Promise<void> {
    return this.#mutex.run(() => this.state.resume());
  }

  /** Deletes the process; a start still in flight is cancelled first (the container goes anyway). */
  delete(): Promise<void> {
    this.state.cancelStart();
    return this.#mutex.run(() => this.state.delete());
  }

  /**
   * Records the exit (the first one counts; 128 + signal when Kill ended the process before it started)
   * and moves the process to `stopped`. Returns whether this was the recorded exit.
   */
  setExited(result: ExitResult): boolean {
    const signal = this.killedBeforeStart;
    const exit = signal === undefined ? result : { ...result, exitStatus: signalExitStatus(signal) };
    if (!this.#exit.set(exit)) return false;
    this.state.exited();
    return true;
  }

  /** Resolves with the exit; at once when the process has already exited. */
  wait(signal?: AbortSignal): Promise<ExitResult> {
    return this.#exit.wait(signal);
  }
}
