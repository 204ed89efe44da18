/**
 * The two copy directions between containerd's endpoints and runhcs's pipes (Go shim `newPipeRelay`).
 *
 * Both use `Readable.pipe`, so a slow side pauses the other (bounded by the streams' high-water marks)
 * instead of buffering without limit. Failures never throw out of here: a relay that cannot write any more
 * keeps draining its source (so the container is never blocked or killed by SIGPIPE because containerd
 * went away), and the completion promise always resolves.
 */
import { finished, type Readable, type Writable } from "node:stream";

/** Called for each stream error seen by a relay (for logging); the relay has already handled it. */
export type RelayErrorHandler = (err: Error) => void;

/**
 * Copies runhcs's stdout/stderr pipe (`src`) to containerd's endpoint (`dst`).
 *
 * Resolves once `src` is finished (EOF: every holder of the child end, i.e. the helper, closed it; or it was
 * destroyed) and `dst` is finished (everything flushed to the kernel after `end()`; or it failed or was
 * destroyed). If `dst` fails or closes first (EPIPE: containerd's reader is gone; a hung-up pipe
 * connection), the rest of `src` is discarded.
 */
export function relayOutput(src: Readable, dst: Writable, onError: RelayErrorHandler): Promise<void> {
  const discard = (): void => {
    src.unpipe(dst);
    src.resume();
  };
  dst.on("error", (err: Error) => {
    onError(err);
    discard();
  });
  // A destination can also go away without an error event (a socket whose peer hung up ends itself, and
  // writes to a destroyed stream only fail their callbacks): pipe() would then wait for 'drain' forever.
  dst.once("close", discard);
  src.on("error", (err: Error) => {
    onError(err);
    src.unpipe(dst);
    dst.end();
  });
  src.pipe(dst);
  return Promise.all([done(src, "readable"), done(dst, "writable")]).then(() => undefined);
}

/** The stdin direction, with the one extra operation it needs (CloseIO). */
/** CloseIO: containerd's stdin counts as drained after this long without data (the child not blocking). */
export const STDIN_IDLE_MS = 100;

export interface InputRelay {
  /** Stop reading containerd's stdin now and close the child's stdin once flushed (idempotent). */
  close(): void;
  /**
   * CloseIO: what the client wrote before CloseIO may still be in the pipe: keep relaying until
   * containerd's stdin ends or goes quiet ({@link STDIN_IDLE_MS}, while the child keeps up), then close
   * the child's stdin. A child that never reads is cut off after `timeoutMs`.
   */
  closeWhenDrained(timeoutMs: number): void;
}

/**
 * Copies containerd's stdin (`src`) into runhcs's stdin pipe (`dst`). EOF or an error on `src` ends `dst`
 * (the container sees EOF, as in containerd's runc shim); an error on `dst` (the container closed its
 * stdin) stops reading `src`.
 */
export function relayInput(src: Readable, dst: Writable, onError: RelayErrorHandler): InputRelay {
  let closed = false;
  let drainTimer: NodeJS.Timeout | undefined;
  const close = (): void => {
    if (closed) return;
    closed = true;
    src.unpipe(dst);
    src.destroy();
    dst.end();
  };
  const closeWhenDrained = (timeoutMs: number): void => {
    if (closed || drainTimer) return;
    // Everything written before CloseIO is already in the pipe: once reading it goes quiet (and the child
    // is not holding us back), it has all been relayed. EOF ends dst anyway (pipe); timeoutMs bounds it all.
    drainTimer = setTimeout(close, timeoutMs);
    let idle: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => (dst.writableNeedDrain ? dst.once("drain", arm) : close()), STDIN_IDLE_MS);
    };
    const stop = (): void => {
      clearTimeout(idle);
      clearTimeout(drainTimer);
      src.off("data", arm);
      dst.off("drain", arm);
    };
    src.on("data", arm);
    src.once("close", stop);
    dst.once("close", stop);
    arm();
  };
  src.on("error", (err: Error) => {
    onError(err);
    close();
  });
  dst.on("error", (err: Error) => {
    onError(err);
    close();
  });
  dst.once("close", close);
  src.pipe(dst);
  return { close, closeWhenDrained };
}

/** Resolves when one side of `stream` is done, whatever the reason (end, finish, error, destroy). */
function done(stream: Readable | Writable, side: "readable" | "writable"): Promise<void> {
  return new Promise((resolve) => {
    finished(stream, side === "readable" ? { writable: false } : { readable: false }, () => resolve());
  });
}
