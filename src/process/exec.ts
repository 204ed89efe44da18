import { type ExecHost, type ExecState, execState } from "./exec-state.js";
import { ExitLatch } from "./exit-latch.js";
import { Mutex } from "./mutex.js";
import type { ExecOps, ExitResult, ProcessStatus } from "./types.js";

/** An extra process in the container (Exec RPC); see {@link InitProcess} for the pattern. */
export class ExecProcess implements ExecHost {
  readonly id: string;
  readonly ops: ExecOps;
  state: ExecState;
  #pid = 0;
  readonly #exit = new ExitLatch();
  readonly #mutex = new Mutex();

  constructor(id: string, ops: ExecOps) {
    this.id = id;
    this.ops = ops;
    this.state = execState("created", this);
  }

  /** The pid runhcs reported, 0 before the exec has started. */
  get pid(): number {
    return this.#pid;
  }

  get status(): ProcessStatus {
    return this.state.status;
  }

  get exitResult(): ExitResult | undefined {
    return this.#exit.result;
  }

  start(): Promise<number> {
    return this.#mutex.run(async () => {
      this.#pid = await this.state.start();
      return this.#pid;
    });
  }

  /** Kill; a created exec whose start is in flight is killed once that start has settled. */
  kill(signal: number): Promise<void> {
    if (this.state.status === "created") return this.#mutex.run(() => this.state.kill(signal));
    return this.state.kill(signal);
  }

  delete(): Promise<void> {
    return this.#mutex.run(() => this.state.delete());
  }

  /** Records the exit (the first one counts) and moves the exec on; returns whether this one counted. */
  setExited(result: ExitResult): boolean {
    if (!this.#exit.set(result)) return false;
    this.state.exited();
    return true;
  }

  wait(signal?: AbortSignal): Promise<ExitResult> {
    return this.#exit.wait(signal);
  }
}
