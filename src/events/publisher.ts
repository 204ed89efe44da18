import { setTimeout as sleep } from "node:timers/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import type { Logger } from "../log/logger.js";
import type { EventSink, OutgoingEvent } from "./sink.js";
import { type EventOf, TOPICS, type Topic } from "./topics.js";

/** Events held while containerd cannot take them (Go shim: 2048); beyond it new events are dropped and logged. */
export const MAX_QUEUED_EVENTS = 2048;
/** Time containerd gets to take one event (Go shim: 5 s). */
export const FORWARD_TIMEOUT_MS = 5_000;
/** Delivery attempts per event before it is dropped and logged: with the backoff below, about 30 s. */
export const MAX_ATTEMPTS = 20;
const BACKOFF_FIRST_MS = 50;
const BACKOFF_MAX_MS = 2_000;

export interface PublisherOptions {
  namespace: string;
  logger: Logger;
  maxQueued?: number;
  maxAttempts?: number;
  timeoutMs?: number;
}

/**
 * Publishes task events to containerd in the order they were published, never blocking the caller.
 *
 * One queue for the whole shim, one event in flight: so `/tasks/start` always reaches containerd
 * before that task's `/tasks/exit`, and exec exits before the init exit when published in that order.
 * While containerd is unreachable (restarting) the head event is retried with backoff.
 */
export class EventPublisher {
  readonly #sink: EventSink;
  readonly #opts: Required<Omit<PublisherOptions, "logger">> & { logger: Logger };
  // Guarded by the event loop; only #pump removes from it.
  readonly #queue: OutgoingEvent[] = [];
  #pumping: Promise<void> | undefined;
  #closed = false;
  readonly #stop = new AbortController();

  constructor(sink: EventSink, opts: PublisherOptions) {
    this.#sink = sink;
    this.#opts = {
      maxQueued: MAX_QUEUED_EVENTS,
      maxAttempts: MAX_ATTEMPTS,
      timeoutMs: FORWARD_TIMEOUT_MS,
      ...opts,
    };
  }

  /** Queues an event for delivery; returns at once. */
  publish<T extends Topic>(topic: T, fields: EventOf<T>): void {
    const log = this.#opts.logger;
    if (this.#closed) {
      log.warn({ topic }, "event published after the publisher closed: dropped");
      return;
    }
    if (this.#queue.length >= this.#opts.maxQueued) {
      log.error({ topic, queued: this.#queue.length }, "event queue full: event dropped");
      return;
    }
    const schema = TOPICS[topic];
    // biome-ignore lint/suspicious/noExplicitAny: the topic table pairs each topic with its schema
    const message = create(schema, fields as any);
    this.#queue.push({
      topic,
      namespace: this.#opts.namespace,
      timestamp: new Date(),
      // containerd 1.6 looks type URLs up verbatim: the bare full name, no type.googleapis.com/ prefix.
      event: create(AnySchema, { typeUrl: schema.typeName, value: toBinary(schema, message) }),
    });
    this.#pumping ??= this.#pump().finally(() => {
      this.#pumping = undefined;
    });
  }

  /** Events not yet delivered. */
  get pending(): number {
    return this.#queue.length;
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

  /** Flushes (bounded), then stops: later events are dropped, retries end, the connection closes. */
  async close(timeoutMs = 2_000): Promise<void> {
    this.#closed = true;
    const flushed = await this.flush(timeoutMs);
    if (!flushed) {
      this.#opts.logger.warn({ pending: this.#queue.length }, "closing with undelivered events");
    }
    this.#stop.abort();
    await this.#pumping;
    this.#sink.close();
  }

  async #pump(): Promise<void> {
    for (let head = this.#queue[0]; head; head = this.#queue[0]) {
      if (this.#stop.signal.aborted) {
        this.#opts.logger.error(
          { dropped: this.#queue.length },
          "publisher closed: undelivered events dropped",
        );
        this.#queue.length = 0;
        return;
      }
      await this.#deliver(head);
      this.#queue.shift();
    }
  }

  async #deliver(e: OutgoingEvent): Promise<void> {
    const { logger, maxAttempts, timeoutMs } = this.#opts;
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
        logger.debug({ topic: e.topic }, "event published");
        return;
      } catch (err: unknown) {
        if (attempt >= maxAttempts) {
          logger.error({ err, topic: e.topic, attempts: attempt }, "event could not be published: dropped");
          return;
        }
        logger.warn({ err, topic: e.topic, attempt }, "event publish failed: retrying");
        const backoff = Math.min(BACKOFF_FIRST_MS * 2 ** (attempt - 1), BACKOFF_MAX_MS);
        await sleep(backoff, undefined, { signal: this.#stop.signal }).catch(() => undefined);
      } finally {
        clearTimeout(timer);
        this.#stop.signal.removeEventListener("abort", onStop);
      }
    }
  }
}
