import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync, readSync, rmSync } from "node:fs";
import { join } from "node:path";
import { FifoLogSink } from "../../../src/shim/log-sink.js";
import { sleep, tempDir } from "./helpers.js";

/** Reads what is buffered in a non-blocking FIFO reader ("" when nothing). */
function drain(fd: number): string {
  const buf = Buffer.alloc(65536);
  let out = "";
  for (;;) {
    try {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) return out;
      out += buf.subarray(0, n).toString("utf8");
    } catch (err: unknown) {
      if ((err as NodeJS.ErrnoException).code === "EAGAIN") return out;
      throw err;
    }
  }
}

async function until(read: () => string, want: RegExp, timeoutMs = 10_000): Promise<string> {
  let text = "";
  const deadline = Date.now() + timeoutMs;
  while (!want.test(text)) {
    if (Date.now() > deadline) break;
    text += read();
    if (!want.test(text)) await sleep(20);
  }
  return text;
}

describe("shim FifoLogSink", function () {
  this.timeout(30_000);
  let dir: string;
  let fifo: string;
  const fds: number[] = [];

  beforeEach(() => {
    dir = tempDir("log");
    fifo = join(dir, "log");
    execFileSync("mkfifo", [fifo]);
  });
  afterEach(() => {
    for (const fd of fds.splice(0)) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });

  // containerd holds the FIFO open read-write and non-blocking.
  const openReader = () => {
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    fds.push(fd);
    return fd;
  };

  it("write with containerd reading → lines arrive in order, close flushes", async () => {
    const reader = openReader();
    const sink = new FifoLogSink(fifo);
    sink.write("one\n");
    sink.write("two\n");
    await sink.close();
    assert.equal(await until(() => drain(reader), /two\n/), "one\ntwo\n");
  });

  it("lines written with no reader arrive, in order, when a reader comes (no further write needed)", async () => {
    const sink = new FifoLogSink(fifo, { reopenBackoffMs: 10 });
    sink.write("kept 1\n"); // ENXIO: nobody reads
    sink.write("kept 2\n");
    const reader = openReader();
    const text = await until(() => drain(reader), /kept 2\n/, 3_000);
    await sink.close();
    assert.equal(text, "kept 1\nkept 2\n");
  });

  it("reader goes away (containerd restart) → no crash; lines of the gap reach the next reader, in order", async () => {
    const first = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const sink = new FifoLogSink(fifo, { reopenBackoffMs: 10 });
    sink.write("before\n");
    assert.equal(await until(() => drain(first), /before\n/), "before\n");
    closeSync(first);
    // EPIPE now: the lines wait until the FIFO has a reader again
    const gap: string[] = [];
    for (let i = 0; i < 20; i++) {
      gap.push(`gap ${i}\n`);
      sink.write(`gap ${i}\n`);
      if (i % 5 === 0) await sleep(15);
    }
    const second = openReader();
    sink.write("after\n");
    const text = await until(() => drain(second), /after\n/, 3_000);
    await sink.close();
    assert.equal(text, `${gap.join("")}after\n`);
  });

  it("what waits is bounded: the newest lines are kept, and the reader is told how many were dropped", async () => {
    const opts = { reopenBackoffMs: 10, maxBytes: 64 * 1024, maxLines: 1000 };
    const sink = new FifoLogSink(fifo, opts);
    const total = 5_000;
    for (let i = 0; i < total; i++)
      sink.write(`${JSON.stringify({ msg: `line ${i}`, pad: "x".repeat(100) })}\n`);
    const reader = openReader();
    const text = await until(() => drain(reader), new RegExp(`line ${total - 1}"`), 3_000);
    await sink.close();
    const lines = text.trimEnd().split("\n");
    assert.match(lines[0] ?? "", /"level":40.*lines dropped/);
    const kept = lines.slice(1).map((l) => Number(/line (\d+)/.exec(l)?.[1]));
    assert.ok(kept.length <= 1000, `${kept.length} lines kept`);
    assert.ok(kept.length > 400, `${kept.length} lines kept`);
    assert.ok(Buffer.byteLength(lines.slice(1).join("\n")) <= 64 * 1024);
    // the newest, consecutive, ending with the last
    assert.deepEqual(
      kept,
      Array.from({ length: kept.length }, (_, i) => total - kept.length + i),
    );
  });

  it("no FIFO at all → writes are dropped, close resolves", async () => {
    const sink = new FifoLogSink(join(dir, "missing"));
    sink.write("nowhere\n");
    await sink.close();
  });
});
