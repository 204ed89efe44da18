import { ExitLatch } from "./exit-latch.js";
import { type InitHost, type InitState, initState } from "./init-state.js";
import { Mutex } from "./mutex.js";
import type { ExitResult, InitOps, ProcessStatus } from "./types.js";

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

  delete(): Promise<void> {
    return this.#mutex.run(() => this.state.delete());
  }

  /** Records the exit (the first one counts) and moves the process to `stopped`. */
  setExited(result: ExitResult): void {
    if (this.#exit.set(result)) this.state.exited();
  }

  /** Resolves with the exit; at once when the process has already exited. */
  wait(signal?: AbortSignal): Promise<ExitResult> {
    return this.#exit.wait(signal);
  }
}
