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
}

/** Observes the test service's handlers; emits "call" (ProbeCall) when a handler starts. */
export class Probe extends EventEmitter {
  readonly calls: ProbeCall[] = [];
  inFlight = 0;
  maxInFlight = 0;

  /** Resolves with the first recorded call matching `pred` (also ones recorded before). */
  waitFor(pred: (c: ProbeCall) => boolean, timeoutMs = 20_000): Promise<ProbeCall> {
    const found = this.calls.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onCall = (c: ProbeCall) => {
        if (!pred(c)) return;
        clearTimeout(timer);
        this.off("call", onCall);
        resolve(c);
      };
      const timer = setTimeout(() => {
        this.off("call", onCall);
        reject(new Error("probe: no matching call"));
      }, timeoutMs);
      this.on("call", onCall);
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
      try {
        return await handler(req, ctx, call);
      } finally {
        probe.inFlight--;
        ctx.signal.removeEventListener("abort", onAbort);
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
