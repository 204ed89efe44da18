/**
 * The events waiting for containerd, in publish order, bounded by count and by bytes.
 *
 * When a bound is hit the least important waiting event is dropped, in this order:
 *  0. `/tasks/paused`, `/tasks/resumed`, `/tasks/checkpointed` (state notices a later event supersedes),
 *  1. `/tasks/oom`,
 *  2. lifecycle events of processes already deleted (their `/tasks/delete` is queued: containerd itself
 *     called Delete, so it knows how they ended), oldest deletion first,
 *  3. lifecycle events of live processes (`/tasks/create`, `start`, `exec-added`, `exec-started`, `exit`):
 *     dropped only when nothing else is left to drop, i.e. when more live processes than the count bound
 *     allows have undelivered events (a task with thousands of running execs while containerd is away).
 * Within a class the oldest goes first. The event being delivered is never dropped.
 */
import { Fifo } from "./fifo.js";
import type { OutgoingEvent } from "./sink.js";

export enum Importance {
  Notice = 0,
  Oom = 1,
  History = 2,
  Lifecycle = 3,
}

const NOTICES: ReadonlySet<string> = new Set(["/tasks/paused", "/tasks/resumed", "/tasks/checkpointed"]);
const LIFECYCLE: ReadonlySet<string> = new Set([
  "/tasks/create",
  "/tasks/start",
  "/tasks/exec-added",
  "/tasks/exec-started",
  "/tasks/exit",
  "/tasks/delete",
]);

export interface QueuedEvent {
  readonly event: OutgoingEvent;
  /** Encoded size: the event's bytes, its type URL, topic and namespace. */
  readonly bytes: number;
  importance: Importance;
  state: "queued" | "inflight" | "gone";
  /** Container and process (the container id for the init) of a lifecycle event. */
  readonly container?: string;
  readonly process?: string;
}

/** The ids every task event carries (containerd's TaskCreate … TaskDelete fields). */
export interface EventIds {
  containerId?: string;
  /** The process of `/tasks/exit` and `/tasks/delete` (the container id for the init). */
  id?: string;
  /** The exec of `/tasks/exec-added` and `/tasks/exec-started`. */
  execId?: string;
}

/** The process a lifecycle event is about: the container id stands for the init. */
function processOf(ids: EventIds): { container: string; process: string } {
  const container = ids.containerId ?? "";
  return { container, process: ids.execId || ids.id || container };
}

export class EventQueue {
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly #order: Fifo<QueuedEvent>;
  /** Droppable events by importance (Notice, Oom, History); lifecycle events of live processes are in #order only. */
  readonly #droppable: Fifo<QueuedEvent>[];
  /** Undelivered lifecycle events of live processes: container → process → events. */
  readonly #live = new Map<string, Map<string, QueuedEvent[]>>();
  #count = 0;
  #bytes = 0;

  constructor(maxEvents: number, maxBytes: number) {
    this.maxEvents = maxEvents;
    this.maxBytes = maxBytes;
    const stale = (q: QueuedEvent) => q.state === "gone";
    this.#order = new Fifo(stale, maxEvents);
    this.#droppable = [new Fifo(stale, maxEvents), new Fifo(stale, maxEvents), new Fifo(stale, maxEvents)];
  }

  get count(): number {
    return this.#count;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Queues `event`; returns the events dropped to stay within the bounds (possibly `event` itself). */
  push(event: OutgoingEvent, ids: EventIds): QueuedEvent[] {
    const bytes =
      event.event.value.byteLength + event.event.typeUrl.length + event.topic.length + event.namespace.length;
    let q: QueuedEvent;
    if (LIFECYCLE.has(event.topic)) {
      q = { event, bytes, importance: Importance.Lifecycle, state: "queued", ...processOf(ids) };
    } else {
      q = {
        event,
        bytes,
        importance: NOTICES.has(event.topic) ? Importance.Notice : Importance.Oom,
        state: "queued",
      };
    }
    this.#order.push(q);
    this.#count++;
    this.#bytes += q.bytes;
    if (q.importance === Importance.Lifecycle) this.#track(q);
    else this.#droppable[q.importance]?.push(q);
    const dropped: QueuedEvent[] = [];
    while (this.#count > this.maxEvents || this.#bytes > this.maxBytes) {
      const victim = this.#victim();
      if (!victim) break;
      this.#remove(victim);
      dropped.push(victim);
    }
    return dropped;
  }

  /** The oldest waiting event, now in flight (it cannot be dropped until `done`). */
  take(): QueuedEvent | undefined {
    const q = this.#order.firstUsable(() => true);
    if (q) q.state = "inflight";
    return q;
  }

  /** The event in flight was delivered or given up. */
  done(q: QueuedEvent): void {
    if (q.state !== "gone") this.#remove(q);
  }

  /** Drops everything; returns what was waiting. */
  clear(): QueuedEvent[] {
    const all: QueuedEvent[] = [];
    for (let q = this.#order.shift(); q; q = this.#order.shift()) {
      if (q.state !== "gone") all.push(q);
      q.state = "gone";
    }
    for (const f of this.#droppable) f.clear();
    this.#live.clear();
    this.#count = 0;
    this.#bytes = 0;
    return all;
  }

  #track(q: QueuedEvent): void {
    const container = q.container as string;
    const proc = q.process as string;
    let procs = this.#live.get(container);
    if (!procs) {
      procs = new Map();
      this.#live.set(container, procs);
    }
    const events = procs.get(proc);
    if (events) events.push(q);
    else procs.set(proc, [q]);
    if (q.event.topic !== "/tasks/delete") return;
    // Deleted: this process's events (all the container's when it is the init) become history.
    const deleted = proc === container ? [...procs.keys()] : [proc];
    for (const p of deleted) {
      for (const e of procs.get(p) ?? []) {
        if (e.state === "gone") continue;
        e.importance = Importance.History;
        this.#droppable[Importance.History]?.push(e);
      }
      procs.delete(p);
    }
    if (procs.size === 0) this.#live.delete(container);
  }

  #victim(): QueuedEvent | undefined {
    const notInFlight = (q: QueuedEvent) => q.state === "queued";
    for (const f of this.#droppable) {
      const q = f.firstUsable(notInFlight);
      if (q) return q;
    }
    return this.#order.firstUsable(notInFlight);
  }

  #remove(q: QueuedEvent): void {
    q.state = "gone";
    this.#count--;
    this.#bytes -= q.bytes;
    if (q.importance !== Importance.Lifecycle) return;
    const procs = this.#live.get(q.container as string);
    const events = procs?.get(q.process as string);
    if (!procs || !events) return;
    const i = events.indexOf(q);
    if (i >= 0) events.splice(i, 1);
    if (events.length === 0) procs.delete(q.process as string);
    if (procs.size === 0) this.#live.delete(q.container as string);
  }
}
