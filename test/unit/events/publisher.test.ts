import assert from "node:assert/strict";
import { createHook } from "node:async_hooks";
import { fromBinary } from "@bufbuild/protobuf";
import { pino } from "pino";
import { EventPublisher } from "../../../src/events/publisher.js";
import type { EventSink, OutgoingEvent } from "../../../src/events/sink.js";
import { TaskExitSchema } from "../../../src/gen/containerd/events/task_pb.js";
import { silentLogger } from "../../../src/log/logger.js";

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

  it("drops an event after the last attempt, logs it, and goes on", async () => {
    const sink = new RecordingSink(2);
    const { logger, lines } = capturingLogger();
    const pub = new EventPublisher(sink, { namespace: "n", logger, maxAttempts: 2 });
    pub.publish("/tasks/paused", { containerId: "c" });
    pub.publish("/tasks/resumed", { containerId: "c" });
    await pub.close();
    assert.deepEqual(
      sink.sent.map((e) => e.topic),
      ["/tasks/resumed"],
    );
    assert.ok(lines.some((l) => l.msg.includes("could not be published") && l.level === 50));
  });

  it("bounds the queue and logs the overflow", async () => {
    const sink = new RecordingSink(1_000_000);
    const { logger, lines } = capturingLogger();
    const pub = new EventPublisher(sink, { namespace: "n", logger, maxQueued: 3 });
    for (let i = 0; i < 5; i++) pub.publish("/tasks/oom", { containerId: `c${i}` });
    assert.equal(pub.pending, 3);
    assert.equal(lines.filter((l) => l.msg.includes("queue full")).length, 2);
    await pub.close(50);
    assert.equal(pub.pending, 0);
    assert.ok(lines.some((l) => l.msg.includes("undelivered events dropped")));
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
