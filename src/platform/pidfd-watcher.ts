/**
 * posix fallback for a pid that is NOT our child: learn WHEN it exits, through a pidfd.
 *
 * Limits (why this is only a fallback):
 * - The exit code is unknowable: Linux gives a process's exit status only to its parent (or a ptrace
 *   tracer), and `waitid(P_PIDFD)` also works only for children. The waiter reports `UNKNOWN_EXIT_CODE`.
 * - Node cannot watch an arbitrary fd for readability (no `uv_poll_t` in the public API, and
 *   `net.Socket` rejects a pidfd), so one blocking `poll()` runs on a libuv thread-pool thread (koffi async)
 *   over ALL watched pidfds plus an eventfd used to interrupt it when the set changes. It holds exactly one
 *   of the pool's threads (4 by default) while at least one foreign wait is pending, none otherwise.
 * - Unlike the SIGCHLD path, the running poll (a pending koffi async call) keeps the event loop alive
 *   until the last watched process exits or `close()` interrupts it.
 * - `exitedAt` is when the poll returned and the event loop ran the completion (milliseconds late at most).
 * - Needs Linux 5.3+ (pidfd_open); a pid that is already gone when `watch` runs cannot be told apart from
 *   one that never existed, and is reported as `NotFoundError`.
 */
import { NotFoundError, UnavailableError } from "../errdefs.js";
import type { Libc } from "./posix-libc.js";

/** Watches processes that are not our children; resolves with the time the exit was seen. */
export interface ForeignWatcher {
  watch(pid: number): Promise<Date>;
  /** Rejects pending watches with `UnavailableError`; fds are closed once the running poll returns. */
  close(): void;
}

const POLLFD_BYTES = 8;
const POLLIN = 0x1;
/** Consecutive failed polls (e.g. EINTR storms) tolerated before giving up on every watch. */
const MAX_POLL_FAILURES = 100;

interface Watch {
  readonly pid: number;
  readonly fd: number;
  readonly resolve: (at: Date) => void;
  readonly reject: (err: Error) => void;
}

/** The pidfd + thread-pool `poll()` implementation of {@link ForeignWatcher}. */
export class PidfdWatcher implements ForeignWatcher {
  readonly #libc: Libc;
  readonly #now: () => Date;
  /** Watches by pidfd; guarded by the JS thread; fds are closed only while no poll is running. */
  readonly #watches = new Map<number, Watch>();
  #wakeFd = -1;
  #polling = false;
  #failures = 0;
  #closed = false;

  constructor(libc: Libc, now: () => Date = () => new Date()) {
    this.#libc = libc;
    this.#now = now;
  }

  watch(pid: number): Promise<Date> {
    if (this.#closed) return Promise.reject(new UnavailableError("process waiter is closed"));
    let opened: ReturnType<Libc["pidfdOpen"]>;
    try {
      opened = this.#libc.pidfdOpen(pid);
    } catch (err: unknown) {
      return Promise.reject(err);
    }
    if (opened.kind === "no-such-process") return Promise.reject(new NotFoundError(`process ${pid}`));
    const { fd } = opened;
    return new Promise<Date>((resolve, reject) => {
      this.#watches.set(fd, { pid, fd, resolve, reject });
      this.#kick();
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const err = new UnavailableError("process waiter is closed");
    for (const w of this.#watches.values()) w.reject(err);
    if (this.#polling) this.#libc.eventfdSignal(this.#wakeFd);
    else this.#release();
  }

  /** Makes the poll (re)start with the current set: start it, or interrupt the running one. */
  #kick(): void {
    if (this.#polling) {
      this.#libc.eventfdSignal(this.#wakeFd);
      return;
    }
    if (this.#wakeFd < 0) this.#wakeFd = this.#libc.eventfd();
    this.#poll();
  }

  #poll(): void {
    const fds = [this.#wakeFd, ...this.#watches.keys()];
    const buf = Buffer.alloc(fds.length * POLLFD_BYTES);
    fds.forEach((fd, i) => {
      buf.writeInt32LE(fd, i * POLLFD_BYTES);
      buf.writeInt16LE(POLLIN, i * POLLFD_BYTES + 4);
    });
    this.#polling = true;
    this.#libc.pollAsync(buf, fds.length, (err, ready) => {
      this.#polling = false;
      this.#afterPoll(buf, fds, err === null && ready >= 0);
    });
  }

  #afterPoll(buf: Buffer, fds: number[], ok: boolean): void {
    if (this.#closed) {
      this.#release();
      return;
    }
    this.#failures = ok ? 0 : this.#failures + 1;
    if (this.#failures > MAX_POLL_FAILURES) {
      const err = new UnavailableError("poll() on pidfds keeps failing");
      for (const w of this.#watches.values()) w.reject(err);
      this.#release();
      return;
    }
    const at = this.#now();
    fds.forEach((fd, i) => {
      const revents = buf.readInt16LE(i * POLLFD_BYTES + 6);
      if (revents === 0) return;
      if (fd === this.#wakeFd) {
        this.#libc.eventfdDrain(fd);
        return;
      }
      const w = this.#watches.get(fd);
      if (!w) return;
      this.#watches.delete(fd);
      this.#libc.close(fd);
      w.resolve(at);
    });
    if (this.#watches.size > 0) this.#poll();
    else this.#release();
  }

  /** Closes every fd; only called while no poll is running. */
  #release(): void {
    for (const fd of this.#watches.keys()) this.#libc.close(fd);
    this.#watches.clear();
    if (this.#wakeFd >= 0) this.#libc.close(this.#wakeFd);
    this.#wakeFd = -1;
  }
}
