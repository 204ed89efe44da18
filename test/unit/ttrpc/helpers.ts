// Shared test helpers for the ttrpc tests: temp socket paths, raw frame I/O, leak checks.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server as NetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { type Frame, FrameDecoder } from "../../../src/ttrpc/frame.js";

/**
 * A fresh temp dir and a listen address: a socket path in the dir, or on Windows a named pipe named after
 * it (`\\.\pipe\ttrpc-test-XXXXXX`: the shim's transport there); `dispose()` removes the dir.
 */
export function tempSocket(): { path: string; dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), "ttrpc-test-"));
  const path = process.platform === "win32" ? `\\\\.\\pipe\\${basename(dir)}` : join(dir, "s.sock");
  return { dir, path, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Registers hooks giving each test of the enclosing `describe` a fresh temp socket path and, after the
 * test, `teardown` (closing what the test opened), removal of the temp dir and a handle-leak check.
 * Call it before any hook that uses the path; read `.path` inside hooks and tests.
 */
export function socketPerTest(teardown?: () => void | Promise<void>): { readonly path: string } {
  let sock: ReturnType<typeof tempSocket> | undefined;
  let leaks: ReturnType<typeof leakCheck>;
  beforeEach(() => {
    leaks = leakCheck(["Timeout"]);
    sock = tempSocket();
  });
  afterEach(async () => {
    try {
      await teardown?.();
    } finally {
      sock?.dispose();
    }
    await leaks.check();
  });
  return {
    get path() {
      assert.ok(sock, "socketPerTest: no test is running");
      return sock.path;
    },
  };
}

/** A raw socket to a ttrpc server with a frame reader. */
export class RawPeer {
  readonly sock: Socket;
  readonly #decoder = new FrameDecoder(64 << 20);
  readonly #frames: Frame[] = [];
  #waiters: (() => void)[] = [];
  ended = false;

  constructor(sock: Socket) {
    this.sock = sock;
    sock.on("data", (chunk: Buffer) => {
      for (const f of this.#decoder.write(chunk)) {
        // payload views point into chunks; copy to keep tests independent of buffer reuse
        this.#frames.push({ ...f, payload: f.payload && Buffer.from(f.payload) });
      }
      this.#wake();
    });
    sock.on("close", () => {
      this.ended = true;
      this.#wake();
    });
    sock.on("error", () => {});
  }

  static connect(path: string): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const sock = createConnection({ path });
      sock.once("connect", () => resolve(new RawPeer(sock)));
      sock.once("error", reject);
    });
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Resolves with the next frame, or undefined if the connection closes first. */
  async next(): Promise<Frame | undefined> {
    while (this.#frames.length === 0) {
      if (this.ended) return undefined;
      await new Promise<void>((r) => this.#waiters.push(r));
    }
    return this.#frames.shift();
  }

  /** Resolves once the peer has closed the connection. */
  async closed(): Promise<void> {
    while (!this.ended) await new Promise<void>((r) => this.#waiters.push(r));
  }

  write(bytes: Uint8Array): void {
    this.sock.write(bytes);
  }

  destroy(): void {
    this.sock.destroy();
  }
}

function handleCounts(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

/**
 * Snapshot of active handles; `check()` waits (bounded) until no more remain than at the snapshot.
 * Mocha's own hook timers differ between hooks, so hooks pass `ignore: ["Timeout"]`; tests about
 * timers take both snapshots inside one test body.
 */
export function leakCheck(ignore: string[] = []): { check(): Promise<void> } {
  const before = handleCounts();
  return {
    async check() {
      let extra: string[] = [];
      for (let i = 0; i < 100; i++) {
        const now = handleCounts();
        extra = [...now]
          .filter(([k, n]) => !ignore.includes(k) && n > (before.get(k) ?? 0))
          .map(([k, n]) => `${k}:${n}`);
        if (extra.length === 0) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.fail(`leaked handles: ${extra.join(", ")} (before: ${[...before].join(", ")})`);
    },
  };
}

/** Waits until `cond()` holds (bounded), for asynchronous effects with no event to await. */
export async function eventually(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A raw listening socket: each accepted connection becomes a {@link RawPeer} (a scripted ttrpc server). */
export class RawServer {
  readonly net: NetServer;
  readonly #accepted: RawPeer[] = [];
  #waiters: (() => void)[] = [];

  private constructor(net: NetServer) {
    this.net = net;
    net.on("connection", (sock) => {
      this.#accepted.push(new RawPeer(sock));
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static async listen(path: string): Promise<RawServer> {
    const net = createServer();
    await new Promise<void>((r) => net.listen(path, r));
    return new RawServer(net);
  }

  /** The next accepted connection. */
  async accept(): Promise<RawPeer> {
    while (this.#accepted.length === 0) await new Promise<void>((r) => this.#waiters.push(r));
    return this.#accepted.shift()!;
  }

  close(): Promise<void> {
    return new Promise((r) => this.net.close(() => r()));
  }
}
