/**
 * Windows {@link ProcessWaiter}: a process handle opened at registration, a thread-pool wait, then
 * `GetExitCodeProcess`.
 *
 * Opening the handle inside `wait()` itself (synchronously, right after the pid file was read) is what
 * keeps the exit code: while we hold a handle, Windows keeps the process object (and its exit code) and
 * cannot reuse the pid. The wait is `RegisterWaitForSingleObject`: the system's wait threads watch up to
 * 63 handles each, so nothing holds a thread per process. The alternative, a blocking
 * `WaitForSingleObject` in koffi's async mode, would pin one libuv pool thread (4 by default) per process:
 * the fifth container would starve every file system call of the shim.
 */
import { NotFoundError, UnavailableError } from "../errdefs.js";
import type { ExitInfo, ProcessWaiter } from "./types.js";
import { ERROR_INVALID_PARAMETER, type Kernel32, Win32Error, type Win32Handle } from "./windows-kernel32.js";

/** Options of {@link WindowsProcessWaiter}. */
export interface WindowsWaiterOptions {
  /** kernel32 binding, resolved at `init()` (the real one is loaded lazily, on Windows only). */
  readonly kernel32: () => Kernel32;
  /** Clock (tests). */
  readonly now?: () => Date;
}

interface Entry {
  readonly process: Win32Handle;
  wait: Win32Handle | undefined;
  readonly promise: Promise<ExitInfo>;
  readonly resolve: (info: ExitInfo) => void;
  readonly reject: (err: Error) => void;
}

/** The Windows waiter. */
export class WindowsProcessWaiter implements ProcessWaiter {
  readonly #options: WindowsWaiterOptions;
  readonly #now: () => Date;
  #k32: Kernel32 | undefined;
  #closed = false;
  /** Waits by pid; guarded by the JS thread (kernel32 callbacks arrive through the event loop). */
  readonly #entries = new Map<number, Entry>();

  constructor(options: WindowsWaiterOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  init(): void {
    if (this.#closed) throw new UnavailableError("process waiter is closed");
    this.#k32 ??= this.#options.kernel32();
  }

  get pending(): number {
    return this.#entries.size;
  }

  wait(pid: number): Promise<ExitInfo> {
    const k32 = this.#k32;
    if (!k32) throw new Error("ProcessWaiter.init() must be called before wait()");
    if (this.#closed) return Promise.reject(new UnavailableError("process waiter is closed"));
    if (!Number.isInteger(pid) || pid <= 0) return Promise.reject(new NotFoundError(`process ${pid}`));
    const shared = this.#entries.get(pid);
    if (shared) return shared.promise;

    let process: Win32Handle;
    try {
      process = k32.openProcess(pid);
    } catch (err: unknown) {
      if (err instanceof Win32Error && err.code === ERROR_INVALID_PARAMETER) {
        return Promise.reject(new NotFoundError(`process ${pid}`, { cause: err }));
      }
      return Promise.reject(err);
    }
    let resolve!: (info: ExitInfo) => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<ExitInfo>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Entry = { process, wait: undefined, promise, resolve, reject };
    this.#entries.set(pid, entry);
    try {
      entry.wait = k32.registerWait(process, () => this.#onExit(pid, entry));
    } catch (err: unknown) {
      this.#release(k32, pid, entry);
      reject(err instanceof Error ? err : new Error(String(err)));
    }
    return promise;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const k32 = this.#k32;
    if (!k32) return;
    const err = new UnavailableError("process waiter is closed");
    for (const [pid, entry] of [...this.#entries]) {
      this.#release(k32, pid, entry);
      entry.reject(err);
    }
  }

  #onExit(pid: number, entry: Entry): void {
    const k32 = this.#k32;
    if (!k32 || this.#entries.get(pid) !== entry) return; // closed meanwhile
    let code: number;
    try {
      code = k32.getExitCodeProcess(entry.process);
    } catch (err: unknown) {
      this.#release(k32, pid, entry);
      entry.reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const exitedAt = this.#now();
    this.#release(k32, pid, entry);
    entry.resolve({ exitCode: code, exitedAt });
  }

  /** Unregisters the wait, then closes the process handle; errors here cannot change the outcome. */
  #release(k32: Kernel32, pid: number, entry: Entry): void {
    this.#entries.delete(pid);
    try {
      if (entry.wait !== undefined) k32.unregisterWait(entry.wait);
    } finally {
      k32.closeHandle(entry.process);
    }
  }
}
