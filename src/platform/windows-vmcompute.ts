/**
 * The Host Compute Service calls that reach a container's process, as hcsshim declares them
 * (internal/vmcompute/vmcompute.go + zsyscall_windows.go), behind the small {@link Vmcompute} interface so
 * the logic above it is unit-tested on Linux with a fake. The real binding (koffi) is created lazily, on
 * Windows only: importing this module loads nothing.
 *
 * Conventions copied from hcsshim:
 * - Every call returns an HRESULT; `< 0` is a failure, and `0x8007xxxx` (facility Win32) is reported as the
 *   Win32 code `xxxx` (internal/interop/interop.go `Win32FromHresult`, the same test as mkwinsyscall's).
 * - The `PWSTR *result` out-parameter is a UTF-16 JSON document allocated by HCS with `CoTaskMemAlloc`; it
 *   is read and freed with `CoTaskMemFree` after EVERY call, successful or not
 *   (interop.ConvertAndFreeCoTaskMemString).
 * - vmcompute.dll is loaded from `%SystemRoot%\System32` by absolute path (hcsshim: `NewLazySystemDLL`),
 *   never through the DLL search path: the shim runs as SYSTEM, and a planted vmcompute.dll next to it or
 *   in the working directory must not be picked up.
 */
import { createRequire } from "node:module";

type Koffi = typeof import("koffi").default;
/** koffi's (unexported) TypeSpec: a type name, a type object or an in/out marker. */
type TypeSpec = Parameters<Koffi["out"]>[0];
type Signature = [result: TypeSpec, args: TypeSpec[]];

/** An opaque HCS_SYSTEM or HCS_PROCESS handle as the binding returns it. */
export type HcsHandle = unknown;

/** hcsshim internal/hcs/errors.go: the HRESULTs (as hcsshim keeps them after Win32FromHresult). */
export const HCS = {
  /** ErrComputeSystemDoesNotExist. */
  COMPUTE_SYSTEM_DOES_NOT_EXIST: 0xc037010e,
  /** ErrElementNotFound (`HRESULT_FROM_WIN32(ERROR_NOT_FOUND)` → 0x490). */
  ELEMENT_NOT_FOUND: 0x490,
  /** ErrVmcomputeAlreadyStopped. */
  VMCOMPUTE_ALREADY_STOPPED: 0xc0370110,
  /** ErrVmcomputeSystemAlreadyStopped. */
  VMCOMPUTE_SYSTEM_ALREADY_STOPPED: 0x80370110,
  /** ErrVmcomputeOperationInvalidState. */
  OPERATION_INVALID_STATE: 0xc0370105,
  /** ErrProcessAlreadyStopped. */
  PROCESS_ALREADY_STOPPED: 0x8037011f,
  /** ERROR_ACCESS_DENIED (from E_ACCESSDENIED 0x80070005). */
  ACCESS_DENIED: 5,
} as const;

/**
 * hcsshim interop.Win32FromHresult: an HRESULT of facility Win32 (`0x8007xxxx`, or any severity/flag bits
 * with facility 7) becomes its Win32 code; any other HRESULT stays as it is. Unsigned 32-bit either way.
 */
export function win32FromHresult(hr: number): number {
  const u = hr >>> 0;
  return (u & 0x1fff_0000) === 0x0007_0000 ? u & 0xffff : u;
}

/** A failed HCS call: the (Win32FromHresult-normalised) code and HCS's result document, if any. */
export class HcsError extends Error {
  override name = "HcsError";
  /** The failing function's name. */
  readonly call: string;
  /** The raw HRESULT, unsigned. */
  readonly hresult: number;
  /** {@link win32FromHresult} of it: what hcsshim compares with its `Err*` values. */
  readonly code: number;
  /** HCS's result JSON (`{"Error":…, "ErrorMessage":…}`) when it returned one. */
  readonly result: string | undefined;

  constructor(call: string, hresult: number, result?: string) {
    const code = win32FromHresult(hresult);
    super(`${call} failed with HRESULT 0x${(hresult >>> 0).toString(16).padStart(8, "0")}${detail(result)}`);
    this.call = call;
    this.hresult = hresult >>> 0;
    this.code = code;
    this.result = result || undefined;
  }
}

function detail(result: string | undefined): string {
  if (!result) return "";
  try {
    const message = (JSON.parse(result) as { ErrorMessage?: unknown }).ErrorMessage;
    if (typeof message === "string" && message) return `: ${message}`;
  } catch {}
  return `: ${result}`;
}

/** The vmcompute surface the shim needs. Failures throw {@link HcsError}. */
export interface Vmcompute {
  /** `HcsOpenComputeSystem(id, &system, &result)`. */
  openComputeSystem(id: string): HcsHandle;
  /** `HcsCloseComputeSystem(system)`. */
  closeComputeSystem(system: HcsHandle): void;
  /** `HcsOpenProcess(system, pid, &process, &result)`: `pid` is the process id INSIDE the container. */
  openProcess(system: HcsHandle, pid: number): HcsHandle;
  /** `HcsCloseProcess(process)`. */
  closeProcess(process: HcsHandle): void;
  /** `HcsTerminateProcess(process, &result)`. */
  terminateProcess(process: HcsHandle): void;
  /** `HcsSignalProcess(process, options, &result)`; `options` is hcsshim's SignalProcessOptions JSON. */
  signalProcess(process: HcsHandle, options: string): void;
}

/** `%SystemRoot%\System32\<dll>` (SystemRoot is always set for a Windows process; C:\Windows otherwise). */
export function system32Path(dll: string, env: NodeJS.ProcessEnv = process.env): string {
  const root = (env.SystemRoot ?? env.SYSTEMROOT ?? "C:\\Windows").replace(/\\+$/, "");
  return `${root}\\System32\\${dll}`;
}

/**
 * The vmcompute and CoTaskMemFree signatures, as data (parseable on any OS, so a Linux test checks them).
 * HRESULT is `int32_t`; HCS_SYSTEM / HCS_PROCESS are `void *`; PCWSTR is `str16`; `PWSTR *result` is an
 * out `void *` read by hand so that it can be freed with CoTaskMemFree.
 */
export function vmcomputeSignatures(koffi: Koffi) {
  const outHandle = koffi.out(koffi.pointer("void *"));
  const outResult = koffi.out(koffi.pointer("void *"));
  return {
    vmcompute: {
      HcsOpenComputeSystem: ["int32_t", ["str16", outHandle, outResult]],
      HcsCloseComputeSystem: ["int32_t", ["void *"]],
      HcsOpenProcess: ["int32_t", ["void *", "uint32_t", outHandle, outResult]],
      HcsCloseProcess: ["int32_t", ["void *"]],
      HcsTerminateProcess: ["int32_t", ["void *", outResult]],
      HcsSignalProcess: ["int32_t", ["void *", "str16", outResult]],
    } satisfies Record<string, Signature>,
    com: {
      CoTaskMemFree: ["void", ["void *"]],
    } satisfies Record<string, Signature>,
  };
}

let cached: Vmcompute | undefined;

/**
 * The real binding, created on first use (Windows only). Throws when vmcompute.dll cannot be loaded
 * (the Containers feature is not installed) — the caller reports that as a failed precondition.
 */
export function loadVmcompute(): Vmcompute {
  cached ??= bindVmcompute(createRequire(import.meta.url)("koffi") as Koffi);
  return cached;
}

/**
 * Binds {@link Vmcompute} from `library` (absolute path) and CoTaskMemFree from `comLibrary` (ole32.dll,
 * which forwards to the allocator of api-ms-win-core-com-l1-1-0 that hcsshim calls).
 */
export function bindVmcompute(
  koffi: Koffi,
  library = system32Path("vmcompute.dll"),
  comLibrary = system32Path("ole32.dll"),
): Vmcompute {
  const dll = koffi.load(library);
  const com = koffi.load(comLibrary);
  const sig = vmcomputeSignatures(koffi);
  const fn = (name: keyof typeof sig.vmcompute) => {
    const [result, args]: Signature = sig.vmcompute[name];
    return dll.func("__stdcall", name, result, args);
  };
  const [freeResult, freeArgs]: Signature = sig.com.CoTaskMemFree;
  const CoTaskMemFree = com.func("__stdcall", "CoTaskMemFree", freeResult, freeArgs);
  const OpenComputeSystem = fn("HcsOpenComputeSystem");
  const CloseComputeSystem = fn("HcsCloseComputeSystem");
  const OpenProcess = fn("HcsOpenProcess");
  const CloseProcess = fn("HcsCloseProcess");
  const TerminateProcess = fn("HcsTerminateProcess");
  const SignalProcess = fn("HcsSignalProcess");

  /** Reads and frees the result string (interop.ConvertAndFreeCoTaskMemString); "" for NULL. */
  const takeResult = (out: unknown[]): string => {
    const ptr = out[0];
    out[0] = null;
    if (ptr === null || ptr === undefined) return "";
    try {
      return koffi.decode(ptr, "char16_t", -1) as string;
    } finally {
      CoTaskMemFree(ptr);
    }
  };
  /** Runs one HCS call with a result out-parameter: always frees the result, throws on HRESULT < 0. */
  const call = (name: string, invoke: (result: unknown[]) => number): void => {
    const result: unknown[] = [null];
    let hr = 0;
    let text = "";
    try {
      hr = invoke(result);
    } finally {
      // Freed even if the call threw after HCS filled the out-parameter.
      text = takeResult(result);
    }
    if (hr < 0) throw new HcsError(name, hr, text);
  };
  const close = (name: string, h: HcsHandle, f: (h: HcsHandle) => number): void => {
    const hr = f(h);
    if (hr < 0) throw new HcsError(name, hr);
  };

  return {
    openComputeSystem(id) {
      const handle: unknown[] = [null];
      call("HcsOpenComputeSystem", (r) => OpenComputeSystem(id, handle, r) as number);
      return handle[0];
    },
    closeComputeSystem(system) {
      close("HcsCloseComputeSystem", system, (h) => CloseComputeSystem(h) as number);
    },
    openProcess(system, pid) {
      const handle: unknown[] = [null];
      call("HcsOpenProcess", (r) => OpenProcess(system, pid >>> 0, handle, r) as number);
      return handle[0];
    },
    closeProcess(process) {
      close("HcsCloseProcess", process, (h) => CloseProcess(h) as number);
    },
    terminateProcess(process) {
      call("HcsTerminateProcess", (r) => TerminateProcess(process, r) as number);
    },
    signalProcess(process, options) {
      call("HcsSignalProcess", (r) => SignalProcess(process, options, r) as number);
    },
  };
}
