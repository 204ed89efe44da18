// What hostile ttrpc peers cost containerd's log: the running shim's log FIFO after 1000 garbage
// connections, and the codes a garbage payload gets; the log hooks' rendering of our own errors.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdirSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { Writable } from "node:stream";
import { create, toBinary } from "@bufbuild/protobuf";
import { BootstrapParamsSchema } from "../../../src/gen/containerd/runtime/bootstrap/v1/bootstrap_pb.js";
import { createLogger } from "../../../src/log/logger.js";
import { defaultFlags } from "../../../src/shim/flags.js";
import { start } from "../../../src/shim/start.js";
import { ttrpcLogHooks } from "../../../src/shim/ttrpc-log.js";
import { Client, Code, DEFAULT_PEER_FAULT_LIMIT, StatusError } from "../../../src/ttrpc/index.js";
import { isAlive, shimEntry, tempDir, waitGone } from "./helpers.js";

const TASK = "containerd.task.v2.Task";

/** Connects to `path`, sends a frame header declaring 4 GiB - 1 (no ttrpc stream does), waits for the close. */
function garbageConnection(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ path });
    sock.on("error", reject);
    sock.on("close", () => resolve());
    sock.on("connect", () => sock.write(Buffer.from("ffffffff000000010100", "hex")));
    sock.resume();
  });
}

/** Reads what is in the non-blocking FIFO `fd` now. */
function drain(fd: number): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (err: unknown) {
      if ((err as NodeJS.ErrnoException).code === "EAGAIN") break;
      throw err;
    }
    if (n <= 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString("utf8");
}

type LogLine = { msg: string; level: number; err?: { stack?: string }; suppressed?: number };

describe("shim log of ttrpc peers", function () {
  this.timeout(120_000);
  let dir: string;
  let pid = 0;

  beforeEach(() => {
    dir = tempDir("serve-log");
  });

  afterEach(async () => {
    if (pid && isAlive(pid)) process.kill(pid, "SIGKILL");
    if (pid) await waitGone(pid);
    pid = 0;
    rmSync(dir, { recursive: true, force: true });
  });

  it("1000 garbage connections → at most the limit's one-line warnings and one count, no stack; a garbage payload → InvalidArgument", async () => {
    const bundle = join(dir, "bundle");
    mkdirSync(bundle, { recursive: true });
    execFileSync("mkfifo", [join(bundle, "log")]);
    // containerd's end of the log FIFO: opened read-write, non-blocking, before start
    const logFd = openSync(join(bundle, "log"), constants.O_RDWR | constants.O_NONBLOCK);
    try {
      const address = await start(
        {
          ...defaultFlags(),
          namespace: "unit",
          id: "l1",
          address: join(dir, "c.sock"),
          publishBinary: "/bin/false",
        },
        {
          bundle,
          input: toBinary(
            BootstrapParamsSchema,
            create(BootstrapParamsSchema, { namespace: "unit", socketDir: join(dir, "s") }),
          ),
          serverCommand: [process.execPath, shimEntry(join(dir, "rt"))],
        },
      );
      pid = Number(readFileSync(join(bundle, "shim.pid"), "utf8"));
      const path = address.slice("unix://".length);
      const text: string[] = [];
      for (let i = 0; i < 1000; i += 50) {
        await Promise.all(Array.from({ length: 50 }, () => garbageConnection(path)));
        text.push(drain(logFd)); // keep the FIFO from filling up whatever the shim writes
      }
      // a real method with an undecodable request: the peer's fault (Go's ttrpc says Internal)
      const client = await Client.connect(path, { timeoutMs: 5_000 });
      try {
        await assert.rejects(
          client.call(TASK, "State", Buffer.from([0x0a, 0x7f, 0x01])),
          (e: unknown) =>
            e instanceof StatusError &&
            e.code === Code.InvalidArgument &&
            e.message.startsWith(`ttrpc: invalid ${TASK}/State request: `),
        );
      } finally {
        client.close();
      }
      process.kill(pid, "SIGTERM");
      assert.ok(await waitGone(pid), "shim still running after SIGTERM");
      text.push(drain(logFd));
      const lines = text.join("").trim().split("\n");
      const records = lines.map((l) => JSON.parse(l) as LogLine);
      const peer = records.filter((r) => /^ttrpc peer fault/.test(r.msg));
      const limit = DEFAULT_PEER_FAULT_LIMIT.reports;
      assert.equal(
        records.filter((r) => r.msg === "ttrpc server error").length,
        0,
        "peer faults are not our errors",
      );
      assert.equal(peer.length, limit + 1, lines.slice(0, 5).join("\n"));
      for (const r of peer.slice(0, limit)) assert.match(r.msg, /^ttrpc peer fault: .*not a ttrpc stream$/);
      assert.equal(peer[limit]?.suppressed, 1000 - limit);
      for (const l of lines) assert.doesNotMatch(l, /"stack"|\\n\s+at /, "no stack trace");
      assert.ok(lines.length < limit + 10, `${lines.length} log lines`);
    } finally {
      closeSync(logFd);
    }
  });

  it("our own errors keep their stack; a peer fault is one line without one", () => {
    const out: string[] = [];
    const dest = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out.push(chunk.toString("utf8"));
        cb();
      },
    });
    const hooks = ttrpcLogHooks(createLogger({ destination: dest }));
    hooks.onError?.(new Error("boom"), "handler s/Crash");
    hooks.onPeerFault?.({ kind: "fault", message: "stream 2: bad", connection: 7, closed: false });
    hooks.onPeerFault?.({ kind: "suppressed", count: 5, windowMs: 60_000 });
    const [bug, fault, count] = out.map((l) => JSON.parse(l) as LogLine & Record<string, unknown>);
    assert.equal(out.length, 3);
    assert.equal(bug?.msg, "ttrpc server error");
    assert.equal(bug?.where, "handler s/Crash");
    assert.match(String(bug?.err?.stack), /^Error: boom\n\s+at /);
    assert.equal(fault?.msg, "ttrpc peer fault: stream 2: bad");
    assert.equal(fault?.connection, 7);
    assert.equal(fault?.err, undefined);
    assert.equal(count?.msg, "ttrpc peer faults: 5 more in 60s not logged");
    for (const l of out.slice(1)) assert.doesNotMatch(l, /stack/);
  });
});
