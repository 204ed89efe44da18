/**
 * posix {@link ProcessWaiter}: exact exit codes of processes we did not spawn, via the child subreaper.
 *
 * The pid runhcs writes is a helper that `runhcs create` started and left behind. Once this process is a
 * child subreaper, that orphan is reparented to us, so the kernel sends us SIGCHLD when it exits and keeps
 * it as our zombie until we `waitpid` it: its exit can be neither missed nor lost, whether it happens
 * before or after `wait()`.
 *
 * On every SIGCHLD we call `waitpid(pid, WNOHANG)` for each pid we wait for, and only for those:
 * `waitpid(-1)` would steal the exits of the processes libuv spawned (child_process), whose `exit` events
 * would then never fire. Signals coalesce, so each SIGCHLD checks every pending pid. Registration checks
 * once immediately (the pid may already be a zombie); the SIGCHLD listener is installed before that check,
 * so no exit can fall between the two. No timer anywhere.
 *
 * A pid that is not our child (ECHILD: the subreaper was not set early enough, or the process lives outside
 * our subtree) goes to the {@link PidfdWatcher} fallback, which knows when it exits but not its code.
 */
import { NotFoundError, UnavailableError } from "../errdefs.js";
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
}

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
  readonly #onSigchld = (): void => this.#reapAll();

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
    if (result.kind === "status") return Promise.resolve(this.#exitInfo(result.status));
    if (result.kind === "not-child") return this.#waitForeign(libc, pid);

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
