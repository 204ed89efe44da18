import type { ExecOps, InitOps } from "../../src/process/types.js";

/** A promise with its resolve/reject exposed, to hold a fake operation in flight. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Fake side effects for the process layer: records each call; an operation completes at once unless a
 * test holds it with `hold(op)`, or fails when given `fail(op, err)`.
 */
class FakeOps {
  readonly calls: string[] = [];
  readonly #held = new Map<string, Deferred<void>>();
  readonly #failures = new Map<string, unknown>();

  hold(op: string): Deferred<void> {
    const d = deferred();
    this.#held.set(op, d);
    return d;
  }

  fail(op: string, err: unknown): void {
    this.#failures.set(op, err);
  }

  protected async record(op: string, detail = ""): Promise<void> {
    this.calls.push(detail ? `${op} ${detail}` : op);
    const failure = this.#failures.get(op);
    if (failure !== undefined) throw failure;
    const held = this.#held.get(op);
    if (held) {
      this.#held.delete(op);
      await held.promise;
    }
  }
}

export class FakeInitOps extends FakeOps implements InitOps {
  /** The cancellation the last start was given. */
  startSignal: AbortSignal | undefined;
  start(signal: AbortSignal): Promise<void> {
    this.startSignal = signal;
    return this.record("start");
  }
  kill(signal: number, all: boolean): Promise<void> {
    return this.record("kill", `${signal}${all ? " all" : ""}`);
  }
  pause(): Promise<void> {
    return this.record("pause");
  }
  resume(): Promise<void> {
    return this.record("resume");
  }
  delete(): Promise<void> {
    return this.record("delete");
  }
  destroy(): Promise<void> {
    return this.record("destroy");
  }
}

export class FakeExecOps extends FakeOps implements ExecOps {
  pid = 4242;
  async start(): Promise<number> {
    await this.record("start");
    return this.pid;
  }
  kill(signal: number): Promise<void> {
    return this.record("kill", String(signal));
  }
  delete(): Promise<void> {
    return this.record("delete");
  }
}
