/**
 * PipeLogSink serves the log pipe containerd dials (Windows): lines written while no client is connected
 * (before containerd dials, and between its connections when it restarts) are kept for the next client.
 * Here the listener is a unix socket on Linux and a named pipe on Windows: the sink only sees a listener.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { PipeLogSink } from "../../../src/shim/log-sink.js";

function address(dir: string): string {
  return process.platform === "win32" ? `\\\\.\\pipe\\log-sink-test-${basename(dir)}` : join(dir, "log.sock");
}

/** containerd dialling the log pipe: everything it reads, and when it has read `want`. */
async function dial(path: string) {
  const sock = connect(path);
  await new Promise<void>((resolve, reject) => {
    sock.once("connect", resolve);
    sock.once("error", reject);
  });
  let text = "";
  sock.setEncoding("utf8");
  sock.on("data", (s: string) => {
    text += s;
  });
  const read = (want: RegExp, timeoutMs = 3_000): Promise<string> =>
    new Promise((resolve) => {
      const check = () => {
        if (!want.test(text)) return;
        clearTimeout(timer);
        sock.off("data", check);
        resolve(text);
      };
      const timer = setTimeout(() => {
        sock.off("data", check);
        resolve(text);
      }, timeoutMs);
      sock.on("data", check);
      check();
    });
  return { sock, read };
}

describe("shim PipeLogSink", function () {
  this.timeout(15_000);
  let dir: string;
  let server: Server;
  let path: string;
  const socks: Socket[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "shim-unit-logpipe-"));
    path = address(dir);
    server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
  });
  afterEach(() => {
    for (const s of socks.splice(0)) s.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lines written before containerd dials arrive when it does, in order", async () => {
    const sink = new PipeLogSink(server);
    sink.write("early 1\n");
    sink.write("early 2\n");
    const c = await dial(path);
    socks.push(c.sock);
    const text = await c.read(/early 2\n/);
    await sink.close();
    assert.equal(text, "early 1\nearly 2\n");
  });

  it("lines written between two connections reach the second one, in order", async () => {
    const sink = new PipeLogSink(server);
    const first = await dial(path);
    socks.push(first.sock);
    sink.write("one\n");
    assert.equal(await first.read(/one\n/), "one\n");
    // containerd restarts: its end of the pipe goes away
    const gone = new Promise((r) => first.sock.once("close", r));
    first.sock.destroy();
    await gone;
    const gap: string[] = [];
    for (let i = 0; i < 50; i++) {
      gap.push(`gap ${i}\n`);
      sink.write(`gap ${i}\n`);
      if (i % 10 === 0) await new Promise(setImmediate);
    }
    const second = await dial(path);
    socks.push(second.sock);
    sink.write("after\n");
    const text = await second.read(/after\n/);
    await sink.close();
    assert.equal(text, `${gap.join("")}after\n`);
  });
});
