/**
 * The waiter's orphan sweep against a scripted libc, for what real processes cannot produce on demand: one of
 * Node's children being the exited child `waitid` shows first (and staying so until libuv reaps it), pid
 * reuse, errno storms. And the `child_process` channel registry with real children.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { EventEmitter, once } from "node:events";
import { NotFoundError } from "../../../src/errdefs.js";
import {
  type NodeChildren,
  nodeChildPids,
  onNodeChildExit,
  trackedChildProcesses,
} from "../../../src/platform/node-children.js";
import {
  type Libc,
  LibcError,
  type WaitidPeekResult,
  type WaitpidResult,
} from "../../../src/platform/posix-libc.js";
import {
  MAX_REMEMBERED_EXITS,
  PosixProcessWaiter,
  type SignalSource,
} from "../../../src/platform/posix-waiter.js";

/** A kernel's view of our children: exited ones in the order waitid shows them, and running ones. */
class FakeKids {
  readonly zombies: Array<{ pid: number; status: number }> = [];
  readonly running = new Set<number>();
  readonly reaped: number[] = [];
  peekError: LibcError | undefined;

  exit(pid: number, code: number): void {
    this.running.delete(pid);
    this.zombies.push({ pid, status: code << 8 });
  }

  /** libuv's own targeted reap of one of Node's children. */
  libuvReap(pid: number): void {
    const i = this.zombies.findIndex((z) => z.pid === pid);
    assert.ok(i >= 0);
    this.zombies.splice(i, 1);
  }

  libc(): Libc {
    const unused = (): never => {
      throw new Error("not used");
    };
    return {
      getChildSubreaper: () => true,
      setChildSubreaper: unused,
      waitpid: (pid): WaitpidResult => {
        const i = this.zombies.findIndex((z) => z.pid === pid);
        if (i >= 0) {
          const [z] = this.zombies.splice(i, 1);
          this.reaped.push(pid);
          return { kind: "status", status: z?.status ?? 0 };
        }
        return this.running.has(pid) ? { kind: "running" } : { kind: "not-child" };
      },
      waitidPeek: (): WaitidPeekResult => {
        if (this.peekError) throw this.peekError;
        const first = this.zombies[0];
        if (first) return { kind: "exited", pid: first.pid };
        return this.running.size > 0 ? { kind: "none" } : { kind: "no-children" };
      },
      pidfdOpen: unused,
      eventfd: unused,
      eventfdSignal: unused,
      eventfdDrain: unused,
      close: unused,
      pollAsync: unused,
    };
  }
}

class FakeNode implements NodeChildren {
  readonly live = new Set<number>();
  readonly #listeners = new Set<() => void>();
  pids(): ReadonlySet<number> {
    return new Set(this.live);
  }
  onExit(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  /** libuv reaped `pid` and emitted its exit. */
  exited(kids: FakeKids, pid: number): void {
    kids.libuvReap(pid);
    this.live.delete(pid);
    for (const l of this.#listeners) l();
  }
  get listeners(): number {
    return this.#listeners.size;
  }
}

describe("platform/posix-waiter orphan sweep (scripted libc)", () => {
  let kids: FakeKids;
  let node: FakeNode;
  let signals: EventEmitter;
  let waiter: PosixProcessWaiter;
  const sigchld = () => signals.emit("SIGCHLD");

  beforeEach(() => {
    kids = new FakeKids();
    node = new FakeNode();
    signals = new EventEmitter();
    const libc = kids.libc();
    waiter = new PosixProcessWaiter({
      libc: () => libc,
      signals: signals as SignalSource,
      nodeChildren: node,
      foreign: "reject",
    });
    waiter.init();
  });
  afterEach(() => waiter.close());

  it("never reaps a pid Node owns, even when it is the exited child waitid shows first", () => {
    node.live.add(100);
    kids.running.add(100);
    kids.exit(100, 0); // Node's child exits first...
    kids.exit(200, 0); // ...then two orphans
    kids.exit(201, 0);
    sigchld();
    assert.deepEqual(kids.reaped, [], "the sweep stopped at Node's zombie");
    sigchld();
    assert.deepEqual(kids.reaped, []);
    node.exited(kids, 100);
    assert.deepEqual(kids.reaped, [200, 201], "libuv's exit resumed the sweep");
    assert.equal(kids.zombies.length, 0);
  });

  it("a waited pid behind Node's zombie is resolved at once with its exact code", async () => {
    node.live.add(100);
    kids.exit(100, 0);
    kids.running.add(300);
    const done = waiter.wait(300);
    kids.exit(300, 42);
    sigchld();
    assert.equal((await done).exitCode, 42);
    assert.deepEqual(kids.reaped, [300]);
  });

  it("an orphan reaped before wait() hands its exact code to the first wait only", async () => {
    kids.exit(400, 9);
    sigchld();
    assert.deepEqual(kids.reaped, [400]);
    assert.equal((await waiter.wait(400)).exitCode, 9);
    await assert.rejects(waiter.wait(400), NotFoundError, "consumed: a second wait does not see it");
  });

  it("a pid running again when wait() comes is a reuse: the old status is dropped", async () => {
    kids.exit(500, 5);
    sigchld();
    kids.running.add(500);
    const done = waiter.wait(500);
    kids.exit(500, 7);
    sigchld();
    assert.equal((await done).exitCode, 7);
  });

  it(`remembers at most ${MAX_REMEMBERED_EXITS} unclaimed statuses, the newest`, async () => {
    for (let i = 0; i <= MAX_REMEMBERED_EXITS; i++) kids.exit(10_000 + i, i % 256);
    sigchld();
    assert.equal(kids.zombies.length, 0);
    await assert.rejects(waiter.wait(10_000), NotFoundError, "the oldest was forgotten");
    assert.equal((await waiter.wait(10_000 + MAX_REMEMBERED_EXITS)).exitCode, MAX_REMEMBERED_EXITS % 256);
  });

  it("an errno from waitid is not thrown out of the SIGCHLD listener; the next SIGCHLD sweeps", () => {
    kids.exit(600, 0);
    kids.peekError = new LibcError("waitid", 22);
    assert.doesNotThrow(sigchld);
    assert.deepEqual(kids.reaped, []);
    kids.peekError = undefined;
    sigchld();
    assert.deepEqual(kids.reaped, [600]);
  });

  it("close stops the sweep and the Node-exit subscription", () => {
    assert.equal(node.listeners, 1);
    waiter.close();
    assert.equal(node.listeners, 0);
    kids.exit(700, 0);
    sigchld();
    assert.deepEqual(kids.reaped, []);
  });

  it("reapOrphans: false leaves orphans alone", () => {
    waiter.close();
    const libc = kids.libc();
    waiter = new PosixProcessWaiter({
      libc: () => libc,
      signals: signals as SignalSource,
      nodeChildren: node,
      reapOrphans: false,
    });
    waiter.init();
    kids.exit(800, 0);
    sigchld();
    assert.deepEqual(kids.reaped, []);
  });
});

(process.platform === "win32" ? describe.skip : describe)(
  "platform/node-children (child_process channel)",
  () => {
    it("a spawned child is Node's until libuv reaped it; the exit listener runs after that", async () => {
      let seenAtExit: { pid: number | undefined; stillListed: boolean; code: number | null } | undefined;
      const child = spawn("sh", ["-c", "read x; exit 3"], { stdio: ["pipe", "ignore", "ignore"] });
      const off = onNodeChildExit(() => {
        seenAtExit ??= {
          pid: child.pid,
          stillListed: nodeChildPids().has(child.pid ?? -1),
          code: child.exitCode,
        };
      });
      try {
        assert.ok(
          child.pid !== undefined && nodeChildPids().has(child.pid),
          "listed as soon as spawn returns",
        );
        child.stdin.end("go\n");
        const [code] = await once(child, "exit");
        assert.equal(code, 3);
        assert.deepEqual(seenAtExit, { pid: child.pid, stillListed: false, code: 3 });
        assert.equal(nodeChildPids().has(child.pid), false);
      } finally {
        off();
      }
    });

    it("a failed spawn (ENOENT) is not kept", async () => {
      const before = trackedChildProcesses();
      const child = spawn("/nonexistent/h10-no-such-binary", [], { stdio: "ignore" });
      const [err] = await once(child, "error");
      assert.equal((err as NodeJS.ErrnoException).code, "ENOENT");
      assert.equal(child.pid, undefined);
      assert.equal(trackedChildProcesses(), before);
    });
  },
);
