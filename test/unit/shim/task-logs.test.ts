/**
 * Per-task logs of a server holding many tasks: a task's lines reach the endpoint containerd reads for that
 * task (Linux: its bundle's `log` FIFO; Windows: the pipe `containerd-shim-<ns>-<id>-log`), the server's own
 * task logs through the server's logger, and a closed task's endpoint is gone.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdirSync, openSync, readSync, rmSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { silentLogger } from "../../../src/log/logger.js";
import { platform } from "../../../src/platform/index.js";
import { ShimTaskLogs } from "../../../src/shim/task-logs.js";
import { sleep, tempDir } from "./helpers.js";

const NS = `unit${process.pid}`;

/** What containerd does to read task `id`'s log: a reader of the endpoint; `text()` is what arrived. */
async function containerdReader(id: string, bundle: string): Promise<{ text(): string; close(): void }> {
  const endpoint = platform.createShimAddress().logEndpoint({ namespace: NS, id }, bundle);
  if (process.platform === "win32") {
    let text = "";
    const conn = net.connect(endpoint);
    await new Promise((resolve, reject) => conn.once("connect", resolve).once("error", reject));
    conn.setEncoding("utf8").on("data", (d: string) => {
      text += d;
    });
    return { text: () => text, close: () => conn.destroy() };
  }
  execFileSync("mkfifo", [endpoint]);
  const fd = openSync(endpoint, constants.O_RDWR | constants.O_NONBLOCK); // as containerd opens it
  let text = "";
  const buf = Buffer.alloc(65536);
  return {
    text() {
      for (;;) {
        try {
          const n = readSync(fd, buf, 0, buf.length, null);
          if (n === 0) return text;
          text += buf.subarray(0, n).toString("utf8");
        } catch {
          return text; // EAGAIN: nothing more now
        }
      }
    },
    close: () => closeSync(fd),
  };
}

async function until(read: () => string, want: RegExp): Promise<string> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(20)) {
    if (want.test(read())) break;
  }
  return read();
}

describe("shim per-task logs", function () {
  this.timeout(30_000);
  let dir: string;

  beforeEach(() => {
    dir = tempDir("task-logs");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("each task's lines reach its own endpoint; the server's task uses the server's logger; close releases it", async () => {
    const logs = new ShimTaskLogs({ namespace: NS, serverId: "t1", server: silentLogger, debug: false });
    assert.equal(logs.open("t1", join(dir, "t1")), silentLogger);
    const bundles = ["t2", "t3"].map((id) => join(dir, id));
    for (const b of bundles) mkdirSync(b);
    const loggers = ["t2", "t3"].map((id, i) => logs.open(id, bundles[i] as string));
    const readers = await Promise.all(
      ["t2", "t3"].map((id, i) => containerdReader(id, bundles[i] as string)),
    );
    try {
      loggers[0]?.info("line of t2");
      loggers[1]?.warn("line of t3");
      const t2 = await until(() => (readers[0] as { text(): string }).text(), /line of t2/);
      const t3 = await until(() => (readers[1] as { text(): string }).text(), /line of t3/);
      assert.deepEqual(
        t2
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l))
          .map((l) => [l.id, l.namespace, l.msg]),
        [["t2", NS, "line of t2"]],
      );
      assert.doesNotMatch(t2, /"id":"t3"|line of t3/);
      assert.match(t3, /"id":"t3"/);
      await logs.close("t2");
      if (process.platform === "win32") {
        const endpoint = platform
          .createShimAddress()
          .logEndpoint({ namespace: NS, id: "t2" }, bundles[0] as string);
        const dialed = await new Promise((resolve) =>
          net
            .connect(endpoint)
            .once("connect", () => resolve("connected"))
            .once("error", (e) => resolve(e.message)),
        );
        assert.notEqual(dialed, "connected", "t2's pipe still served after close");
      }
    } finally {
      for (const r of readers) r.close();
      await logs.closeAll();
    }
  });
});
