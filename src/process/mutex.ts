/**
 * Serializes the async operations of one process (start, kill, pause, delete, ...), so a slow runhcs
 * call for one process never blocks calls for another, and two calls for the same process never
 * interleave. Exits are not serialized through it: they are applied synchronously by the state machine.
 */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every previously queued call has settled. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
