/**
 * Our implementation of the interop test service `ttrpc.interop.v1.Test`, the twin of the Go peer's
 * (test/interop/go/ttrpc-peer/server.go): same methods, same JSON control messages, so one Go client
 * scenario can run against either server and the results can be compared.
 *
 * A {@link Probe} records what the handlers saw (metadata, deadlines, aborts) for the assertions that
 * the Go client cannot observe from its side.
 */
import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  NotImplementedError,
  UnavailableError,
} from "../../src/errdefs.js";
import { type CallContext, Code, StatusError, type UnaryHandler } from "../../src/ttrpc/index.js";

/** The fully-qualified service name both peers register. */
export const TEST_SERVICE = "ttrpc.interop.v1.Test";

/** ttrpc's frame payload limit (4 MiB). */
export const MAX_MESSAGE = 4 << 20;

/** Deterministic content of Big replies (same as Go's `pattern`): byte i is (i*7+3) mod 251. */
export function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) % 251;
  return b;
}

/** What one handler invocation saw. */
export interface ProbeCall {
  method: string;
  metadata: [string, string][];
  /** ctx.deadline minus the time the handler started, in ms; undefined without a deadline. */
  deadlineInMs: number | undefined;
  tag?: string;
  /** Set when the handler's signal aborted: the reason's name and message. */
  aborted?: { name: string; message: string };
  /** Set when the handler has finished: how (the words the Go twin uses for its ctx.Err()). */
  end?: CallEnd;
}

/** How a handler ended: returned, its deadline passed, its connection or server closed, or it failed. */
export type CallEnd = "done" | "deadline" | "canceled" | "error";

function endOf(call: ProbeCall, failed: boolean): CallEnd {
  if (!failed) return "done";
  if (call.aborted?.name === "TimeoutError") return "deadline";
  if (call.aborted?.name === "AbortError") return "canceled";
  return "error";
}

/**
 * Observes the test service's handlers; emits "call" (ProbeCall) when a handler starts and "end" when
 * it has finished (with `end` set).
 */
export class Probe extends EventEmitter {
  readonly calls: ProbeCall[] = [];
  inFlight = 0;
  maxInFlight = 0;

  /** Resolves with the first recorded call matching `pred` (also ones recorded before). */
  waitFor(pred: (c: ProbeCall) => boolean, timeoutMs = 20_000): Promise<ProbeCall> {
    return this.#when("call", pred, { timeoutMs });
  }

  /** Resolves with the first call matching `pred` once it has ended (also one that ended before). */
  waitForEnd(pred: (c: ProbeCall) => boolean, timeoutMs = 20_000): Promise<ProbeCall> {
    return this.#when("end", (c) => c.end !== undefined && pred(c), { timeoutMs });
  }

  /** The Watch method's wait: for `tag`'s call to start or end; rejects with the reason if `signal` aborts. */
  watch(tag: string, event: "call" | "end", signal: AbortSignal): Promise<ProbeCall> {
    const pred = (c: ProbeCall) => c.tag === tag && (event === "call" || c.end !== undefined);
    return this.#when(event, pred, { signal });
  }

  #when(
    event: "call" | "end",
    pred: (c: ProbeCall) => boolean,
    until: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<ProbeCall> {
    const found = this.calls.find(pred);
    if (found) return Promise.resolve(found);
    const { signal } = until;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const stop = (): void => {
        clearTimeout(timer);
        this.off(event, onEvent);
        signal?.removeEventListener("abort", onAbort);
      };
      const onEvent = (c: ProbeCall): void => {
        if (!pred(c)) return;
        stop();
        resolve(c);
      };
      const onAbort = (): void => {
        stop();
        reject(signal?.reason);
      };
      const timer =
        until.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              stop();
              reject(new Error(`probe: no matching ${event === "call" ? "call" : "call end"}`));
            }, until.timeoutMs);
      this.on(event, onEvent);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

const errdefsClasses: Record<string, new (detail?: string) => StatusError> = {
  InvalidArgument: InvalidArgumentError,
  NotFound: NotFoundError,
  AlreadyExists: AlreadyExistsError,
  FailedPrecondition: FailedPreconditionError,
  Unavailable: UnavailableError,
  NotImplemented: NotImplementedError,
};

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function parse<T>(req: Uint8Array): T {
  try {
    return JSON.parse(decoder.decode(req)) as T;
  } catch (err: unknown) {
    throw new StatusError(Code.InvalidArgument, `bad JSON request: ${(err as Error).message}`);
  }
}

function reply(v: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(v));
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts (like a Go ctx.Done()). */
function sleepOrAbort(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal }).then(
    () => undefined,
    () => {
      throw signal.reason;
    },
  );
}

/** A promise rejected with the signal's reason once it aborts; dispose() stops listening. */
function untilAborted(signal: AbortSignal): { promise: Promise<never>; dispose: () => void } {
  let onAbort = () => {};
  const promise = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  promise.catch(() => {});
  return { promise, dispose: () => signal.removeEventListener("abort", onAbort) };
}

/** The handlers of {@link TEST_SERVICE}, reporting to `probe`. */
export function testServiceMethods(probe: Probe = new Probe()): Record<string, UnaryHandler> {
  const barriers = new Map<string, { waiting: number; release: Promise<void>; open: () => void }>();

  const observed =
    (method: string, handler: (req: Uint8Array, ctx: CallContext, call: ProbeCall) => Promise<Uint8Array>) =>
    async (req: Uint8Array, ctx: CallContext): Promise<Uint8Array> => {
      const call: ProbeCall = {
        method,
        metadata: [...ctx.metadata],
        deadlineInMs: ctx.deadline === undefined ? undefined : ctx.deadline - Date.now(),
      };
      const onAbort = () => {
        const r = ctx.signal.reason as { name?: unknown; message?: unknown } | undefined;
        call.aborted = { name: String(r?.name), message: String(r?.message) };
      };
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      probe.inFlight++;
      probe.maxInFlight = Math.max(probe.maxInFlight, probe.inFlight);
      let failed = true;
      try {
        const res = await handler(req, ctx, call);
        failed = false;
        return res;
      } finally {
        probe.inFlight--;
        ctx.signal.removeEventListener("abort", onAbort);
        call.end = endOf(call, failed);
        probe.emit("end", call);
      }
    };

  const record = (call: ProbeCall) => {
    probe.calls.push(call);
    probe.emit("call", call);
  };

  return {
    Echo: (req) => req,
    EchoMetadata: observed("EchoMetadata", async (_req, ctx, call) => {
      record(call);
      const out: Record<string, string[]> = {};
      for (const [k, v] of ctx.metadata) {
        out[k] ??= [];
        out[k].push(v);
      }
      return reply(out);
    }),
    Fail: observed("Fail", async (req, _ctx, call) => {
      record(call);
      const r = parse<{ code?: number; message?: string; plain?: boolean; errdefs?: string }>(req);
      const message = r.message ?? "";
      if (r.plain) throw new Error(message);
      if (r.errdefs) {
        const Class = errdefsClasses[r.errdefs];
        if (!Class) throw new StatusError(Code.InvalidArgument, `unknown errdefs class "${r.errdefs}"`);
        throw new Class(message);
      }
      throw new StatusError(r.code ?? Code.Unknown, message);
    }),
    Sleep: observed("Sleep", async (req, ctx, call) => {
      const r = parse<{ ms: number; tag?: string }>(req);
      if (r.tag !== undefined) call.tag = r.tag;
      record(call);
      await sleepOrAbort(r.ms, ctx.signal);
      return reply({ tag: r.tag });
    }),
    // Answers once the call tagged `tag` has started ("started") or ended ("ended"): what a Go client
    // waits on instead of sleeping (the Go twin follows its Sleep calls the same way).
    Watch: async (req, ctx) => {
      const r = parse<{ tag: string; event: string }>(req);
      if (r.event !== "started" && r.event !== "ended")
        throw new StatusError(Code.InvalidArgument, `unknown event "${r.event}"`);
      const call = await probe.watch(r.tag, r.event === "started" ? "call" : "end", ctx.signal);
      return reply(
        r.event === "started"
          ? { tag: r.tag, event: r.event }
          : { tag: r.tag, event: r.event, end: call.end },
      );
    },
    Barrier: observed("Barrier", async (req, ctx, call) => {
      const r = parse<{ group: string; n: number; tag?: string }>(req);
      if (r.tag !== undefined) call.tag = r.tag;
      record(call);
      let g = barriers.get(r.group);
      if (!g) {
        let open!: () => void;
        const release = new Promise<void>((resolve) => {
          open = resolve;
        });
        g = { waiting: 0, release, open };
        barriers.set(r.group, g);
      }
      if (++g.waiting === r.n) {
        barriers.delete(r.group);
        g.open();
      }
      const aborted = untilAborted(ctx.signal);
      try {
        await Promise.race([g.release, aborted.promise]);
      } finally {
        aborted.dispose();
      }
      return reply({ tag: r.tag });
    }),
    Deadline: (_req, ctx) =>
      reply({
        hasDeadline: ctx.deadline !== undefined,
        remainingMs: ctx.deadline === undefined ? 0 : ctx.deadline - Date.now(),
      }),
    Big: (req) => pattern(parse<{ size: number }>(req).size),
  };
}
