/**
 * The Win32 calls behind {@link SecurePipeServer} (`windows-pipe-server.ts`), bound with koffi on first use
 * (Windows only), behind the small {@link PipeApi} interface so the server's logic is unit-tested on Linux
 * with a recording fake.
 *
 * - kernel32: `CreateNamedPipeW`, `ConnectNamedPipe` (overlapped, with a manual-reset event),
 *   `GetOverlappedResult`, `CancelIoEx`, `CreateEventW`, `CloseHandle`, `LocalFree`.
 * - advapi32: `ConvertStringSecurityDescriptorToSecurityDescriptorW` (the descriptor is `LocalFree`d).
 * - node.exe itself: `uv_open_osfhandle`, the libuv export that wraps the C runtime's `_open_osfhandle`.
 *   node.exe links the C runtime statically (it imports no `ucrtbase.dll`/`api-ms-win-crt-*`), so the
 *   descriptor table libuv reads with `_get_osfhandle` is node.exe's private one: only a function inside
 *   node.exe can turn a HANDLE into a descriptor `net.Socket({ fd })` accepts, and node.exe exports the
 *   whole libuv API for addons. `koffi.load(null)` is `GetModuleHandle(NULL)`: the running executable,
 *   node.exe or this shim's single executable (the same binary plus a resource).
 */
import { createRequire } from "node:module";
import { Socket } from "node:net";
import { Win32Error, type Win32Handle } from "./windows-kernel32.js";

type Koffi = typeof import("koffi").default;

/** `ERROR_IO_PENDING`: the overlapped ConnectNamedPipe waits for a client. */
export const ERROR_IO_PENDING = 997;
/** `ERROR_PIPE_CONNECTED`: a client connected between CreateNamedPipeW and ConnectNamedPipe. */
export const ERROR_PIPE_CONNECTED = 535;

/** An overlapped ConnectNamedPipe in flight: its OVERLAPPED block (with `event` in hEvent) and event. */
export interface PendingConnect {
  readonly overlapped: unknown;
  readonly event: Win32Handle;
}

/** The arguments of one CreateNamedPipeW call (recorded by the Linux test's fake). */
export interface CreatePipeArgs {
  readonly name: string;
  readonly openMode: number;
  readonly pipeMode: number;
  readonly maxInstances: number;
  readonly bufferSize: number;
  /** The security descriptor for SECURITY_ATTRIBUTES (from {@link PipeApi.securityDescriptor}). */
  readonly securityDescriptor: unknown;
}

/** The Win32 surface of the secure pipe server. Failures throw `Win32Error`. */
export interface PipeApi {
  /** SDDL → self-relative security descriptor (release with {@link PipeApi.freeSecurityDescriptor}). */
  securityDescriptor(sddl: string): unknown;
  freeSecurityDescriptor(sd: unknown): void;
  createNamedPipe(args: CreatePipeArgs): Win32Handle;
  /**
   * Starts an overlapped ConnectNamedPipe. Returns the pending operation, or `"connected"` when a client
   * is connected already (ERROR_PIPE_CONNECTED, or an immediate success).
   */
  connect(pipe: Win32Handle): PendingConnect | "connected";
  /** GetOverlappedResult(wait = `wait`): true when the client is connected; false when it failed/was cancelled. */
  finishConnect(pipe: Win32Handle, op: PendingConnect, wait: boolean): boolean;
  /** CancelIoEx of the pending connect. */
  cancel(pipe: Win32Handle, op: PendingConnect): void;
  /** Releases the event and the OVERLAPPED block (only once the operation completed). */
  release(op: PendingConnect): void;
  closeHandle(handle: Win32Handle): void;
  /** Hands a connected server-end instance to libuv: a `net.Socket` that owns the handle from now on. */
  adopt(pipe: Win32Handle): Socket;
}

let cached: PipeApi | undefined;

/** The real binding, created on first use (Windows only). */
export function loadPipeApi(): PipeApi {
  cached ??= bindPipeApi(createRequire(import.meta.url)("koffi") as Koffi);
  return cached;
}

function bindPipeApi(koffi: Koffi): PipeApi {
  const k32 = koffi.load("kernel32.dll");
  const adv = koffi.load("advapi32.dll");
  const self = koffi.load(null as unknown as string);
  const overlappedType = koffi.struct({
    Internal: "uintptr_t",
    InternalHigh: "uintptr_t",
    Offset: "uint32_t",
    OffsetHigh: "uint32_t",
    hEvent: "void *",
  });
  const saType = koffi.struct({
    nLength: "uint32_t",
    lpSecurityDescriptor: "void *",
    bInheritHandle: "int",
  });
  const f = (lib: typeof k32, name: string, result: string, args: unknown[]) =>
    lib.func("__stdcall", name, result, args as never);
  const CreateNamedPipeW = f(k32, "CreateNamedPipeW", "void *", [
    "str16",
    "uint32_t",
    "uint32_t",
    "uint32_t",
    "uint32_t",
    "uint32_t",
    "uint32_t",
    koffi.pointer(saType),
  ]);
  const ConnectNamedPipe = f(k32, "ConnectNamedPipe", "int", ["void *", "void *"]);
  const GetOverlappedResult = f(k32, "GetOverlappedResult", "int", [
    "void *",
    "void *",
    koffi.out(koffi.pointer("uint32_t")),
    "int",
  ]);
  const CancelIoEx = f(k32, "CancelIoEx", "int", ["void *", "void *"]);
  const CreateEventW = f(k32, "CreateEventW", "void *", ["void *", "int", "int", "void *"]);
  const CloseHandle = f(k32, "CloseHandle", "int", ["void *"]);
  const LocalFree = f(k32, "LocalFree", "void *", ["void *"]);
  const GetLastError = f(k32, "GetLastError", "uint32_t", []);
  const ConvertSddl = f(adv, "ConvertStringSecurityDescriptorToSecurityDescriptorW", "int", [
    "str16",
    "uint32_t",
    koffi.out(koffi.pointer("void *")),
    "void *",
  ]);
  const uvOpenOsfhandle = self.func("int uv_open_osfhandle(void *)");

  const INVALID_HANDLE = 0xffff_ffff_ffff_ffffn;
  const fail = (call: string): never => {
    throw new Win32Error(call, GetLastError() as number);
  };
  return {
    securityDescriptor(sddl) {
      const out: unknown[] = [null];
      if (!ConvertSddl(sddl, 1 /* SDDL_REVISION_1 */, out, null))
        fail("ConvertStringSecurityDescriptorToSecurityDescriptorW");
      return out[0];
    },
    freeSecurityDescriptor(sd) {
      LocalFree(sd);
    },
    createNamedPipe(a) {
      const sa = {
        nLength: koffi.sizeof(saType),
        lpSecurityDescriptor: a.securityDescriptor,
        bInheritHandle: 0,
      };
      const h = CreateNamedPipeW(
        a.name,
        a.openMode,
        a.pipeMode,
        a.maxInstances,
        a.bufferSize,
        a.bufferSize,
        0,
        sa,
      );
      if (h === null || koffi.address(h) === INVALID_HANDLE) fail("CreateNamedPipeW");
      return h;
    },
    connect(pipe) {
      const event = CreateEventW(null, 1, 0, null);
      if (event === null) fail("CreateEventW");
      const overlapped = koffi.alloc(overlappedType, 1);
      koffi.encode(overlapped, overlappedType, {
        Internal: 0,
        InternalHigh: 0,
        Offset: 0,
        OffsetHigh: 0,
        hEvent: event,
      });
      const op = { overlapped, event };
      if (ConnectNamedPipe(pipe, overlapped)) {
        this.release(op);
        return "connected";
      }
      const code = GetLastError() as number;
      if (code === ERROR_IO_PENDING) return op;
      this.release(op);
      if (code === ERROR_PIPE_CONNECTED) return "connected";
      throw new Win32Error("ConnectNamedPipe", code);
    },
    finishConnect(pipe, op, wait) {
      return GetOverlappedResult(pipe, op.overlapped, [0], wait ? 1 : 0) !== 0;
    },
    cancel(pipe, op) {
      CancelIoEx(pipe, op.overlapped);
    },
    release(op) {
      CloseHandle(op.event);
      koffi.free(op.overlapped);
    },
    closeHandle(handle) {
      if (!CloseHandle(handle)) fail("CloseHandle");
    },
    adopt(pipe) {
      const fd = uvOpenOsfhandle(pipe) as number;
      if (fd < 0) throw new Error(`uv_open_osfhandle failed (${fd})`);
      return new Socket({ fd, readable: true, writable: true });
    },
  };
}
