/**
 * CloseIO after the client closed its end of the stdin pipe (docker, CRI ExecSync, ctr do it in that order):
 * every byte already written must still reach the process, which then sees EOF.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { constants, openSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished, PassThrough, Writable } from "node:stream";
import { createProcessIO, defaultStdioPlatform } from "../../../src/stdio/index.js";
import { relayInput } from "../../../src/stdio/relay.js";

describe("stdin relay: CloseIO after the client closed its end", () => {
  it("stdin written before CloseIO reaches the process in full", async () => {
    const data = Buffer.alloc(200_000, 0x61);
    const src = new PassThrough(); // containerd's stdin FIFO: all written, writer closed
    for (let i = 0; i < data.length; i += 4096) src.write(data.subarray(i, i + 4096)); // FIFO reads
    src.end();
    let received = 0;
    const dst = new Writable({
      highWaterMark: 16 * 1024, // the container's stdin pipe, read slowly
      write(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        setImmediate(cb);
      },
    });
    const input = relayInput(src, dst, () => {});
    await new Promise((r) => setImmediate(r));
    input.closeWhenDrained(10_000); // CloseIO arrives after the client closed its end
    await new Promise<void>((resolve) => finished(dst, () => resolve()));
    assert.equal(received, data.length, `only ${received} of ${data.length} stdin bytes reached the process`);
  });
});

describe("stdin relay: CloseIO with a real FIFO and process", function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "stdin-drain-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("`printf 100k | exec -i wc -c`, then CloseIO → wc counts every byte", async () => {
    const stdinFifo = join(dir, "in");
    const stdoutFifo = join(dir, "out");
    execFileSync("mkfifo", [stdinFifo, stdoutFifo]);
    // containerd's side: it reads stdout, writes stdin.
    const outFd = openSync(stdoutFifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const out = new Socket({ fd: outFd, readable: true, writable: false });
    let output = "";
    out.setEncoding("utf8").on("data", (s: string) => {
      output += s;
    });
    // containerd reads its FIFO to EOF; outputDone only says everything was written into it.
    const outEnded = new Promise((resolve) => out.once("end", resolve));
    const io = await createProcessIO(
      { stdin: stdinFifo, stdout: stdoutFifo, stderr: "", terminal: false },
      defaultStdioPlatform(),
    );
    const child = spawn("sh", ["-c", "sleep 1; wc -c"], { stdio: [...io.runhcsStdio] });
    io.afterSpawn();
    const exited = new Promise((r) => child.once("exit", r));
    const inFd = openSync(stdinFifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const writer = new Socket({ fd: inFd, readable: false, writable: true });
    const data = Buffer.alloc(100_000, 0x61);
    await new Promise<void>((resolve) => writer.end(data, () => resolve())); // all in the FIFO; closed
    io.closeStdin(); // CloseIO, as docker / CRI send it after closing their end
    await exited;
    await io.outputDone;
    await outEnded;
    await io.close();
    out.destroy();
    assert.equal(output.trim(), String(data.length));
  });
});
