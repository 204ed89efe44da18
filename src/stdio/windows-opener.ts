/**
 * Upstream opener for Windows: containerd's client is the named-pipe SERVER for stdio
 * (`\\.\pipe\ctr-<id>-stdout`), the shim dials each pipe as a client (go-winio `DialPipe`, 3 s, in the
 * Go shim's `newPipeSet`). A pipe that does not exist yet or has no free instance is retried until
 * the deadline; other errors fail at once.
 *
 * Only `net.connect(path)` is platform-specific here, so tests exercise this exact code on Linux with a
 * unix socket standing in for the pipe.
 */
import net from "node:net";
import type { Readable, Writable } from "node:stream";
import type { StdioRole } from "./target.js";
import {
  delay,
  errnoCode,
  guardErrors,
  type OpenerTiming,
  openAppendFile,
  openerTiming,
  type UpstreamOpener,
  type UpstreamOpenerOptions,
  type UpstreamTarget,
  upstreamError,
} from "./upstream.js";

/** Errors meaning "the server side is not ready yet": worth another attempt before the deadline. */
const RETRYABLE = new Set(["ENOENT", "ECONNREFUSED", "EBUSY", "EAGAIN"]);

/** Creates the named-pipe {@link UpstreamOpener}. */
export function createWindowsOpener(options: UpstreamOpenerOptions = {}): UpstreamOpener {
  return new WindowsOpener(openerTiming(options));
}

class WindowsOpener implements UpstreamOpener {
  readonly flavor = "windows" as const;

  constructor(private readonly timing: OpenerTiming) {}

  openReader(target: UpstreamTarget, role: StdioRole): Promise<Readable> {
    return this.#dial(target.path, role);
  }

  openWriter(target: UpstreamTarget, role: StdioRole): Promise<Writable> {
    if (target.kind === "file") return openAppendFile(target.path, role);
    return this.#dial(target.path, role);
  }

  async #dial(pipe: string, role: StdioRole): Promise<net.Socket> {
    const deadline = Date.now() + this.timing.timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      const r = await connectOnce(pipe, Math.max(left, 1));
      if (r.socket) return r.socket;
      if (r.timedOut) throw upstreamError(role, pipe, r.error, true);
      if (!RETRYABLE.has(errnoCode(r.error) ?? "")) throw upstreamError(role, pipe, r.error);
      if (Date.now() + this.timing.retryDelayMs >= deadline) throw upstreamError(role, pipe, r.error, true);
      await delay(this.timing.retryDelayMs);
    }
  }
}

type Attempt =
  | { socket: net.Socket; error?: never; timedOut?: never }
  | { socket?: never; error: unknown; timedOut: boolean };

/** One `net.connect`, abandoned (socket destroyed) if it has not connected within `ms`. */
function connectOnce(pipe: string, ms: number): Promise<Attempt> {
  return new Promise((resolve) => {
    const socket = net.connect(pipe);
    const timer = setTimeout(() => {
      cleanup();
      socket.destroy();
      resolve({ error: new Error(`timed out after ${ms} ms`), timedOut: true });
    }, ms);
    const onConnect = (): void => {
      cleanup();
      resolve({ socket: guardErrors(socket) });
    };
    const onError = (error: Error): void => {
      cleanup();
      socket.destroy();
      resolve({ error, timedOut: false });
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("error", onError);
    };
    socket.once("connect", onConnect);
    socket.once("error", onError);
  });
}
