/**
 * The kernel32 calls the Windows waiter and process tree need, behind the small {@link Kernel32}
 * interface so they are unit-tested on Linux with a fake. The real binding (koffi) is created lazily, on
 * Windows only.
 *
 * Not verifiable on the Linux build machine: written against the documented Win32 signatures and koffi's
 * documented callback behaviour (a registered callback invoked from a foreign thread is queued to the
 * JS main thread; that foreign thread waits until the JS function returns).
 */
import { createRequire } from "node:module";

type Koffi = typeof import("koffi").default;
/** koffi's (unexported) TypeSpec: a type name, a type object or an in/out marker. */
type TypeSpec = Parameters<Koffi["out"]>[0];
type Signature = [result: TypeSpec, args: TypeSpec[]];

/** An opaque Win32 HANDLE as the binding returns it. */
export type Win32Handle = unknown;

/** A failed Win32 call with its `GetLastError()` code. */
export class Win32Error extends Error {
  override name = "Win32Error";
  constructor(
    readonly call: string,
    readonly code: number,
  ) {
    super(`${call} failed with Win32 error ${code}`);
  }
}

/** `ERROR_INVALID_PARAMETER`: what `OpenProcess` returns for a pid with no process. */
export const ERROR_INVALID_PARAMETER = 87;
/** `ERROR_ACCESS_DENIED`. */
export const ERROR_ACCESS_DENIED = 5;

/** The kernel32 surface of the waiter and the process tree. Failures throw {@link Win32Error}. */
export interface Kernel32 {
  /** `OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid)`. */
  openProcess(pid: number): Win32Handle;
  /**
   * `RegisterWaitForSingleObject(&wait, process, cb, ctx, INFINITE, WT_EXECUTEONLYONCE)`: the system
   * thread pool waits (one wait thread serves up to 63 handles, so no thread per process) and
   * `onSignaled` then runs once on the JS main thread. Returns the wait handle.
   */
  registerWait(process: Win32Handle, onSignaled: () => void): Win32Handle;
  /**
   * `UnregisterWait(wait)`: required even after a WT_EXECUTEONLYONCE wait fired. Non-blocking (unlike
   * `UnregisterWaitEx(INVALID_HANDLE_VALUE)`, which could deadlock with a callback queued to our thread).
   */
  unregisterWait(wait: Win32Handle): void;
  /** `GetExitCodeProcess(process, &code)`: the unsigned 32-bit exit code. */
  getExitCodeProcess(process: Win32Handle): number;
  /** `CloseHandle(h)`. */
  closeHandle(handle: Win32Handle): void;
  /**
   * When the process `pid` names now was created: `OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION)` (the
   * least access there is, granted even for most processes of other users), `GetProcessTimes`,
   * `CloseHandle`. `undefined` when there is no such process (`ERROR_INVALID_PARAMETER`), it may not be
   * opened (`ERROR_ACCESS_DENIED`, protected processes), or it has exited (a non-zero exit time: the
   * object of an exited process lives on while anyone holds a handle, and under Wine for a moment after
   * the last one closed). Other failures throw.
   */
  processCreationTime(pid: number): Date | undefined;
}

/** A Win32 `FILETIME`: a 64-bit count of 100 ns intervals since 1601-01-01 UTC, as two DWORDs. */
export interface FileTime {
  readonly dwLowDateTime: number;
  readonly dwHighDateTime: number;
}

/** 100 ns intervals from 1601-01-01 to 1970-01-01 (both UTC). */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

/**
 * A `FILETIME` as a `Date` (millisecond precision, truncated), or `undefined` for the zero FILETIME,
 * which Windows reports for a time it does not have (the idle process's creation).
 */
export function fileTimeToDate(ft: FileTime): Date | undefined {
  const ticks = (BigInt(ft.dwHighDateTime >>> 0) << 32n) | BigInt(ft.dwLowDateTime >>> 0);
  if (ticks === 0n) return undefined;
  return new Date(Number((ticks - FILETIME_UNIX_EPOCH) / 10_000n));
}

const SYNCHRONIZE = 0x0010_0000;
const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
const INFINITE = 0xffff_ffff;
const WT_EXECUTEONLYONCE = 0x8;
const ERROR_IO_PENDING = 997;

let cached: Kernel32 | undefined;

/** The real kernel32 binding, created on first use (Windows only). */
export function loadKernel32(): Kernel32 {
  cached ??= bindKernel32(createRequire(import.meta.url)("koffi") as Koffi);
  return cached;
}

/**
 * The kernel32 signatures, as data: built from unnamed koffi types (no global type names, so declaring
 * them can never clash), and parseable on any OS, which lets a Linux test check them.
 * HANDLE is `void *`; BOOL is `int`; DWORD is `uint32_t`; the callback context is a plain integer.
 */
export function kernel32Signatures(koffi: Koffi) {
  const waitCallback = koffi.proto("__stdcall", null, "void", ["uintptr_t", "uint8_t"]);
  const fileTime = koffi.pointer(koffi.struct({ dwLowDateTime: "uint32_t", dwHighDateTime: "uint32_t" }));
  return {
    waitCallback,
    functions: {
      OpenProcess: ["void *", ["uint32_t", "int", "uint32_t"]],
      RegisterWaitForSingleObject: [
        "int",
        [
          koffi.out(koffi.pointer("void *")),
          "void *",
          koffi.pointer(waitCallback),
          "uintptr_t",
          "uint32_t",
          "uint32_t",
        ],
      ],
      UnregisterWait: ["int", ["void *"]],
      GetExitCodeProcess: ["int", ["void *", koffi.out(koffi.pointer("uint32_t"))]],
      CloseHandle: ["int", ["void *"]],
      // (process, &creation, &exit, &kernel, &user)
      GetProcessTimes: [
        "int",
        ["void *", koffi.out(fileTime), koffi.out(fileTime), koffi.out(fileTime), koffi.out(fileTime)],
      ],
      GetLastError: ["uint32_t", []],
    } satisfies Record<string, Signature>,
  };
}

/**
 * Binds {@link Kernel32} from `library` (kernel32.dll; a test passes a stand-in library with the same
 * exports to exercise this code, including callbacks fired from a foreign thread, on Linux).
 */
export function bindKernel32(koffi: Koffi, library = "kernel32.dll"): Kernel32 {
  const k32 = koffi.load(library);
  const { waitCallback, functions } = kernel32Signatures(koffi);
  const fn = (name: keyof typeof functions) => {
    const [result, args]: Signature = functions[name];
    return k32.func("__stdcall", name, result, args);
  };
  const OpenProcess = fn("OpenProcess");
  const RegisterWait = fn("RegisterWaitForSingleObject");
  const UnregisterWait = fn("UnregisterWait");
  const GetExitCodeProcess = fn("GetExitCodeProcess");
  const CloseHandle = fn("CloseHandle");
  const GetProcessTimes = fn("GetProcessTimes");
  const GetLastError = fn("GetLastError");

  // One registered callback for every wait (koffi has a limited number of slots); the context number
  // routes each firing to its JS listener. Lives as long as the process.
  const listeners = new Map<number, () => void>();
  const contexts = new Map<Win32Handle, number>();
  let nextContext = 1;
  const trampoline = koffi.register((context: number | bigint) => {
    const key = Number(context);
    const listener = listeners.get(key);
    listeners.delete(key);
    // Leave the thread-pool thread as soon as possible: the listener runs on a later turn.
    if (listener) setImmediate(listener);
  }, koffi.pointer(waitCallback));

  const fail = (call: string): never => {
    throw new Win32Error(call, GetLastError() as number);
  };

  return {
    openProcess(pid) {
      const h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
      return h === null ? fail("OpenProcess") : h;
    },
    registerWait(process, onSignaled) {
      const context = nextContext++;
      listeners.set(context, onSignaled);
      const out: unknown[] = [null];
      if (!RegisterWait(out, process, trampoline, context, INFINITE, WT_EXECUTEONLYONCE)) {
        listeners.delete(context);
        fail("RegisterWaitForSingleObject");
      }
      contexts.set(out[0], context);
      return out[0];
    },
    unregisterWait(wait) {
      const context = contexts.get(wait);
      contexts.delete(wait);
      if (context !== undefined) listeners.delete(context);
      if (!UnregisterWait(wait)) {
        const code = GetLastError() as number;
        if (code !== ERROR_IO_PENDING) throw new Win32Error("UnregisterWait", code);
      }
    },
    getExitCodeProcess(process) {
      const out = [0];
      if (!GetExitCodeProcess(process, out)) fail("GetExitCodeProcess");
      return (out[0] ?? 0) >>> 0;
    },
    closeHandle(handle) {
      if (!CloseHandle(handle)) fail("CloseHandle");
    },
    processCreationTime(pid) {
      const h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
      if (h === null) {
        const code = GetLastError() as number;
        if (code === ERROR_INVALID_PARAMETER || code === ERROR_ACCESS_DENIED) return undefined;
        throw new Win32Error("OpenProcess", code);
      }
      try {
        // koffi fills each object from its FILETIME; kernel and user times are not used.
        const creation: Partial<FileTime> = {};
        const exit: Partial<FileTime> = {};
        if (!GetProcessTimes(h, creation, exit, {}, {})) fail("GetProcessTimes");
        if (exit.dwLowDateTime || exit.dwHighDateTime) return undefined; // exited: no process any more
        return fileTimeToDate({
          dwLowDateTime: creation.dwLowDateTime ?? 0,
          dwHighDateTime: creation.dwHighDateTime ?? 0,
        });
      } finally {
        CloseHandle(h);
      }
    },
  };
}
