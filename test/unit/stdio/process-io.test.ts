import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import type net from "node:net";
import path from "node:path";
import { InvalidArgumentError, NotFoundError, NotImplementedError } from "../../../src/errdefs.js";
import {
  createPosixOpener,
  createPosixPipes,
  createProcessIO,
  createWindowsPipes,
  type ProcessIO,
  type ProcessIORequest,
  type StdioRole,
} from "../../../src/stdio/index.js";
import {
  type Container,
  type FifoReader,
  fdSnapshot,
  fdsOpenedSince,
  holdFifo,
  mkfifos,
  readFifo,
  settlesWithin,
  spawnContainer,
  tempDir,
  within,
  writeFifo,
} from "./helpers.js";

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

// The Windows factory (libuv uv_pipe) makes pipe2(O_CLOEXEC) pairs on Linux: same guarantees, same tests.
for (const [pipesName, makePipes] of [
  ["pipe2", createPosixPipes],
  ["uv_pipe, the Windows factory", createWindowsPipes],
] as const) {
  describe(`stdio createProcessIO (posix FIFOs, real processes, ${pipesName} pipes)`, () => {
    let tmp: ReturnType<typeof tempDir>;
    let fifo: { stdin: string; stdout: string; stderr: string };
    const cleanups: (() => unknown)[] = [];
    const relayErrors: { role: StdioRole; err: Error }[] = [];

    beforeEach(async () => {
      tmp = tempDir();
      const [stdin, stdout, stderr] = await mkfifos(tmp.dir, "ctr-stdin", "ctr-stdout", "ctr-stderr");
      fifo = { stdin: stdin!, stdout: stdout!, stderr: stderr! };
      relayErrors.length = 0;
    });

    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
      tmp.remove();
    });

    async function open(req: Partial<ProcessIORequest>): Promise<ProcessIO> {
      const io = await createProcessIO(
        { stdin: "", stdout: "", stderr: "", terminal: false, ...req },
        {
          opener: createPosixOpener({ timeoutMs: 500 }),
          pipes: makePipes(),
          onRelayError: (role, err) => relayErrors.push({ role, err }),
        },
      );
      cleanups.push(() => io.close());
      return io;
    }
    function reader(p: string, slowMs = 0): FifoReader {
      const r = readFifo(p, slowMs);
      cleanups.push(() => r.socket.destroy());
      return r;
    }
    function writer(p: string): net.Socket {
      const w = writeFifo(p);
      cleanups.push(() => w.destroy());
      return w;
    }
    function run(io: ProcessIO, script: string): Container {
      const c = spawnContainer(io, script);
      cleanups.push(() => c.kill());
      return c;
    }

    it("relays stdout and stderr from a detached grandchild; outputDone after all bytes", async () => {
      const out = reader(fifo.stdout);
      const err = reader(fifo.stderr);
      const io = await open({ stdout: fifo.stdout, stderr: fifo.stderr });
      // The direct child exits at once (like `runhcs create`); a backgrounded subshell keeps writing.
      const [ctl] = await mkfifos(tmp.dir, "ctl");
      const c = run(io, `( read go < '${ctl}'; echo out; echo err >&2; echo more ) & exit 0`);
      assert.equal(await c.exited, 0);
      assert.equal(await settlesWithin(io.outputDone, 100), false, "outputDone before the helper wrote");
      await fs.promises.writeFile(ctl!, "go\n");
      await within(io.outputDone, 10_000, "outputDone");
      assert.equal((await within(out.all, 5000, "stdout EOF")).toString(), "out\nmore\n");
      assert.equal((await within(err.all, 5000, "stderr EOF")).toString(), "err\n");
    });

    it("an unrelated process spawned meanwhile does not inherit the pipes (O_CLOEXEC): EOF still arrives", async () => {
      const out = reader(fifo.stdout);
      const io = await open({ stdout: fifo.stdout });
      const bystander = spawn("sleep", ["30"], { stdio: "ignore" });
      cleanups.push(() => bystander.kill("SIGKILL"));
      const c = run(io, "echo hi");
      assert.equal(await c.exited, 0);
      await within(io.outputDone, 10_000, "outputDone while an unrelated child is alive");
      assert.equal(bystander.exitCode, null, "bystander still running");
      assert.equal((await out.all).toString(), "hi\n");
    });

    it("10 MB through a slow reader: intact, bounded in flight, outputDone only after the reader got it", async () => {
      const data = randomBytes(10 * 1024 * 1024);
      const file = path.join(tmp.dir, "payload");
      fs.writeFileSync(file, data);
      const out = reader(fifo.stdout, 2);
      const io = await open({ stdout: fifo.stdout });
      const c = run(io, `cat '${file}'`);
      assert.equal(await within(c.exited, 60_000, "cat exit"), 0);
      // cat could only finish once the reader had taken all but what the pipes/stream buffers hold.
      const slack = 2 * 1024 * 1024;
      assert.ok(out.received() >= data.length - slack, `only ${out.received()} bytes read when cat exited`);
      await within(io.outputDone, 60_000, "outputDone");
      // Everything was written to the FIFO: at most one FIFO buffer (64 KiB, 1 MiB max) is still unread.
      assert.ok(out.received() >= data.length - 1024 * 1024, `only ${out.received()} read at outputDone`);
      const got = await within(out.all, 60_000, "stdout EOF");
      assert.equal(got.length, data.length);
      assert.equal(sha(got), sha(data));
    });

    it("stdin round-trips through cat; closeStdin makes cat exit while stdout keeps flowing", async () => {
      const out = reader(fifo.stdout);
      const io = await open({ stdin: fifo.stdin, stdout: fifo.stdout });
      const input = writer(fifo.stdin);
      const c = run(io, "cat; echo after-eof");
      input.write("hello\n");
      input.write("world\n");
      await within(
        waitFor(() => out.received() >= 12),
        10_000,
        "echoed input",
      );
      assert.equal(await settlesWithin(c.exited, 200), false, "cat exited before CloseIO");
      io.closeStdin();
      io.closeStdin();
      assert.equal(await within(c.exited, 10_000, "cat exit after closeStdin"), 0);
      await within(io.outputDone, 10_000, "outputDone");
      assert.equal((await within(out.all, 5000, "stdout EOF")).toString(), "hello\nworld\nafter-eof\n");
    });

    it("containerd closing its stdin writer gives the container EOF", async () => {
      const out = reader(fifo.stdout);
      const io = await open({ stdin: fifo.stdin, stdout: fifo.stdout });
      const c = run(io, "cat");
      const input = writer(fifo.stdin);
      input.end("bye\n");
      assert.equal(await within(c.exited, 10_000, "cat exit"), 0);
      await within(io.outputDone, 10_000, "outputDone");
      assert.equal((await out.all).toString(), "bye\n");
    });

    it("an early-opened stdin FIFO without a writer does not give a false EOF", async () => {
      const io = await open({ stdin: fifo.stdin });
      const c = run(io, "cat");
      assert.equal(await settlesWithin(c.exited, 300), false, "cat saw EOF with no writer ever connected");
      io.closeStdin();
      assert.equal(await within(c.exited, 10_000, "cat exit"), 0);
    }).timeout(20_000);

    it("a vanished stdout reader does not crash: output discarded, container not killed, outputDone resolves", async () => {
      const out = reader(fifo.stdout);
      const io = await open({ stdout: fifo.stdout });
      out.socket.destroy(); // containerd went away before the container wrote
      await new Promise((r) => setTimeout(r, 50));
      const c = run(io, "head -c 1048576 /dev/zero; echo done >&2");
      assert.equal(await within(c.exited, 10_000, "writer exit"), 0, "container must not die of SIGPIPE");
      await within(io.outputDone, 10_000, "outputDone");
      assert.ok(
        relayErrors.some((e) => e.role === "stdout" && (e.err as NodeJS.ErrnoException).code === "EPIPE"),
        `expected an EPIPE report, got ${relayErrors.map((e) => e.err.message).join(", ")}`,
      );
    });

    it("stdin written after the container exited: EPIPE absorbed, containerd's writer cut off, no crash", async () => {
      const io = await open({ stdin: fifo.stdin });
      const c = run(io, "exit 0");
      assert.equal(await c.exited, 0);
      const input = writer(fifo.stdin);
      const cutOff = new Promise<string>((resolve) => {
        input.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        input.on("close", () => resolve("closed"));
      });
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = setInterval(() => input.writable && input.write(chunk), 5);
      try {
        assert.equal(await within(cutOff, 10_000, "containerd's stdin writer cut off"), "EPIPE");
      } finally {
        clearInterval(pump);
      }
      assert.ok(
        relayErrors.some((e) => e.role === "stdin" && (e.err as NodeJS.ErrnoException).code === "EPIPE"),
      );
    });

    it('empty paths: stdin is /dev/null, stdout "" is discarded, terminal ignores stderr', async () => {
      const out = reader(fifo.stdout);
      // stderr names a path that does not exist: terminal mode must not even try to open it.
      const io = await open({ stdout: fifo.stdout, stderr: path.join(tmp.dir, "missing"), terminal: true });
      assert.deepEqual([io.runhcsStdio[0], io.runhcsStdio[2]], ["ignore", "ignore"]);
      const c = run(io, "cat; echo visible; echo hidden >&2");
      assert.equal(await within(c.exited, 10_000, "exit"), 0);
      await within(io.outputDone, 10_000, "outputDone");
      assert.equal((await out.all).toString(), "visible\n");

      const none = await open({});
      assert.deepEqual([...none.runhcsStdio], ["ignore", "ignore", "ignore"]);
      await within(none.outputDone, 1000, "outputDone with no streams");
    });

    it("file:// appends to the file, creating its directory", async () => {
      const log = path.join(tmp.dir, "logs", "nested", "out.log");
      const io = await open({ stdout: `file://${log}`, stderr: `file://${log}` });
      const c = run(io, "echo one; echo two >&2");
      assert.equal(await c.exited, 0);
      await within(io.outputDone, 10_000, "outputDone");
      const io2 = await open({ stdout: `file://${log}` });
      const c2 = run(io2, "echo three");
      assert.equal(await c2.exited, 0);
      await within(io2.outputDone, 10_000, "outputDone 2");
      const text = fs.readFileSync(log, "utf8");
      assert.deepEqual(text.split("\n").filter(Boolean).sort(), ["one", "three", "two"]);
      assert.ok(text.endsWith("three\n"), "second process appended");
    });

    function hold(p: string): void {
      const fd = holdFifo(p);
      cleanups.push(() => fs.closeSync(fd));
    }

    it("rejects unusable stdio strings with the errdefs class, leaving nothing open", async () => {
      hold(fifo.stdout);
      const before = fdSnapshot();
      await assert.rejects(
        open({ stdout: fifo.stdout, stderr: "binary:///usr/bin/logger?x=1" }),
        NotImplementedError,
      );
      await assert.rejects(open({ stdout: "tcp://1.2.3.4:5" }), InvalidArgumentError);
      await assert.rejects(open({ stdout: "relative/fifo" }), InvalidArgumentError);
      await assert.rejects(open({ stdin: "file:///tmp/in" }), InvalidArgumentError);
      // stdout opens fine, stderr is missing: stdout's descriptor must be released again.
      await assert.rejects(open({ stdout: fifo.stdout, stderr: path.join(tmp.dir, "nope") }), NotFoundError);
      const regular = path.join(tmp.dir, "regular");
      fs.writeFileSync(regular, "");
      await assert.rejects(open({ stdin: regular, stdout: fifo.stdout }), InvalidArgumentError);
      assert.deepEqual(fdsOpenedSince(before), []);
    });

    it("close() without a spawn releases every descriptor; idempotent; outputDone resolves", async () => {
      hold(fifo.stdout);
      hold(fifo.stderr);
      const before = fdSnapshot();
      const io = await open({ stdin: fifo.stdin, stdout: fifo.stdout, stderr: fifo.stderr });
      assert.equal(fdsOpenedSince(before).length, 9, "3 FIFO ends + 3 pipes");
      await Promise.all([io.close(), io.close()]);
      await io.close();
      io.afterSpawn();
      io.closeStdin();
      await within(io.outputDone, 5000, "outputDone after close");
      assert.deepEqual(fdsOpenedSince(before), []);
    });

    it("stdout FIFO without a reader fails with DeadlineExceeded after the bounded wait", async () => {
      await assert.rejects(open({ stdout: fifo.stdout }), (e: unknown) => {
        assert.equal((e as Error).name, "DeadlineExceededError");
        assert.match((e as Error).message, /failed to connect to upstream IO/);
        return true;
      });
    });
  });
}

/** Polls `cond` every 10 ms (test-side only). */
async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}
