/**
 * posix {@link ProcessWaiter}: exact exit codes of processes we did not spawn, via the child subreaper, and
 * the reaper of every other orphan the subreaper adopts.
 *
 * The pid runhcs writes is a helper that `runhcs create` started and left behind. Once this process is a
 * child subreaper, that orphan is reparented to us, so the kernel sends us SIGCHLD when it exits and keeps
 * it as our zombie until we `waitpid` it: its exit can be neither missed nor lost, whether it happens
 * before or after `wait()`.
 *
 * Every other process orphaned below us (a container's exec leaving `sleep 1 &` behind) is reparented to us
 * too and must be reaped, or it stays a zombie until the shim exits (issue 10; containerd's runc shim reaps
 * every child with `waitpid(-1)` in `pkg/sys/reaper`). But `waitpid(-1)` would steal the exits of the
 * processes libuv spawned (child_process), whose `exit` events would then never fire. So on every SIGCHLD:
 * 1. `waitpid(pid, WNOHANG)` for each pid we wait for (signals coalesce: each SIGCHLD checks every one);
 * 2. a sweep: `waitid(P_ALL, WEXITED | WNOHANG | WNOWAIT)` LOOKS at one exited child without reaping it;
 *    if its pid is one of Node's live children ({@link NodeChildren}) the sweep stops there (libuv reaps
 *    it, and its `exit` event runs the sweep again); otherwise that exact pid is reaped with a targeted
 *    `waitpid(pid)`, resolving our wait for it or remembering its status, and the sweep looks again.
 * There is no race between the look and the reap: both run in one synchronous call on the JS thread, the
 * only thread that spawns (so no pid becomes Node's in between) and the only one where libuv reaps (so the
 * zombie cannot vanish in between); and the reap names the pid looked at, never "any child".
 *
 * An orphan may exit before `wait(pid)` is registered (runhcs exec's helper ends before the pid file is
 * read). Its status is then kept among the last {@link MAX_REMEMBERED_EXITS} reaped statuses and handed to
 * the first `wait(pid)`; a pid that is running again when `wait` comes is a reuse, and its old status is
 * dropped. Registration checks once immediately (the pid may already be a zombie); the SIGCHLD listener is
 * installed before that check, so no exit can fall between the two. No timer anywhere.
 *
 * A pid that is not our child (ECHILD: the subreaper was not set early enough, or the process lives outside
 * our subtree) goes to the {@link PidfdWatcher} fallback, which knows when it exits but not its code.
 */
import { NotFoundError, UnavailableError } from "../errdefs.js";
import { type NodeChildren, nodeChildren } from "./node-children.js";
import { type ForeignWatcher, PidfdWatcher } from "./pidfd-watcher.js";
import type { Libc } from "./posix-libc.js";
import { type ExitInfo, type ProcessWaiter, UNKNOWN_EXIT_CODE } from "./types.js";

/** Where process-wide signal listeners go: `process` in production, an EventEmitter in tests. */
export interface SignalSource {
  on(event: "SIGCHLD", listener: () => void): unknown;
  off(event: "SIGCHLD", listener: () => void): unknown;
}

/** Options of {@link PosixProcessWaiter}. */
export interface PosixWaiterOptions {
  /** libc binding; the real one is loaded lazily at `init()`. */
  readonly libc: () => Libc;
  /** SIGCHLD source (default `process`). */
  readonly signals?: SignalSource;
  /** What to do with a pid that is not our child (default: watch it through pidfd, exit code unknown). */
  readonly foreign?: "pidfd" | "reject";
  /** Fallback watcher factory (tests). */
  readonly createForeignWatcher?: (libc: Libc) => ForeignWatcher;
  /** Clock (tests). */
  readonly now?: () => Date;
  /** Reap orphans that nobody waits for (default true; false leaves them zombies, as before issue 10). */
  readonly reapOrphans?: boolean;
  /** Node's own children, never reaped here (default: the `child_process` channel's, see node-children.ts). */
  readonly nodeChildren?: NodeChildren;
}

/** How many statuses of reaped orphans nobody waited for (yet) are kept for a late `wait(pid)`. */
export const MAX_REMEMBERED_EXITS = 1024;

/**
 * Decodes a raw wait status: a normal exit gives its status (0..255), a death by signal `128 + signo`
 * (what containerd's runc shim and shells report, e.g. 137 for SIGKILL).
 */
export function exitCodeFromWaitStatus(status: number): number {
  const termsig = status & 0x7f;
  if (termsig === 0) return (status >> 8) & 0xff;
  if (termsig !== 0x7f) return 128 + termsig;
  // 0x7f means stopped: waitpid without WUNTRACED never reports it. Treat it as unknown, defensively.
  return UNKNOWN_EXIT_CODE;
}

interface Pending {
  readonly promise: Promise<ExitInfo>;
  readonly resolve: (info: ExitInfo) => void;
  readonly reject: (err: Error) => void;
}

/** The posix waiter; one per process (it owns the process-wide subreaper flag). */
export class PosixProcessWaiter implements ProcessWaiter {
  readonly #options: PosixWaiterOptions;
  readonly #signals: SignalSource;
  readonly #now: () => Date;
  #libc: Libc | undefined;
  #foreign: ForeignWatcher | undefined;
  /** Whether `init()` turned the subreaper flag on (then `close()` turns it off again). */
  #setSubreaper = false;
  #closed = false;
  /** Pids we wait for as our children; guarded by the single JS thread, touched by wait/SIGCHLD/close. */
  readonly #children = new Map<number, Pending>();
  /** Pids handed to the foreign watcher, so concurrent waits for them share one result too. */
  readonly #foreignWaits = new Map<number, Promise<ExitInfo>>();
  /** Statuses of reaped orphans not waited for, oldest first (Map keeps insertion order). */
  readonly #remembered = new Map<number, ExitInfo>();
  #offNodeExit: (() => void) | undefined;
  readonly #onSigchld = (): void => {
    this.#reapAll();
    this.#sweep();
  };

  constructor(options: PosixWaiterOptions) {
    this.#options = options;
    this.#signals = options.signals ?? process;
    this.#now = options.now ?? (() => new Date());
  }

  init(): void {
    if (this.#libc) return;
    if (this.#closed) throw new UnavailableError("process waiter is closed");
    const libc = this.#options.libc();
    if (!libc.getChildSubreaper()) {
      libc.setChildSubreaper(true);
      this.#setSubreaper = true;
    }
    this.#signals.on("SIGCHLD", this.#onSigchld);
    this.#libc = libc;
    if (this.#options.reapOrphans !== false) {
      this.#offNodeExit = (this.#options.nodeChildren ?? nodeChildren).onExit(() => this.#sweep());
    }
  }

  get pending(): number {
    return this.#children.size + this.#foreignWaits.size;
  }

  wait(pid: number): Promise<ExitInfo> {
    const libc = this.#libc;
    if (!libc) throw new Error("ProcessWaiter.init() must be called before wait()");
    if (this.#closed) return Promise.reject(new UnavailableError("process waiter is closed"));
    if (!Number.isInteger(pid) || pid <= 0) return Promise.reject(new NotFoundError(`process ${pid}`));
    const shared = this.#children.get(pid)?.promise ?? this.#foreignWaits.get(pid);
    if (shared) return shared;

    const result = libc.waitpid(pid);
    const remembered = this.#remembered.get(pid);
    this.#remembered.delete(pid);
    if (result.kind === "status") return Promise.resolve(this.#exitInfo(result.status));
    if (result.kind === "not-child") {
      // Gone: reaped by our sweep before this wait (its status is remembered), or never our child.
      return remembered ? Promise.resolve(remembered) : this.#waitForeign(libc, pid);
    }
    // Running: a remembered status belonged to an earlier process with this pid.

    let resolve!: (info: ExitInfo) => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<ExitInfo>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#children.set(pid, { promise, resolve, reject });
    return promise;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#signals.off("SIGCHLD", this.#onSigchld);
    this.#offNodeExit?.();
    this.#remembered.clear();
    const err = new UnavailableError("process waiter is closed");
    for (const p of this.#children.values()) p.reject(err);
    this.#children.clear();
    this.#foreign?.close();
    if (this.#setSubreaper) this.#libc?.setChildSubreaper(false);
  }

  #reapAll(): void {
    const libc = this.#libc;
    if (!libc) return;
    for (const [pid, pending] of this.#children) {
      let result: ReturnType<Libc["waitpid"]>;
      try {
        result = libc.waitpid(pid);
      } catch (err: unknown) {
        this.#children.delete(pid);
        pending.reject(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      if (result.kind === "running") continue;
      this.#children.delete(pid);
      if (result.kind === "status") pending.resolve(this.#exitInfo(result.status));
      // Someone else reaped our child (a waitpid(-1) elsewhere in the process): the code is gone.
      else pending.resolve({ exitCode: UNKNOWN_EXIT_CODE, exitedAt: this.#now(), exitCodeUnknown: true });
    }
  }

  /** Reaps every exited child that is not Node's, until none is left or Node's is next (see the header). */
  #sweep(): void {
    const libc = this.#libc;
    if (!libc || this.#closed || this.#options.reapOrphans === false) return;
    let nodePids: ReadonlySet<number> | undefined;
    try {
      for (;;) {
        const look = libc.waitidPeek();
        if (look.kind !== "exited") return;
        nodePids ??= (this.#options.nodeChildren ?? nodeChildren).pids();
        if (nodePids.has(look.pid)) return;
        const reaped = libc.waitpid(look.pid);
        // It was a zombie a moment ago and only this thread reaps: anything else means someone else did.
        if (reaped.kind !== "status") return;
        const info = this.#exitInfo(reaped.status);
        const pending = this.#children.get(look.pid);
        if (pending) {
          this.#children.delete(look.pid);
          pending.resolve(info);
        } else {
          this.#remember(look.pid, info);
        }
      }
    } catch {
      // An unexpected errno: leave the rest for the next SIGCHLD rather than throw out of a signal listener.
    }
  }

  #remember(pid: number, info: ExitInfo): void {
    this.#remembered.delete(pid);
    this.#remembered.set(pid, info);
    if (this.#remembered.size > MAX_REMEMBERED_EXITS) {
      const oldest = this.#remembered.keys().next();
      if (!oldest.done) this.#remembered.delete(oldest.value);
    }
  }

  #waitForeign(libc: Libc, pid: number): Promise<ExitInfo> {
    if (this.#options.foreign === "reject") {
      return Promise.reject(new NotFoundError(`process ${pid} is not a child of the shim (${process.pid})`));
    }
    this.#foreign ??= (this.#options.createForeignWatcher ?? ((l: Libc) => new PidfdWatcher(l)))(libc);
    const promise = this.#foreign
      .watch(pid)
      .then((exitedAt): ExitInfo => ({ exitCode: UNKNOWN_EXIT_CODE, exitedAt, exitCodeUnknown: true }));
    this.#foreignWaits.set(pid, promise);
    const forget = (): void => {
      this.#foreignWaits.delete(pid);
    };
    promise.then(forget, forget);
    return promise;
  }

  #exitInfo(status: number): ExitInfo {
    return { exitCode: exitCodeFromWaitStatus(status), exitedAt: this.#now() };
  }
}
