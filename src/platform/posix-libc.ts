/**
 * The few libc calls Node does not expose, bound through koffi and loaded lazily (first use), so that
 * importing the platform layer never loads a native library (Windows, unit tests with fakes).
 *
 * Kept behind the {@link Libc} interface: the waiter and the pidfd watcher take it as a parameter, so a
 * test can substitute a fake for error paths (EINTR, ESRCH) that real processes cannot produce on demand.
 */
import { createRequire } from "node:module";

type Koffi = typeof import("koffi").default;

/** `waitpid(pid, WNOHANG)` outcome: the raw wait status, or why there is none. */
export type WaitpidResult =
  | { readonly kind: "status"; readonly status: number }
  | { readonly kind: "running" }
  /** ECHILD: `pid` is not (or no longer) a child of this process. */
  | { readonly kind: "not-child" };

/** `waitid(P_ALL, WEXITED | WNOHANG | WNOWAIT)` outcome: a look at one exited child, which stays a zombie. */
export type WaitidPeekResult =
  | { readonly kind: "exited"; readonly pid: number }
  /** Children exist but none has exited. */
  | { readonly kind: "none" }
  /** ECHILD: no children at all. */
  | { readonly kind: "no-children" };

/** `pidfd_open(pid)` outcome. */
export type PidfdResult =
  | { readonly kind: "fd"; readonly fd: number }
  /** ESRCH: no such process (never existed, or already gone and reaped by someone else). */
  | { readonly kind: "no-such-process" };

/** The libc surface used by the posix platform. Every method throws `LibcError` on unexpected errno. */
export interface Libc {
  /** `prctl(PR_GET_CHILD_SUBREAPER)`. */
  getChildSubreaper(): boolean;
  /** `prctl(PR_SET_CHILD_SUBREAPER, on)`. */
  setChildSubreaper(on: boolean): void;
  /** `waitpid(pid, &status, WNOHANG)`, retried on EINTR. Never called with pid <= 0. */
  waitpid(pid: number): WaitpidResult;
  /**
   * `waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT)`, retried on EINTR: the pid of one exited child,
   * left unreaped (the kernel returns the same one until it is reaped), so that the caller can decide whose
   * it is before reaping it with a targeted {@link Libc.waitpid}.
   */
  waitidPeek(): WaitidPeekResult;
  /** `pidfd_open(pid, 0)` (Linux 5.3+): an fd that becomes readable (POLLIN) when `pid` exits. */
  pidfdOpen(pid: number): PidfdResult;
  /** `eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)`: used to interrupt a blocking poll. */
  eventfd(): number;
  /** Adds 1 to an eventfd counter (wakes a poll on it). */
  eventfdSignal(fd: number): void;
  /** Reads (resets) an eventfd counter; harmless when it is zero. */
  eventfdDrain(fd: number): void;
  /** `close(fd)`. */
  close(fd: number): void;
  /**
   * `poll(fds, n, -1)` on a libuv thread-pool thread (koffi async): `pollfds` is a buffer of `struct pollfd`
   * (8 bytes: int fd, short events, short revents) that stays referenced until `done` runs.
   */
  pollAsync(pollfds: Buffer, count: number, done: (err: Error | null, ready: number) => void): void;
}

/** An unexpected errno from a libc call. */
export class LibcError extends Error {
  override name = "LibcError";
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`${call} failed with errno ${errno}`);
  }
}

const PR_SET_CHILD_SUBREAPER = 36;
const PR_GET_CHILD_SUBREAPER = 37;
const WNOHANG = 1;
const WEXITED = 4;
const WNOWAIT = 0x01000000;
const P_ALL = 0;
/** sizeof(siginfo_t) on Linux, every arch. */
const SIGINFO_BYTES = 128;
const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
const EINTR = 4;
const ESRCH = 3;
const ECHILD = 10;
const EAGAIN = 11;

let cached: Libc | undefined;

/** The real libc binding (glibc `libc.so.6`), created on first call and shared by the process. */
export function loadLibc(): Libc {
  cached ??= bindLibc(createRequire(import.meta.url)("koffi") as Koffi);
  return cached;
}

function bindLibc(koffi: Koffi): Libc {
  const lib = koffi.load("libc.so.6");
  const prctl = lib.func(
    "int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)",
  );
  const prctlGet = lib.func(
    "int prctl(int option, _Out_ int *value, unsigned long a3, unsigned long a4, unsigned long a5)",
  );
  const waitpid = lib.func("int waitpid(int pid, _Out_ int *status, int options)");
  const waitid = lib.func("int waitid(int idtype, unsigned int id, void *infop, int options)");
  const syscall = lib.func("long syscall(long number, ...)");
  const eventfd = lib.func("int eventfd(unsigned int initval, int flags)");
  const write = lib.func("long write(int fd, const void *buf, unsigned long count)");
  const read = lib.func("long read(int fd, _Out_ void *buf, unsigned long count)");
  const close = lib.func("int close(int fd)");
  const poll = lib.func("int poll(void *fds, unsigned long nfds, int timeout)");
  // pidfd_open has a glibc wrapper only since 2.36; the raw syscall number is the same on every arch (434).
  const SYS_pidfd_open = 434;

  const fail = (call: string): never => {
    throw new LibcError(call, koffi.errno());
  };
  const counter = Buffer.alloc(8);
  const siginfo = Buffer.alloc(SIGINFO_BYTES);
  // Native-endian int view. si_pid is the union's first field after si_signo, si_errno, si_code; the union
  // is pointer-aligned (byte 16 on 64-bit, 12 on 32-bit).
  const siginfoInts = new Int32Array(siginfo.buffer, siginfo.byteOffset, SIGINFO_BYTES / 4);
  const siPidIndex = koffi.sizeof("void *") === 8 ? 4 : 3;

  return {
    getChildSubreaper() {
      const out = [0];
      if (prctlGet(PR_GET_CHILD_SUBREAPER, out, 0, 0, 0) !== 0) fail("prctl(PR_GET_CHILD_SUBREAPER)");
      return out[0] !== 0;
    },
    setChildSubreaper(on) {
      if (prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0) !== 0) fail("prctl(PR_SET_CHILD_SUBREAPER)");
    },
    waitpid(pid) {
      if (!Number.isInteger(pid) || pid <= 0) throw new RangeError(`waitpid: bad pid ${pid}`);
      const status = [0];
      for (;;) {
        const r = waitpid(pid, status, WNOHANG) as number;
        if (r === pid) return { kind: "status", status: status[0] ?? 0 };
        if (r === 0) return { kind: "running" };
        const errno = koffi.errno();
        if (errno === EINTR) continue;
        if (errno === ECHILD) return { kind: "not-child" };
        throw new LibcError("waitpid", errno);
      }
    },
    waitidPeek() {
      for (;;) {
        // WNOHANG with nothing exited returns 0 and leaves si_pid as it was: zero it first.
        siginfo.fill(0);
        if ((waitid(P_ALL, 0, siginfo, WEXITED | WNOHANG | WNOWAIT) as number) === 0) {
          const pid = siginfoInts[siPidIndex] ?? 0;
          return pid > 0 ? { kind: "exited", pid } : { kind: "none" };
        }
        const errno = koffi.errno();
        if (errno === EINTR) continue;
        if (errno === ECHILD) return { kind: "no-children" };
        throw new LibcError("waitid", errno);
      }
    },
    pidfdOpen(pid) {
      const fd = Number(syscall(SYS_pidfd_open, "int", pid, "unsigned int", 0));
      if (fd >= 0) return { kind: "fd", fd };
      const errno = koffi.errno();
      if (errno === ESRCH) return { kind: "no-such-process" };
      throw new LibcError("pidfd_open", errno);
    },
    eventfd() {
      const fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) as number;
      return fd >= 0 ? fd : fail("eventfd");
    },
    eventfdSignal(fd) {
      counter.writeBigUInt64LE(1n);
      if (Number(write(fd, counter, 8)) !== 8) fail("write(eventfd)");
    },
    eventfdDrain(fd) {
      if (Number(read(fd, counter, 8)) < 0 && koffi.errno() !== EAGAIN) fail("read(eventfd)");
    },
    close(fd) {
      if (close(fd) !== 0 && koffi.errno() !== EINTR) fail("close");
    },
    pollAsync(pollfds, count, done) {
      poll.async(pollfds, count, -1, (err: unknown, ready: number) => {
        done(err instanceof Error ? err : err ? new Error(String(err)) : null, ready);
      });
    },
  };
}
