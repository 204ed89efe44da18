import assert from "node:assert/strict";
import { createHook } from "node:async_hooks";
import { fromBinary } from "@bufbuild/protobuf";
import { pino } from "pino";
import { EventPublisher } from "../../../src/events/publisher.js";
import type { EventSink, OutgoingEvent } from "../../../src/events/sink.js";
import { TOPICS, type Topic } from "../../../src/events/topics.js";
import { TaskExitSchema } from "../../../src/gen/containerd/events/task_pb.js";
import { silentLogger } from "../../../src/log/logger.js";
import { Code, StatusError } from "../../../src/ttrpc/status.js";

/** A sink that records events and fails the first `failures` sends. */
class RecordingSink implements EventSink {
  readonly sent: OutgoingEvent[] = [];
  attempts = 0;
  closed = false;
  constructor(public failures = 0) {}
  async send(e: OutgoingEvent): Promise<void> {
    this.attempts++;
    if (this.failures > 0) {
      this.failures--;
      throw new Error("containerd unreachable");
    }
    this.sent.push(e);
  }
  close(): void {
    this.closed = true;
  }
}

function capturingLogger() {
  const lines: Array<{ msg: string; level: number }> = [];
  const logger = pino({ level: "debug" }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}

describe("EventPublisher", () => {
  it("delivers events in publish order with the bare type URL and the namespace", async () => {
    const sink = new RecordingSink();
    const pub = new EventPublisher(sink, { namespace: "ns1", logger: silentLogger });
    pub.publish("/tasks/start", { containerId: "c", pid: 10 });
    pub.publish("/tasks/exit", { containerId: "c", id: "c", pid: 10, exitStatus: 3 });
    await pub.close();
    assert.deepEqual(
      sink.sent.map((e) => [e.topic, e.event.typeUrl, e.namespace]),
      [
        ["/tasks/start", "containerd.events.TaskStart", "ns1"],
        ["/tasks/exit", "containerd.events.TaskExit", "ns1"],
      ],
    );
    const exit = fromBinary(TaskExitSchema, sink.sent[1]!.event.value);
    assert.equal(exit.exitStatus, 3);
    assert.equal(sink.closed, true);
  });

  it("retries while containerd is unreachable, keeping the order", async () => {
    const sink = new RecordingSink(3);
    const pub = new EventPublisher(sink, { namespace: "n", logger: silentLogger });
    for (let i = 0; i < 5; i++) pub.publish("/tasks/exec-added", { containerId: "c", execId: `e${i}` });
    assert.equal(await pub.flush(10_000), true);
    assert.equal(sink.attempts, 8);
    assert.deepEqual(
      sink.sent.map((e) => e.topic),
      Array(5).fill("/tasks/exec-added"),
    );
    await pub.close();
  });

  it("drops an event containerd refuses after the last attempt, logs it, and goes on", async () => {
    let refusals = 2;
    const sink = new RecordingSink();
    const refusing: EventSink = {
      send: (e) => {
        if (refusals-- > 0) return Promise.reject(new StatusError(Code.InvalidArgument, "bad envelope"));
        return sink.send(e);
      },
      close: () => sink.close(),
    };
    const { logger, lines } = capturingLogger();
    const pub = new EventPublisher(refusing, { namespace: "n", logger, maxRejections: 2 });
    pub.publish("/tasks/paused", { containerId: "c" });
    pub.publish("/tasks/resumed", { containerId: "c" });
    await pub.close();
    assert.deepEqual(
      sink.sent.map((e) => e.topic),
      ["/tasks/resumed"],
    );
    assert.ok(lines.some((l) => l.msg.includes("refused the event: dropped") && l.level === 50));
  });

  it("bounds the queue and logs the overflow", async () => {
    const sink = new RecordingSink(1_000_000);
    const { logger, lines } = capturingLogger();
    const pub = new EventPublisher(sink, { namespace: "n", logger, maxQueued: 3 });
    for (let i = 0; i < 5; i++) pub.publish("/tasks/oom", { containerId: `c${i}` });
    assert.equal(pub.pending, 3);
    // Logged once, not once per dropped event.
    assert.equal(lines.filter((l) => l.msg.includes("queue full")).length, 1);
    await pub.close(50);
    assert.equal(pub.pending, 0);
    assert.ok(lines.some((l) => l.msg.includes("undelivered events: dropped")));
  });

  it("publish never blocks the caller and close leaves no timer behind", async () => {
    // Track exactly the timers created while the publisher works (mocha has timers of its own).
    const live = new Set<number>();
    const hook = createHook({
      init: (id, type) => {
        // Only the publisher's own timers (its stack passes through src/events).
        if (type === "Timeout" && new Error().stack?.includes("/src/events/")) live.add(id);
      },
      destroy: (id) => live.delete(id),
    }).enable();
    try {
      const sink = new RecordingSink(1_000_000);
      const pub = new EventPublisher(sink, { namespace: "n", logger: silentLogger });
      for (let i = 0; i < 1000; i++) pub.publish("/tasks/oom", { containerId: "c" });
      // Every event is queued synchronously: none was delivered, the caller did not wait for containerd.
      assert.equal(pub.pending, 1000);
      await pub.close(20);
      await new Promise(setImmediate);
      assert.ok(sink.attempts > 0);
      // A flush that ends early must not leave its (long) bound behind.
      const working = new EventPublisher(new RecordingSink(), { namespace: "n", logger: silentLogger });
      working.publish("/tasks/oom", { containerId: "c" });
      await working.close(60_000);
      await new Promise(setImmediate);
      assert.equal(live.size, 0, `timers left: ${live.size}`);
    } finally {
      hook.disable();
    }
  });

  it("drops events published after close", async () => {
    const sink = new RecordingSink();
    const pub = new EventPublisher(sink, { namespace: "n", logger: silentLogger });
    await pub.close();
    pub.publish("/tasks/oom", { containerId: "c" });
    assert.equal(pub.pending, 0);
    assert.equal(sink.attempts, 0);
  });
});

/** A sink that is down (rejects as an unreachable containerd does) while `down()` says so. */
class OutageSink implements EventSink {
  readonly sent: OutgoingEvent[] = [];
  attempts = 0;
  onAttempt: () => void = () => {};
  constructor(public down: () => boolean) {}
  async send(e: OutgoingEvent): Promise<void> {
    this.attempts++;
    this.onAttempt();
    if (this.down()) throw new StatusError(Code.Unavailable, "ttrpc: dial containerd: ECONNREFUSED");
    this.sent.push(e);
  }
  close(): void {}
}

/** Fake time: the publisher's backoff advances `now` instead of waiting. */
function fakeClock() {
  const clock = {
    now: 0,
    sleep: async (ms: number): Promise<void> => {
      clock.now += ms;
      await new Promise(setImmediate);
    },
  };
  return clock;
}

/** What identifies one published event in these tests: topic and process. */
function label(e: OutgoingEvent): string {
  const schema = TOPICS[e.topic as Topic];
  const m = fromBinary(schema, e.event.value) as { containerId: string; id?: string; execId?: string };
  return `${e.topic} ${m.containerId}/${m.execId || m.id || ""}`;
}

/** Publishes a whole exec cycle (added, started, exit, delete) of exec `execId` in task `c`. */
function execCycle(pub: EventPublisher, c: string, execId: string): void {
  pub.publish("/tasks/exec-added", { containerId: c, execId });
  pub.publish("/tasks/exec-started", { containerId: c, execId, pid: 7 });
  pub.publish("/tasks/exit", { containerId: c, id: execId, pid: 7, exitStatus: 0 });
  pub.publish("/tasks/delete", { containerId: c, id: execId, pid: 7, exitStatus: 0 });
}

describe("EventPublisher while containerd is away", function () {
  this.timeout(20_000);

  it("a sink that fails for 60 s (fake time) then recovers receives every event in order", async () => {
    const clock = fakeClock();
    const sink = new OutageSink(() => clock.now < 60_000);
    const opts = { namespace: "n", logger: silentLogger, sleep: clock.sleep };
    const pub = new EventPublisher(sink, opts);
    const want: string[] = [];
    const publish = (i: number) => {
      pub.publish("/tasks/exec-added", { containerId: "c", execId: `e${i}` });
      want.push(`/tasks/exec-added c/e${i}`);
    };
    pub.publish("/tasks/start", { containerId: "c", pid: 10 });
    want.push("/tasks/start c/");
    for (let i = 0; i < 5; i++) publish(i);
    // More events while containerd is away: they queue behind the ones already waiting.
    let n = 5;
    sink.onAttempt = () => {
      if (n < 15) publish(n++);
    };
    pub.publish("/tasks/exit", { containerId: "c", id: "c", pid: 10, exitStatus: 3 });
    want.push("/tasks/exit c/c");
    assert.equal(await pub.flush(10_000), true, "every event delivered");
    assert.ok(clock.now >= 60_000, `containerd was away for ${clock.now} ms of fake time`);
    assert.deepEqual(sink.sent.map(label), want);
    await pub.close();
  });

  it("bounds hold under 100k events and the lifecycle events of live tasks survive them", async () => {
    const clock = fakeClock();
    let down = true;
    const sink = new OutageSink(() => down);
    const { logger, lines } = capturingLogger();
    const maxQueued = 1000;
    const maxQueuedBytes = 48 * 1024;
    const opts = { namespace: "n", logger, sleep: clock.sleep, maxQueued, maxQueuedBytes };
    const pub = new EventPublisher(sink, opts);
    pub.publish("/tasks/create", { containerId: "live", bundle: "/b/live", pid: 1 });
    pub.publish("/tasks/start", { containerId: "live", pid: 1 });
    pub.publish("/tasks/exec-added", { containerId: "live", execId: "long" });
    pub.publish("/tasks/exec-started", { containerId: "live", execId: "long", pid: 2 });
    let published = 4;
    for (let i = 0; published < 100_000; i++) {
      execCycle(pub, "live", `x${i}`);
      pub.publish("/tasks/paused", { containerId: "live" });
      pub.publish("/tasks/resumed", { containerId: "live" });
      pub.publish("/tasks/oom", { containerId: "live" });
      published += 7;
      const { pending, pendingBytes } = pub as unknown as { pending: number; pendingBytes: number };
      assert.ok(pending <= maxQueued, `${pending} events queued`);
      assert.ok(pendingBytes <= maxQueuedBytes, `${pendingBytes} bytes queued`);
      if (i % 500 === 0) await new Promise(setImmediate);
    }
    pub.publish("/tasks/exit", { containerId: "live", id: "long", pid: 2, exitStatus: 0 });
    pub.publish("/tasks/exit", { containerId: "live", id: "live", pid: 1, exitStatus: 0 });
    const overflowLogs = lines.filter((l) => /dropp/.test(l.msg));
    assert.equal(overflowLogs.length, 1, `overflow logged once, not ${overflowLogs.length} times`);
    down = false;
    assert.equal(await pub.flush(10_000), true);
    const got = sink.sent.map(label);
    assert.ok(got.length <= maxQueued + 1, `${got.length} delivered`);
    // Every lifecycle event of the live task and its live exec, in order.
    assert.deepEqual(
      got.filter((l) => !/paused|resumed|oom/.test(l) && !/\/x\d+$/.test(l)),
      [
        "/tasks/create live/",
        "/tasks/start live/",
        "/tasks/exec-added live/long",
        "/tasks/exec-started live/long",
        "/tasks/exit live/long",
        "/tasks/exit live/live",
      ],
    );
    // What was delivered is in publish order (a subsequence of what was published).
    const order = sink.sent
      .map(label)
      .map((l) => /\/x(\d+)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => Number(m[1]));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
    await pub.close();
  });

  it("when the bound is hit, the least important events go first; live lifecycle events stay", async () => {
    let down = true;
    const sink = new OutageSink(() => down);
    const clock = fakeClock();
    const opts = { namespace: "n", logger: silentLogger, sleep: clock.sleep, maxQueued: 8 };
    const pub = new EventPublisher(sink, opts);
    pub.publish("/tasks/create", { containerId: "c", pid: 1 });
    pub.publish("/tasks/start", { containerId: "c", pid: 1 });
    execCycle(pub, "c", "gone"); // a deleted exec: its events are history
    pub.publish("/tasks/exec-added", { containerId: "c", execId: "e" });
    pub.publish("/tasks/oom", { containerId: "c" });
    pub.publish("/tasks/paused", { containerId: "c" });
    pub.publish("/tasks/exec-started", { containerId: "c", execId: "e", pid: 2 });
    pub.publish("/tasks/exit", { containerId: "c", id: "e", pid: 2, exitStatus: 1 });
    pub.publish("/tasks/resumed", { containerId: "c" });
    pub.publish("/tasks/exit", { containerId: "c", id: "c", pid: 1, exitStatus: 0 });
    assert.ok(pub.pending <= 8);
    down = false;
    assert.equal(await pub.flush(10_000), true);
    // Dropped, least important first: paused and resumed, then the OOM, then the deleted exec's oldest.
    assert.deepEqual(sink.sent.map(label), [
      "/tasks/create c/",
      "/tasks/start c/",
      "/tasks/exit c/gone",
      "/tasks/delete c/gone",
      "/tasks/exec-added c/e",
      "/tasks/exec-started c/e",
      "/tasks/exit c/e",
      "/tasks/exit c/c",
    ]);
    await pub.close();
  });
});

describe("EventPublisher on the way out", () => {
  it("close returns within its bound when the sink never answers and ignores the abort", async () => {
    let attempts = 0;
    const stuck: EventSink = {
      send: () => {
        attempts++;
        return new Promise<void>(() => {}); // containerd accepted the connection and never answers
      },
      close: () => {},
    };
    const { logger, lines } = capturingLogger();
    const pub = new EventPublisher(stuck, { namespace: "n", logger, timeoutMs: 60_000 });
    pub.publish("/tasks/exit", { containerId: "c", id: "c", pid: 1, exitStatus: 0 });
    const started = Date.now();
    const closed = await Promise.race([
      pub.close(200).then(() => true),
      new Promise<false>((r) => setTimeout(r, 3_000, false)),
    ]);
    assert.equal(closed, true, "close returned");
    assert.ok(Date.now() - started < 2_000, `close took ${Date.now() - started} ms`);
    assert.equal(attempts, 1);
    assert.ok(lines.some((l) => /undelivered/.test(l.msg)));
  });
});
