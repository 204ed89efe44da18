/**
 * The per-call context handed to server handlers.
 *
 * Built for the hot path: metadata is materialised only when read, and a call without a deadline
 * shares its connection's signal, so a typical call allocates no AbortController and no timer. A
 * deadline timer exists only once a handler looks at `signal`, and is cleared when the call ends.
 */
import { Metadata } from "./metadata.js";

/** What a handler knows about the call it serves. */
export interface CallContext {
  /** Fully-qualified service name as sent by the client. */
  service: string;
  /** Method name as sent by the client. */
  method: string;
  /** Request metadata (keys lower-cased). */
  metadata: Metadata;
  /**
   * Aborted at the deadline (reason: DOMException "TimeoutError"), when the connection closes, or on
   * server close (reason: DOMException "AbortError"). Valid for the duration of the call.
   */
  signal: AbortSignal;
  /** Absolute deadline in `Date.now()` milliseconds, from the request's `timeout_nano`; undefined if none. */
  deadline: number | undefined;
}

/** A unary method implementation: request bytes in, response bytes out; throw to return a status. */
export type UnaryHandler = (request: Uint8Array, ctx: CallContext) => Promise<Uint8Array> | Uint8Array;

const NO_METADATA: [string, string][] = [];
/** setTimeout's limit (2^31-1 ms, ~24.8 days); longer deadlines re-arm the timer. */
export const MAX_TIMER_MS = 0x7fffffff;

/** The reason a call's signal carries when its deadline passes. */
export function deadlineExceeded(): DOMException {
  return new DOMException("context deadline exceeded", "TimeoutError");
}

function onDeadline(ctx: RequestContext): void {
  ctx.expire();
}

/** @internal The server's {@link CallContext} implementation. */
export class RequestContext implements CallContext {
  readonly service: string;
  readonly method: string;
  readonly deadline: number | undefined;
  readonly #connSignal: AbortSignal;
  #pairs: [string, string][];
  #metadata: Metadata | undefined;
  #signal: AbortSignal | undefined;
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    service: string,
    method: string,
    pairs: [string, string][],
    timeoutNano: bigint,
    connSignal: AbortSignal,
  ) {
    this.service = service;
    this.method = method;
    this.#pairs = pairs;
    this.#connSignal = connSignal;
    this.deadline = timeoutNano === 0n ? undefined : Date.now() + Number(timeoutNano) / 1e6;
  }

  get metadata(): Metadata {
    if (this.#metadata === undefined) {
      this.#metadata = new Metadata(this.#pairs);
      this.#pairs = NO_METADATA;
    }
    return this.#metadata;
  }

  get signal(): AbortSignal {
    if (this.#signal !== undefined) return this.#signal;
    if (this.deadline === undefined) {
      this.#signal = this.#connSignal;
      return this.#signal;
    }
    const ac = new AbortController();
    this.#controller = ac;
    this.#signal = ac.signal;
    const remaining = this.deadline - Date.now();
    if (this.#connSignal.aborted) ac.abort(this.#connSignal.reason);
    else if (remaining <= 0) ac.abort(deadlineExceeded());
    else {
      this.#timer = setTimeout(onDeadline, Math.min(Math.ceil(remaining), MAX_TIMER_MS), this);
      this.#connSignal.addEventListener("abort", this);
    }
    return this.#signal;
  }

  /** @internal Connection-abort listener. */
  handleEvent(): void {
    this.#controller?.abort(this.#connSignal.reason);
    this.dispose();
  }

  /** @internal Deadline timer callback. */
  expire(): void {
    this.#timer = undefined;
    const remaining = (this.deadline ?? 0) - Date.now();
    if (remaining > 0) {
      this.#timer = setTimeout(onDeadline, Math.min(Math.ceil(remaining), MAX_TIMER_MS), this);
      return;
    }
    this.#controller?.abort(deadlineExceeded());
    this.#connSignal.removeEventListener("abort", this);
  }

  /** @internal Releases the timer and listener once the call has finished. */
  dispose(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#controller !== undefined) this.#connSignal.removeEventListener("abort", this);
  }
}
