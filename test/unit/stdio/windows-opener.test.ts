import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import { DeadlineExceededError } from "../../../src/errdefs.js";
import { createProcessIO, createWindowsOpener, createWindowsPipes } from "../../../src/stdio/index.js";
import { spawnContainer, tempDir, within } from "./helpers.js";

/**
 * The Windows opener dials with `net.connect(path)`; a unix socket stands in for containerd's named-pipe
 * server, so this is the same code path. The Windows pipe factory (libuv `uv_pipe`) is the same call on
 * Linux; test/wine runs it on the real Windows node.
 */
describe("stdio windows opener (unix socket standing in for the named pipe)", () => {
  let tmp: ReturnType<typeof tempDir>;
  const cleanups: (() => unknown)[] = [];

  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    tmp.remove();
  });

  /** A listening "containerd pipe server" whose accepted connections are handed to `onConn`. */
  function serve(name: string, onConn: (s: net.Socket) => void = () => {}): Promise<string> {
    const p = path.join(tmp.dir, name);
    const server = net.createServer((s) => {
      cleanups.push(() => s.destroy());
      onConn(s);
    });
    cleanups.push(() => new Promise((r) => server.close(r)));
    return new Promise((resolve) => server.listen(p, () => resolve(p)));
  }
  /** Reads a server-side connection to its end; `seen` tracks the text so far. */
  function collect(s: net.Socket, seen: { text: string } = { text: "" }): Promise<string> {
    return new Promise((resolve, reject) => {
      s.setEncoding("utf8");
      s.on("data", (d: string) => {
        seen.text += d;
      });
      s.on("end", () => resolve(seen.text));
      s.on("error", reject);
    });
  }

  it("dials a pipe that only appears after a while (retry until it listens)", async () => {
    const opener = createWindowsOpener({ timeoutMs: 5000, retryDelayMs: 10 });
    const p = path.join(tmp.dir, "late");
    let accepted!: Promise<string>;
    const later = new Promise<void>((resolve) =>
      setTimeout(() => {
        void serve("late", (s) => {
          accepted = collect(s);
        }).then(() => resolve());
      }, 200),
    );
    const w = await opener.openWriter({ kind: "path", path: p }, "stdout");
    await later;
    w.end("hi");
    assert.equal(
      await within(
        waitAccepted(() => accepted),
        5000,
        "server got data",
      ),
      "hi",
    );
  });

  it("gives up with DeadlineExceeded when nobody listens", async () => {
    const opener = createWindowsOpener({ timeoutMs: 150, retryDelayMs: 10 });
    await assert.rejects(
      opener.openReader({ kind: "path", path: path.join(tmp.dir, "never") }, "stdin"),
      (e: unknown) =>
        e instanceof DeadlineExceededError && /failed to connect to upstream IO/.test(e.message),
    );
  });

  it("relays a process's stdio over dialed connections (stdin round trip, CloseIO, outputDone)", async () => {
    let toStdin!: net.Socket;
    let stdoutText!: Promise<string>;
    let stderrText!: Promise<string>;
    const stdin = await serve("stdin", (s) => {
      s.on("error", () => {});
      toStdin = s;
    });
    const seen = { text: "" };
    const stdout = await serve("stdout", (s) => {
      stdoutText = collect(s, seen);
    });
    const stderr = await serve("stderr", (s) => {
      stderrText = collect(s);
    });
    const io = await createProcessIO(
      { stdin, stdout, stderr, terminal: false },
      { opener: createWindowsOpener({ timeoutMs: 3000 }), pipes: createWindowsPipes() },
    );
    cleanups.push(() => io.close());
    const c = spawnContainer(io, "cat; echo bye >&2");
    cleanups.push(() => c.kill());
    await within(
      waitAccepted(() => toStdin),
      5000,
      "stdin accepted",
    );
    toStdin.write("ping\n");
    await within(
      waitAccepted(() => (seen.text === "ping\n" ? true : undefined)),
      5000,
      "echo",
    );
    io.closeStdin();
    assert.equal(await within(c.exited, 10_000, "cat exit"), 0);
    await within(io.outputDone, 10_000, "outputDone");
    assert.equal(await within(stdoutText, 5000, "stdout"), "ping\n");
    assert.equal(await within(stderrText, 5000, "stderr"), "bye\n");
  });

  it("containerd dropping the stdout connection: output discarded, container unharmed, outputDone resolves", async () => {
    let conn!: net.Socket;
    const stdout = await serve("stdout", (s) => {
      conn = s;
    });
    const io = await createProcessIO(
      { stdin: "", stdout, stderr: "", terminal: false },
      { opener: createWindowsOpener({ timeoutMs: 3000 }), pipes: createWindowsPipes() },
    );
    cleanups.push(() => io.close());
    const gone = new Promise((r) =>
      waitAccepted(() => conn)
        .then((s) => s.destroy(), r)
        .finally(() => r(0)),
    );
    await within(gone, 5000, "server dropped the connection");
    const c = spawnContainer(io, "head -c 1048576 /dev/zero");
    cleanups.push(() => c.kill());
    assert.equal(await within(c.exited, 10_000, "writer exit"), 0);
    await within(io.outputDone, 10_000, "outputDone");
  });
});

/** Waits (test-side polling) until the server callback assigned a value. */
async function waitAccepted<T>(get: () => T | undefined): Promise<T> {
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
}
