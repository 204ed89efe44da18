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

  it("write with no reader → dropped without error; a later reader gets later lines", async () => {
    const sink = new FifoLogSink(fifo, { reopenBackoffMs: 0 });
    sink.write("lost\n"); // ENXIO: nobody reads
    const reader = openReader();
    sink.write("kept\n");
    await sink.close();
    assert.equal(await until(() => drain(reader), /kept\n/), "kept\n");
  });

  it("reader goes away (containerd restart) → no crash; the next reader gets new lines", async () => {
    const first = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const sink = new FifoLogSink(fifo, { reopenBackoffMs: 0 });
    sink.write("before\n");
    assert.equal(await until(() => drain(first), /before\n/), "before\n");
    closeSync(first);
    // EPIPE now: lines are dropped until the FIFO can be opened again
    for (let i = 0; i < 20; i++) {
      sink.write(`gap ${i}\n`);
      await sleep(10);
    }
    const second = openReader();
    let text = "";
    for (let i = 0; i < 200 && !/after\n/.test(text); i++) {
      sink.write("after\n");
      await sleep(20);
      text += drain(second);
    }
    await sink.close();
    assert.match(text, /after\n/);
  });

  it("no FIFO at all → writes are dropped, close resolves", async () => {
    const sink = new FifoLogSink(join(dir, "missing"));
    sink.write("nowhere\n");
    await sink.close();
  });
});
