import { setTimeout as sleep } from "node:timers/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import type { Logger } from "../log/logger.js";
import { Code, StatusError } from "../ttrpc/status.js";
import { type EventIds, EventQueue, Importance, type QueuedEvent } from "./queue.js";
import type { EventSink, OutgoingEvent } from "./sink.js";
import { type EventOf, TOPICS, type Topic } from "./topics.js";

/** Events kept while containerd cannot take them (see `queue.ts` for what is dropped first beyond it). */
export const MAX_QUEUED_EVENTS = 10_000;
/** Encoded bytes of the events kept while containerd cannot take them. */
export const MAX_QUEUED_BYTES = 4 * 1024 * 1024;
/** Time containerd gets to take one event (Go shim: 5 s). */
export const FORWARD_TIMEOUT_MS = 5_000;
/** Attempts for an event containerd answers with a refusal retrying cannot fix (e.g. InvalidArgument). */
export const MAX_REJECTIONS = 5;
/** Backoff between attempts: doubling from the first to the cap, for as long as the shim lives. */
export const BACKOFF_FIRST_MS = 50;
export const BACKOFF_MAX_MS = 2_000;
/** After close's flush bound, how long a sink that ignores the abort is waited for. */
const CLOSE_GRACE_MS = 200;

/**
 * containerd answered and refused the event: retrying the same event cannot help. Everything else
 * (unreachable, timed out, cancelled, a publish binary that failed) is containerd being away: retried.
 */
const REFUSALS: ReadonlySet<Code> = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.PermissionDenied,
  Code.ResourceExhausted,
  Code.FailedPrecondition,
  Code.OutOfRange,
  Code.Unimplemented,
  Code.Unauthenticated,
]);

export interface PublisherOptions {
  namespace: string;
  logger: Logger;
  maxQueued?: number;
  maxQueuedBytes?: number;
  maxRejections?: number;
  timeoutMs?: number;
  backoffMaxMs?: number;
  /** Waits between attempts; resolves early when `signal` aborts (tests pass a fake clock). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

type Options = Required<Omit<PublisherOptions, "logger">> & { logger: Logger };

/**
 * Publishes task events to containerd in the order they were published, never blocking the caller.
 *
 * One queue for the whole shim, one event in flight: so `/tasks/start` always reaches containerd
 * before that task's `/tasks/exit`, and exec exits before the init exit when published in that order.
 * While containerd is unreachable (restarting, or slow on a busy host) the head event is retried with
 * capped backoff for as long as the shim lives, and new events wait behind it, bounded by count and
 * bytes (`queue.ts`: the least important go first; lifecycle events of live processes stay). The Go
 * shim (hcsshim `cmd/containerd-shim-runhcs-v1/events.go`, containerd `runtime/v2/shim/publisher.go`
 * `RemoteEventsPublisher.forwardRequest`) retries each event only a few times and then drops it.
 */
export class EventPublisher {
  readonly #sink: EventSink;
  readonly #opts: Options;
  readonly #queue: EventQueue;
  #pumping: Promise<void> | undefined;
  #closed = false;
  readonly #stop = new AbortController();
  /** containerd was found away and has not answered since (logged once each way). */
  #awaySince: number | undefined;
  /** Events dropped by the bounds since the queue last emptied (logged once when it starts, once when it ends). */
  #overflow: { dropped: number; lifecycle: number; topics: Record<string, number> } | undefined;

  constructor(sink: EventSink, opts: PublisherOptions) {
    this.#sink = sink;
    this.#opts = {
      maxQueued: MAX_QUEUED_EVENTS,
      maxQueuedBytes: MAX_QUEUED_BYTES,
      maxRejections: MAX_REJECTIONS,
      timeoutMs: FORWARD_TIMEOUT_MS,
      backoffMaxMs: BACKOFF_MAX_MS,
      sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
      ...opts,
    };
    this.#queue = new EventQueue(this.#opts.maxQueued, this.#opts.maxQueuedBytes);
  }

  /** Queues an event for delivery; returns at once. */
  publish<T extends Topic>(topic: T, fields: EventOf<T>): void {
    const log = this.#opts.logger;
    if (this.#closed) {
      log.warn({ topic }, "event published after the publisher closed: dropped");
      return;
    }
    const schema = TOPICS[topic];
    // biome-ignore lint/suspicious/noExplicitAny: the topic table pairs each topic with its schema
    const message = create(schema, fields as any);
    const dropped = this.#queue.push(
      {
        topic,
        namespace: this.#opts.namespace,
        timestamp: new Date(),
        // containerd 1.6 looks type URLs up verbatim: the bare full name, no type.googleapis.com/ prefix.
        event: create(AnySchema, { typeUrl: schema.typeName, value: toBinary(schema, message) }),
      },
      fields as EventIds,
    );
    if (dropped.length > 0) this.#noteDropped(dropped);
    this.#pumping ??= this.#pump().finally(() => {
      this.#pumping = undefined;
    });
  }

  /** Events not yet delivered. */
  get pending(): number {
    return this.#queue.count;
  }

  /** Encoded bytes of the events not yet delivered. */
  get pendingBytes(): number {
    return this.#queue.bytes;
  }

  /** Waits until every queued event was delivered or dropped, at most `timeoutMs`. */
  async flush(timeoutMs: number): Promise<boolean> {
    const cancel = new AbortController();
    const timeout = sleep(timeoutMs, false, { signal: cancel.signal }).catch(() => false);
    try {
      while (this.#pumping) {
        if ((await Promise.race([this.#pumping.then(() => true), timeout])) === false) return false;
      }
      return true;
    } finally {
      cancel.abort();
    }
  }

  /**
   * Flushes (bounded), then stops: later events are dropped, retries end, the connection closes. Returns
   * within `timeoutMs` plus a short grace even when the sink never answers and ignores the abort.
   */
  async close(timeoutMs = 2_000): Promise<void> {
    this.#closed = true;
    const flushed = await this.flush(timeoutMs);
    this.#stop.abort();
    const pumping = this.#pumping;
    if (pumping) {
      const cancel = new AbortController();
      await Promise.race([
        pumping,
        sleep(CLOSE_GRACE_MS, undefined, { signal: cancel.signal }).catch(() => {}),
      ]);
      cancel.abort();
    }
    const left = this.#queue.clear();
    if (!flushed || left.length > 0) {
      this.#opts.logger.error(
        { pending: left.length, topics: countTopics(left) },
        "shim stopping with undelivered events: dropped",
      );
    }
    this.#sink.close();
  }

  async #pump(): Promise<void> {
    for (let q = this.#queue.take(); q; q = this.#queue.take()) {
      if (this.#stop.signal.aborted) {
        this.#queue.done(q);
        return;
      }
      await this.#deliver(q.event);
      this.#queue.done(q);
    }
    this.#endOverflow();
  }

  async #deliver(e: OutgoingEvent): Promise<void> {
    const { logger, maxRejections, timeoutMs } = this.#opts;
    let refusals = 0;
    for (let attempt = 1; !this.#stop.signal.aborted; attempt++) {
      const attemptSignal = new AbortController();
      const onStop = () => attemptSignal.abort(this.#stop.signal.reason);
      this.#stop.signal.addEventListener("abort", onStop, { once: true });
      const timer = setTimeout(
        () => attemptSignal.abort(new DOMException("timed out", "TimeoutError")),
        timeoutMs,
      );
      try {
        await this.#sink.send(e, attemptSignal.signal);
        this.#back();
        logger.debug({ topic: e.topic }, "event published");
        return;
      } catch (err: unknown) {
        if (err instanceof StatusError && REFUSALS.has(err.code)) {
          this.#back();
          if (++refusals >= maxRejections) {
            logger.error({ err, topic: e.topic, attempts: attempt }, "containerd refused the event: dropped");
            return;
          }
          logger.warn({ err, topic: e.topic, attempt }, "containerd refused the event: retrying");
        } else {
          this.#away(err, e);
        }
      } finally {
        clearTimeout(timer);
        this.#stop.signal.removeEventListener("abort", onStop);
      }
      await this.#opts.sleep(this.#backoff(attempt), this.#stop.signal);
    }
  }

  #backoff(attempt: number): number {
    return Math.min(BACKOFF_FIRST_MS * 2 ** Math.min(attempt - 1, 30), this.#opts.backoffMaxMs);
  }

  /** containerd away is an expected condition, not a bug: its reason is logged as text, without a stack. */
  #away(err: unknown, e: OutgoingEvent): void {
    const { logger } = this.#opts;
    const reason = err instanceof Error ? err.message : String(err);
    if (this.#awaySince !== undefined) {
      logger.debug({ reason, topic: e.topic }, "event publish failed: retrying");
      return;
    }
    this.#awaySince = Date.now();
    logger.warn(
      { reason, topic: e.topic, maxEvents: this.#queue.maxEvents, maxBytes: this.#queue.maxBytes },
      "containerd does not take events: keeping them in order and retrying until it does",
    );
  }

  #back(): void {
    if (this.#awaySince === undefined) return;
    this.#opts.logger.info(
      { awayMs: Date.now() - this.#awaySince, pending: this.#queue.count },
      "containerd takes events again: delivering the kept ones",
    );
    this.#awaySince = undefined;
  }

  #noteDropped(dropped: QueuedEvent[]): void {
    let o = this.#overflow;
    if (!o) {
      o = this.#overflow = { dropped: 0, lifecycle: 0, topics: {} };
      this.#opts.logger.error(
        { maxEvents: this.#queue.maxEvents, maxBytes: this.#queue.maxBytes, first: dropped[0]?.event.topic },
        "event queue full: dropping the least important events (logged once until the queue empties)",
      );
    }
    for (const q of dropped) {
      o.dropped++;
      if (q.importance === Importance.Lifecycle) o.lifecycle++;
      o.topics[q.event.topic] = (o.topics[q.event.topic] ?? 0) + 1;
    }
  }

  #endOverflow(): void {
    const o = this.#overflow;
    if (!o) return;
    this.#overflow = undefined;
    this.#opts.logger.warn(
      { dropped: o.dropped, liveLifecycle: o.lifecycle, topics: o.topics },
      "event queue emptied: events were dropped while it was full",
    );
  }
}

function countTopics(qs: QueuedEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const q of qs) counts[q.event.topic] = (counts[q.event.topic] ?? 0) + 1;
  return counts;
}
