/**
 * Fake {@link Kernel32} for the Windows waiter and process tree: a table of "processes" the test makes
 * exit, with the bookkeeping a real kernel does (handles open, waits registered), so tests can assert
 * nothing leaks.
 */
import {
  ERROR_INVALID_PARAMETER,
  type Kernel32,
  Win32Error,
  type Win32Handle,
} from "../../../src/platform/windows-kernel32.js";

interface FakeProcess {
  exitCode: number | undefined;
  readonly createdAt: Date;
}

interface FakeHandle {
  readonly kind: "process" | "wait";
  readonly pid: number;
  closed: boolean;
}

export class FakeKernel32 implements Kernel32 {
  readonly processes = new Map<number, FakeProcess>();
  readonly handles: FakeHandle[] = [];
  readonly #waits = new Map<FakeHandle, { pid: number; onSignaled: () => void; fired: boolean }>();
  /** Calls in order, for assertions like "OpenProcess ran inside wait()". */
  readonly calls: string[] = [];
  failRegisterWait = false;
  /** Pids whose OpenProcess fails with ERROR_ACCESS_DENIED (protected or foreign processes). */
  readonly denied = new Set<number>();
  /** When set, GetProcessTimes fails with this Win32 error. */
  failProcessTimes: number | undefined;

  /** A live process with this pid, created at `createdAt`. */
  spawn(pid: number, createdAt = new Date()): void {
    this.processes.set(pid, { exitCode: undefined, createdAt });
  }

  /** The process exits: every registered wait on it fires on a later turn, as the thread pool would. */
  exit(pid: number, code: number): void {
    const p = this.processes.get(pid);
    if (!p) throw new Error(`no fake process ${pid}`);
    p.exitCode = code;
    for (const [h, w] of this.#waits) this.#fireLater(h, w);
  }

  /** Handles that are still open. */
  get openHandles(): number {
    return this.handles.filter((h) => !h.closed).length;
  }

  openProcess(pid: number): Win32Handle {
    this.calls.push(`OpenProcess(${pid})`);
    if (!this.processes.has(pid)) throw new Win32Error("OpenProcess", ERROR_INVALID_PARAMETER);
    const h: FakeHandle = { kind: "process", pid, closed: false };
    this.handles.push(h);
    return h;
  }

  registerWait(process: Win32Handle, onSignaled: () => void): Win32Handle {
    const ph = this.#live(process, "process");
    this.calls.push(`RegisterWaitForSingleObject(${ph.pid})`);
    if (this.failRegisterWait) throw new Win32Error("RegisterWaitForSingleObject", 8);
    const h: FakeHandle = { kind: "wait", pid: ph.pid, closed: false };
    this.handles.push(h);
    const w = { pid: ph.pid, onSignaled, fired: false };
    this.#waits.set(h, w);
    // An already exited process is signaled: the wait fires right away.
    this.#fireLater(h, w);
    return h;
  }

  unregisterWait(wait: Win32Handle): void {
    const h = this.#live(wait, "wait");
    this.calls.push(`UnregisterWait(${h.pid})`);
    h.closed = true;
    this.#waits.delete(h);
  }

  getExitCodeProcess(process: Win32Handle): number {
    const h = this.#live(process, "process");
    this.calls.push(`GetExitCodeProcess(${h.pid})`);
    return this.processes.get(h.pid)?.exitCode ?? 259; // STILL_ACTIVE
  }

  closeHandle(handle: Win32Handle): void {
    const h = this.#live(handle, "process");
    this.calls.push(`CloseHandle(${h.pid})`);
    h.closed = true;
  }

  processCreationTime(pid: number): Date | undefined {
    this.calls.push(`GetProcessTimes(${pid})`);
    if (this.denied.has(pid)) return undefined; // ERROR_ACCESS_DENIED
    const p = this.processes.get(pid);
    if (!p) return undefined; // ERROR_INVALID_PARAMETER
    if (this.failProcessTimes !== undefined) throw new Win32Error("GetProcessTimes", this.failProcessTimes);
    return p.exitCode === undefined ? p.createdAt : undefined; // an exit time → no process any more
  }

  #fireLater(h: FakeHandle, w: { pid: number; onSignaled: () => void; fired: boolean }): void {
    if (w.fired || this.processes.get(w.pid)?.exitCode === undefined) return;
    w.fired = true;
    setImmediate(() => {
      if (!h.closed) w.onSignaled();
    });
  }

  #live(handle: Win32Handle, kind: FakeHandle["kind"]): FakeHandle {
    const h = handle as FakeHandle;
    if (!this.handles.includes(h) || h.kind !== kind) throw new Error(`not a ${kind} handle`);
    if (h.closed) throw new Win32Error("use of a closed handle", 6);
    return h;
  }
}
