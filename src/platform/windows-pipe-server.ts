/**
 * A named-pipe server whose every instance is created by us, with an explicit security descriptor and
 * `PIPE_REJECT_REMOTE_CLIENTS`, as go-winio's `ListenPipe` creates hcsshim's and containerd's pipes
 * (`pipe.go` `makeServerPipeHandle`: `PIPE_REJECT_REMOTE_CLIENTS` always, the caller's SDDL) — hcsshim
 * itself passes no SDDL for the shim's pipes, so they get the default ACL (`ProtectedPrefix` only stops
 * non-administrators from *creating* the name). Ours: `D:P(A;;GA;;;SY)(A;;GA;;;BA)`, SYSTEM and
 * Administrators full control, nobody else, not inherited.
 *
 * Why we create the instances instead of letting `net.Server` do it and fixing the DACL afterwards:
 * - libuv (`src/win/pipe.c`) creates the first instance at bind and more pending ones at listen and after
 *   each accept, always with `lpSecurityAttributes = NULL` and without `PIPE_REJECT_REMOTE_CLIENTS`. On
 *   NPFS the security descriptor belongs to the pipe (its FCB), not to an instance: a `SetSecurityInfo`
 *   on one instance handle (libuv opens them with `WRITE_DAC` for `uv_pipe_chmod`) would cover the later
 *   ones too. But until that call the pipe has the default DACL (Everyone may read, so may connect for
 *   reading), and `PIPE_REJECT_REMOTE_CLIENTS` is a pipe-mode bit of `CreateNamedPipeW` that no call can
 *   add to an instance that exists. So: option (a), our own instances.
 * - Handing an instance to libuv: `net.Socket({ fd })` takes a C runtime descriptor; node.exe links the
 *   CRT statically, so the descriptor must come from node.exe's own CRT: its exported `uv_open_osfhandle`
 *   (see `windows-pipe-api.ts`). libuv's `uv_pipe_open` then queries the handle's access and mode,
 *   associates it with its completion port (the handle is overlapped) and owns it (`_close` at the end).
 *
 * Accepting without blocking the event loop: each pending instance has an overlapped `ConnectNamedPipe`
 * whose event is waited for by the thread pool (`RegisterWaitForSingleObject`, the waiter's binding); the
 * callback runs on the JS thread, the connected instance becomes a `net.Socket` ("connection") and a new
 * pending instance replaces it. The first instance has `FILE_FLAG_FIRST_PIPE_INSTANCE`: if the name
 * exists already (another server, or someone squatting it), listening fails instead of joining that pipe.
 * `close` cancels the pending connects and closes their instances; accepted sockets stay open.
 */
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import type { StreamListener } from "./types.js";
import { type Kernel32, Win32Error, type Win32Handle } from "./windows-kernel32.js";
import type { PendingConnect, PipeApi } from "./windows-pipe-api.js";

/** SYSTEM and Administrators: full control; nobody else; protected from inheritance. */
export const SHIM_PIPE_SDDL = "D:P(A;;GA;;;SY)(A;;GA;;;BA)";

export const PIPE_ACCESS_DUPLEX = 0x3;
export const FILE_FLAG_OVERLAPPED = 0x4000_0000;
export const FILE_FLAG_FIRST_PIPE_INSTANCE = 0x8_0000;
/** PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT are all 0. */
export const PIPE_REJECT_REMOTE_CLIENTS = 0x8;
export const PIPE_UNLIMITED_INSTANCES = 255;
/** Pending instances kept ready for clients (libuv's default is 4 too). */
export const PENDING_INSTANCES = 4;
const BUFFER_SIZE = 65_536;
const ERROR_ACCESS_DENIED = 5;

interface Instance {
  readonly handle: Win32Handle;
  readonly op: PendingConnect;
  wait?: Win32Handle;
}

/** The native surfaces the server needs (injected: a Linux test passes fakes). */
export interface SecurePipeDeps {
  readonly api: () => PipeApi;
  readonly kernel32: () => Kernel32;
}

/** Listens on `name` at once (synchronously); see the module comment. */
export class SecurePipeServer extends EventEmitter implements StreamListener {
  readonly #name: string;
  readonly #api: PipeApi;
  readonly #k32: Kernel32;
  readonly #sd: unknown;
  readonly #pending = new Set<Instance>();
  /** The pending waits do not keep the event loop alive; this timer does, while listening. */
  readonly #keepAlive = setInterval(() => undefined, 1 << 30);
  #closed = false;

  constructor(name: string, sddl: string, deps: SecurePipeDeps) {
    super();
    this.#name = name;
    this.#api = deps.api();
    this.#k32 = deps.kernel32();
    this.#sd = this.#api.securityDescriptor(sddl);
    try {
      for (let i = 0; i < PENDING_INSTANCES; i++) this.#add(i === 0);
    } catch (err: unknown) {
      this.close();
      if (err instanceof Win32Error && err.call === "CreateNamedPipeW" && err.code === ERROR_ACCESS_DENIED) {
        throw new Error(`listen ${name}: the pipe exists already or may not be created (Win32 error 5)`);
      }
      throw err;
    }
  }

  /** Lets the process exit while only this listener is left (pino's log pipe). */
  unref(): this {
    this.#keepAlive.unref();
    return this;
  }

  /** Stops accepting: pending instances are cancelled and closed. Emits "close" on a later turn. */
  close(): this {
    if (this.#closed) return this;
    this.#closed = true;
    clearInterval(this.#keepAlive);
    for (const inst of this.#pending) {
      if (inst.wait !== undefined) this.#k32.unregisterWait(inst.wait);
      this.#api.cancel(inst.handle, inst.op);
      this.#api.finishConnect(inst.handle, inst.op, true); // the cancelled I/O is done with the OVERLAPPED
      this.#api.release(inst.op);
      this.#api.closeHandle(inst.handle);
    }
    this.#pending.clear();
    this.#api.freeSecurityDescriptor(this.#sd);
    setImmediate(() => this.emit("close"));
    return this;
  }

  #add(first: boolean): void {
    const handle = this.#api.createNamedPipe({
      name: this.#name,
      openMode: PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
      pipeMode: PIPE_REJECT_REMOTE_CLIENTS,
      maxInstances: PIPE_UNLIMITED_INSTANCES,
      bufferSize: BUFFER_SIZE,
      securityDescriptor: this.#sd,
    });
    let op: PendingConnect | "connected";
    try {
      op = this.#api.connect(handle);
    } catch (err: unknown) {
      this.#api.closeHandle(handle);
      throw err;
    }
    if (op === "connected") {
      setImmediate(() => this.#connected(handle));
      return;
    }
    const inst: Instance = { handle, op };
    try {
      inst.wait = this.#k32.registerWait(op.event, () => this.#signaled(inst));
    } catch (err: unknown) {
      this.#api.cancel(handle, op);
      this.#api.finishConnect(handle, op, true);
      this.#api.release(op);
      this.#api.closeHandle(handle);
      throw err;
    }
    this.#pending.add(inst);
  }

  #signaled(inst: Instance): void {
    if (!this.#pending.delete(inst)) return; // closed meanwhile
    if (inst.wait !== undefined) this.#k32.unregisterWait(inst.wait);
    const ok = this.#api.finishConnect(inst.handle, inst.op, false);
    this.#api.release(inst.op);
    if (ok) this.#connected(inst.handle);
    else {
      this.#api.closeHandle(inst.handle); // the client went away before we saw it
      this.#replenish();
    }
  }

  #connected(handle: Win32Handle): void {
    if (this.#closed) {
      this.#api.closeHandle(handle);
      return;
    }
    let socket: Socket;
    try {
      socket = this.#api.adopt(handle);
    } catch (err: unknown) {
      this.#api.closeHandle(handle);
      this.emit("error", err);
      this.#replenish();
      return;
    }
    this.#replenish();
    this.emit("connection", socket);
  }

  #replenish(): void {
    if (this.#closed) return;
    try {
      this.#add(false);
    } catch (err: unknown) {
      this.emit("error", err);
    }
  }
}
