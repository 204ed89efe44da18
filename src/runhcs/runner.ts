/**
 * Spawning runhcs, behind the {@link CommandRunner} interface so tests (and the service's tests) can
 * substitute a fake. The real runner spawns without a shell and guarantees the call ends:
 * - every call has a deadline and honours an AbortSignal; either kills runhcs and rejects at once
 *   with {@link DeadlineExceededError} / {@link CanceledError};
 * - with caller-provided stdio nothing is captured and the call resolves when runhcs EXITS (runhcs
 *   hands those handles to its long-lived `runhcs shim` helper, so EOF comes only when the container
 *   process ends);
 * - with captured output it resolves when stdout/stderr close, or at most {@link DRAIN_MS} after
 *   the exit when a grandchild keeps them open.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { Readable, Stream, Writable } from "node:stream";
import { CanceledError, DeadlineExceededError } from "../errdefs.js";

/** How long captured stdout/stderr may stay open after runhcs exited before we stop reading. */
export const DRAIN_MS = 500;
/** Captured stdout beyond this is dropped (state/ps/list output is far smaller). */
export const MAX_STDOUT_BYTES = 16 * 1024 * 1024;
/** Only the last this-many bytes of stderr are kept: enough for runhcs's error message. */
export const MAX_STDERR_BYTES = 64 * 1024;

/**
 * One stdio slot handed to runhcs: an fd, a stream backed by an fd (socket, pipe, file), `"ignore"`,
 * or `"pipe"` (a new pipe whose parent end is given to {@link CommandSpec.onSpawn}).
 */
export type StdioItem = number | Stream | "ignore" | "pipe";
/** stdin, stdout, stderr of runhcs; for create/exec these become the container process's stdio. */
export type CallerStdio = readonly [StdioItem, StdioItem, StdioItem];

/** The parent ends of `"pipe"` slots (null for other slots), and runhcs's pid. */
export interface SpawnedStdio {
  pid: number | undefined;
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
}

/** One command to run. */
export interface CommandSpec {
  file: string;
  args: readonly string[];
  /** Child environment (default: inherited). Its PATH is used to find a bare `file`. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Caller-owned stdio; when set nothing is captured and the call resolves on exit. */
  stdio?: CallerStdio;
  /** Deadline in ms; a non-finite value disables it (not recommended). */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called synchronously after a successful spawn (before any output is read). */
  onSpawn?: (io: SpawnedStdio) => void;
  /** Used in timeout/cancel messages, e.g. `runhcs state`. */
  label?: string;
}

/** How a command ended. stdout/stderr are "" when the caller owned stdio. */
export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command. Resolves with its result whatever the exit code; rejects only when it could not be
 * spawned (the spawn error), ran out of time (DeadlineExceededError) or was aborted (Canceled).
 */
export interface CommandRunner {
  run(spec: CommandSpec): Promise<CommandResult>;
}

/** Bounded capture of one output stream: keeps the head (stdout) or the tail (stderr). */
class Capture {
  #chunks: Buffer[] = [];
  #bytes = 0;
  constructor(
    readonly limit: number,
    readonly keep: "head" | "tail",
  ) {}

  push(chunk: Buffer): void {
    if (this.keep === "head") {
      if (this.#bytes >= this.limit) return;
      chunk = chunk.subarray(0, this.limit - this.#bytes);
    }
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    while (this.keep === "tail" && this.#bytes - (this.#chunks[0]?.length ?? 0) >= this.limit) {
      this.#bytes -= this.#chunks.shift()?.length ?? 0;
    }
  }

  text(): string {
    const all = Buffer.concat(this.#chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString("utf8");
  }
}

/** Error for an aborted call, carrying the abort reason as cause. */
function canceled(label: string, reason: unknown): CanceledError {
  return new CanceledError(label, { cause: reason });
}

class ProcessRunner implements CommandRunner {
  run(spec: CommandSpec): Promise<CommandResult> {
    const label = spec.label ?? spec.file;
    return new Promise<CommandResult>((resolve, reject) => {
      if (spec.signal?.aborted) {
        reject(canceled(label, spec.signal.reason));
        return;
      }
      const capture = spec.stdio === undefined;
      let child: ChildProcess;
      try {
        child = spawn(spec.file, [...spec.args], {
          env: spec.env ?? process.env,
          ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}),
          stdio: spec.stdio ? [...spec.stdio] : ["ignore", "pipe", "pipe"],
          shell: false,
          windowsHide: true,
        });
      } catch (e: unknown) {
        reject(e);
        return;
      }
      const out = new Capture(MAX_STDOUT_BYTES, "head");
      const err = new Capture(MAX_STDERR_BYTES, "tail");
      let settled = false;
      let deadline: NodeJS.Timeout | undefined;
      let drain: NodeJS.Timeout | undefined;

      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        clearTimeout(drain);
        spec.signal?.removeEventListener("abort", onAbort);
        if (capture) {
          child.stdout?.destroy();
          child.stderr?.destroy();
        }
        fn();
      };
      const kill = (): void => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      };
      const done = (code: number | null, sig: NodeJS.Signals | null): void =>
        settle(() => resolve({ exitCode: code, signal: sig, stdout: out.text(), stderr: err.text() }));
      function onAbort(): void {
        kill();
        settle(() => reject(canceled(label, spec.signal?.reason)));
      }

      child.once("error", (e) => {
        kill();
        settle(() => reject(e));
      });
      if (Number.isFinite(spec.timeoutMs)) {
        deadline = setTimeout(() => {
          kill();
          settle(() => reject(new DeadlineExceededError(`${label} timed out after ${spec.timeoutMs} ms`)));
        }, spec.timeoutMs);
      }
      spec.signal?.addEventListener("abort", onAbort, { once: true });

      if (capture) {
        child.stdout?.on("data", (c: Buffer) => out.push(c));
        child.stderr?.on("data", (c: Buffer) => err.push(c));
        child.once("close", done);
        child.once("exit", (code, sig) => {
          drain = setTimeout(() => done(code, sig), DRAIN_MS);
        });
      } else {
        child.once("exit", done);
      }
      if (child.pid !== undefined && spec.onSpawn) {
        // In capture mode the pipes are ours, not the caller's.
        const io = capture
          ? { pid: child.pid, stdin: null, stdout: null, stderr: null }
          : { pid: child.pid, stdin: child.stdin, stdout: child.stdout, stderr: child.stderr };
        try {
          spec.onSpawn(io);
        } catch (e: unknown) {
          kill();
          settle(() => reject(e));
        }
      }
    });
  }
}

/** The real runner: `child_process.spawn` with an argv array, no shell. */
export function createProcessRunner(): CommandRunner {
  return new ProcessRunner();
}
