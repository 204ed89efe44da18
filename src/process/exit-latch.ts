import { CanceledError, DeadlineExceededError } from "../errdefs.js";
import type { ExitResult } from "./types.js";

/**
 * A process's exit, recorded once, awaited by any number of waiters.
 *
 * Wait RPCs can be issued before start, while running and after the exit; each waiter may go away (its
 * client disconnects) and is then dropped, so a long-running container does not accumulate dead waiters.
 */
export class ExitLatch {
  #result: ExitResult | undefined;
  // Guarded by the event loop: resolve callbacks of the pending waiters, removed when a waiter aborts.
  readonly #waiters = new Set<(r: ExitResult) => void>();

  /** The recorded exit, if the process has exited. */
  get result(): ExitResult | undefined {
    return this.#result;
  }

  /** Records the exit and releases every waiter. Only the first call counts; returns whether it was it. */
  set(result: ExitResult): boolean {
    if (this.#result) return false;
    this.#result = result;
    for (const resolve of this.#waiters) resolve(result);
    this.#waiters.clear();
    return true;
  }

  /** The exit, at once when recorded; rejects with `Canceled` when `signal` aborts first. */
  wait(signal?: AbortSignal): Promise<ExitResult> {
    if (this.#result) return Promise.resolve(this.#result);
    if (signal?.aborted) return Promise.reject(canceled(signal));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiters.delete(done);
        reject(canceled(signal));
      };
      const done = (r: ExitResult) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(r);
      };
      this.#waiters.add(done);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Number of pending waiters (for tests and diagnostics). */
  get waiterCount(): number {
    return this.#waiters.size;
  }
}

/** A waiter that gave up: its deadline passed (DeadlineExceeded), or its caller went away (Canceled). */
function canceled(signal: AbortSignal | undefined): CanceledError | DeadlineExceededError {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === "TimeoutError") {
    return new DeadlineExceededError("wait", { cause: reason });
  }
  return new CanceledError("wait", { cause: reason });
}
