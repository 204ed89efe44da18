/**
 * The upstream side of stdio: the endpoints containerd (or its client) provides, which the shim opens.
 *
 * Opening differs per platform (FIFOs on Linux, named pipes the shim dials on Windows), so it sits behind
 * {@link UpstreamOpener}; everything else in `src/stdio` is platform-neutral. `file://` targets are
 * opened the same way everywhere ({@link openAppendFile}).
 */
import fs from "node:fs";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { DeadlineExceededError, NotFoundError, UnavailableError } from "../errdefs.js";
import type { PathFlavor, StdioRole, StdioTarget } from "./target.js";

/** A target that names something to open (not `none`). */
export type UpstreamTarget = Exclude<StdioTarget, { kind: "none" }>;

/**
 * Opens upstream stdio endpoints. Implementations: `createPosixOpener()` (FIFOs) and
 * `createWindowsOpener()` (named-pipe dial with a bounded retry).
 *
 * Returned streams own their descriptor: destroying the stream releases it. Openers never leave a
 * descriptor behind when they throw.
 */
export interface UpstreamOpener {
  /** How plain paths in requests are validated for this platform. */
  readonly flavor: PathFlavor;
  /** Opens stdin's upstream for reading; EOF means containerd closed its side. */
  openReader(target: UpstreamTarget, role: StdioRole): Promise<Readable>;
  /** Opens stdout's or stderr's upstream for writing. */
  openWriter(target: UpstreamTarget, role: StdioRole): Promise<Writable>;
}

/** How long an opener waits for containerd's side to appear (go-winio DialPipe timeout in the Go shim). */
export const UPSTREAM_OPEN_TIMEOUT_MS = 3000;
/** Pause between attempts while waiting for containerd's side. */
export const UPSTREAM_RETRY_DELAY_MS = 10;

/** An opener's tunables, injectable for tests. */
export interface UpstreamOpenerOptions {
  /** How long to wait for containerd's side of one endpoint, all attempts together. */
  timeoutMs?: number;
  /** Pause between attempts. */
  retryDelayMs?: number;
}

/** {@link UpstreamOpenerOptions} with the defaults filled in, as openers keep them. */
export type OpenerTiming = Required<UpstreamOpenerOptions>;

/** Fills in {@link UPSTREAM_OPEN_TIMEOUT_MS} and {@link UPSTREAM_RETRY_DELAY_MS} where not given. */
export function openerTiming(options: UpstreamOpenerOptions = {}): OpenerTiming {
  return {
    timeoutMs: options.timeoutMs ?? UPSTREAM_OPEN_TIMEOUT_MS,
    retryDelayMs: options.retryDelayMs ?? UPSTREAM_RETRY_DELAY_MS,
  };
}

/**
 * The error for an upstream that could not be opened, worded like the Go shim
 * (`failed to connect to upstream IO: failed to connect to <name>`), classed by cause:
 * missing path → NotFound, waited too long → DeadlineExceeded, anything else → Unavailable.
 */
export function upstreamError(role: StdioRole, where: string, err: unknown, timedOut = false): Error {
  const why = err instanceof Error ? err.message : String(err);
  const detail = `failed to connect to upstream IO: failed to connect to ${where} (${role}): ${why}`;
  if (timedOut) return new DeadlineExceededError(detail, { cause: err });
  if (errnoCode(err) === "ENOENT") return new NotFoundError(detail, { cause: err });
  return new UnavailableError(detail, { cause: err });
}

/** The `code` of a Node system error, if any. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

/**
 * Opens a `file://` target for appending, creating its directory (0755) and the file (0644) like
 * containerd's runc shim, and returns a write stream owning the descriptor.
 */
export async function openAppendFile(file: string, role: StdioRole): Promise<Writable> {
  try {
    await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    const fd = await openFd(
      file,
      fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND,
      0o644,
    );
    return guardErrors(fs.createWriteStream("", { fd, autoClose: true }));
  } catch (e: unknown) {
    throw upstreamError(role, file, e);
  }
}

/** `fs.open` as a promise returning the raw descriptor (FileHandle would close itself on GC). */
export function openFd(file: string, flags: number, mode?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.open(file, flags, mode, (err, fd) => (err ? reject(err) : resolve(fd)));
  });
}

/**
 * Adds a permanent no-op `error` listener: a stream may fail (EPIPE, ECONNRESET) while it waits for the
 * relay to be wired, and an unhandled `error` event would crash the shim. The relay learns about failures
 * from the stream's state (`stream.finished`) and its own listeners.
 */
export function guardErrors<S extends Readable | Writable>(stream: S): S {
  stream.on("error", () => {});
  return stream;
}

/** Resolves after `ms`; used between open attempts. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
