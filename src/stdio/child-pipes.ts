/**
 * The runhcs side of stdio: anonymous OS pipes whose child ends become runhcs's stdin/stdout/stderr.
 *
 * Why pipes we create ourselves rather than `child_process`'s `'pipe'`: runhcs create/exec exit at once
 * and leave a detached helper (`runhcs shim`) that inherits the child ends and outlives them. Node ties
 * `'pipe'` streams to the ChildProcess (it destroys `child.stdin` when that child exits), which would cut
 * the container's stdin as soon as `runhcs create` returns. With our own pipes the child ends are plain
 * descriptors handed to `spawn`, and our ends live exactly as long as the relay (go-runc `NewPipeIO`).
 */
import type { Readable, Writable } from "node:stream";

/** What `child_process.spawn` gets for one stdio slot: a descriptor to dup, or `'ignore'` (/dev/null). */
export type ChildStdio = number | "ignore";

/** Which of the three streams need a pipe; unused ones get `'ignore'`. */
export interface PipeUse {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
}

/** The three pipes for one runhcs create/exec. */
export interface ChildPipes {
  /** Slots 0..2 for `spawn(..., { stdio })`. Valid until {@link closeChildEnds}. */
  readonly childStdio: readonly [ChildStdio, ChildStdio, ChildStdio];
  /** Our end of the child's stdin (we write), if used. */
  readonly stdin: Writable | undefined;
  /** Our ends of the child's stdout/stderr (we read), if used. */
  readonly stdout: Readable | undefined;
  readonly stderr: Readable | undefined;
  /**
   * Closes our copies of the child ends (idempotent). Must happen after spawn so that EOF on stdout/stderr
   * arrives when the last process holding them (the helper) exits, and on every failure path.
   */
  closeChildEnds(): void;
}

/**
 * Creates {@link ChildPipes}. `createPosixPipes()` uses `pipe2(O_CLOEXEC)`; a Windows factory would use
 * libuv's `uv_pipe` (`createWindowsPipes`) with the same shape.
 */
export interface ChildPipeFactory {
  create(use: PipeUse): ChildPipes;
}
