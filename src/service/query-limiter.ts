/**
 * Bounds the runhcs queries a shim runs at once (Pids → `runhcs ps`): 200 concurrent Pids calls would
 * otherwise start 200 runhcs processes at once and starve everything else of CPU. Queries beyond the
 * concurrency wait in a bounded FIFO; beyond that they fail at once. Lifecycle calls (create, start, exec,
 * kill, delete, pause, resume) never go through it, so queries cannot starve them, and State, Connect and
 * Wait never call runhcs at all.
 */
import { CanceledError, UnavailableError } from "../errdefs.js";

/** Default bounds: runhcs queries running at once, and waiting. */
export const QUERY_CONCURRENCY = 4;
export const QUERY_MAX_WAITING = 256;

export class QueryLimiter {
  readonly #concurrency: number;
  readonly #maxWaiting: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(concurrency = QUERY_CONCURRENCY, maxWaiting = QUERY_MAX_WAITING) {
    this.#concurrency = concurrency;
    this.#maxWaiting = maxWaiting;
  }

  /** Queries running now (for tests and diagnostics). */
  get running(): number {
    return this.#running;
  }

  /**
   * Runs `query` when a slot is free; a cancelled caller leaves the queue without running it.
   *
   * A freed slot passes on in the next turn of the event loop, not in this one: callers whose deadlines
   * fall due together (a burst of Pids with one timeout) are aborted one timer after the other, and a
   * slot passed on at once would start a `runhcs ps` for the next waiter just before its own timer aborts
   * it, slot after slot, a spawn each, for seconds. Passed on after the timers due now, it reaches a
   * caller still waiting.
   */
  async run<T>(what: string, query: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.#running >= this.#concurrency) await this.#slot(what, signal);
    else this.#running++;
    try {
      return await query();
    } finally {
      setImmediate(() => this.#release());
    }
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next)
      next(); // the slot passes on: #running stays
    else this.#running--;
  }

  #slot(what: string, signal: AbortSignal | undefined): Promise<void> {
    if (this.#waiting.length >= this.#maxWaiting) {
      return Promise.reject(
        new UnavailableError(`${what}: ${this.#maxWaiting} runhcs queries already waiting`),
      );
    }
    if (signal?.aborted) return Promise.reject(new CanceledError(what, { cause: signal.reason }));
    return new Promise<void>((resolve, reject) => {
      const granted = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const i = this.#waiting.indexOf(granted);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(new CanceledError(what, { cause: signal?.reason }));
      };
      this.#waiting.push(granted);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
