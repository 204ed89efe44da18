/**
 * FifoLogSink opens the endpoint with `openSync` and wraps the descriptor in a `net.Socket`, which throws for
 * a path that is not a FIFO (a plain `log` file when the shim is run by hand): the descriptor must be closed
 * then, or every reopen attempt leaks one.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FifoLogSink } from "../../../src/shim/log-sink.js";

describe("FifoLogSink on a path that is not a FIFO", () => {
  it("failed reopen attempts leak no descriptors", async () => {
    const dir = mkdtempSync(join(tmpdir(), "h14-log-"));
    try {
      const path = join(dir, "log");
      writeFileSync(path, "");
      const sink = new FifoLogSink(path, { reopenBackoffMs: 0 });
      const before = readdirSync("/proc/self/fd").length;
      for (let i = 0; i < 20; i++) sink.write("{}\n");
      const after = readdirSync("/proc/self/fd").length;
      await sink.close();
      assert.ok(after - before < 5, `${after - before} descriptors leaked by 20 writes`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
