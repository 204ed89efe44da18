/**
 * Stdio for one container process (init or exec): containerd's endpoints ⇄ relay ⇄ runhcs's pipes.
 *
 * Design choice (also on Linux, where runhcs could simply be handed containerd's FIFO descriptors):
 * we always relay through anonymous pipes we own, as the Go shim does on Windows, because handing the
 * FIFOs over would break guarantees the service relies on:
 * - CloseIO must give the container EOF on stdin while containerd still holds the FIFO's write end; only a
 *   pipe whose write end is ours can be closed on demand.
 * - `outputDone` must mean "every byte reached containerd" before TaskExit is published; with the FIFO in
 *   the container there is nothing to observe.
 * - If containerd's reader disappears, the container would get SIGPIPE/EPIPE; the relay discards instead.
 * - FIFO ends are opened O_NONBLOCK (never blocking a thread); that flag would leak into the container's
 *   stdio, which programs do not expect.
 * - One code path for both platforms: the service treats Linux and Windows identically.
 */
import type { Readable, Writable } from "node:stream";
import type { ChildPipeFactory, ChildPipes, ChildStdio } from "./child-pipes.js";
import { type InputRelay, relayInput, relayOutput } from "./relay.js";
import { parseStdioTarget, type StdioRole, type StdioTarget } from "./target.js";
import type { UpstreamOpener, UpstreamTarget } from "./upstream.js";

/** CloseIO: how long stdin already written by containerd may take to reach the process before it is cut. */
export const STDIN_DRAIN_TIMEOUT_MS = 5_000;
/** The stdio fields of CreateTaskRequest / ExecProcessRequest; "" = stream not used. */
export interface ProcessIORequest {
  readonly stdin: string;
  readonly stdout: string;
  readonly stderr: string;
  /** Console mode: output comes on stdout only, stderr is not used. */
  readonly terminal: boolean;
}

/** Platform pieces and hooks; the defaults come from `./index.js`'s platform selection. */
export interface ProcessIOOptions {
  readonly opener: UpstreamOpener;
  readonly pipes: ChildPipeFactory;
  /** Told about relay errors (EPIPE when containerd went away, …), which are otherwise absorbed. */
  readonly onRelayError?: (role: StdioRole, err: Error) => void;
}

/**
 * A process's stdio, from before `runhcs create|exec` is spawned until the process is deleted.
 *
 * Lifecycle: `spawn(runhcs, args, { stdio: io.runhcsStdio, detached: true })`, then `afterSpawn()` (also
 * when spawn failed), then await `outputDone` before publishing the exit, then `close()` on delete.
 */
export interface ProcessIO {
  /** For `child_process.spawn`'s `stdio`; only valid until `afterSpawn()`/`close()`. */
  readonly runhcsStdio: readonly [ChildStdio, ChildStdio, ChildStdio];
  /** Closes our copies of the child ends, so EOF arrives when the last holder (the helper) exits. */
  afterSpawn(): void;
  /** CloseIO: the container sees EOF on stdin; stdout/stderr keep flowing. Idempotent. */
  closeStdin(): void;
  /**
   * Resolves when stdout and stderr are fully relayed (EOF from the container side and flushed upstream),
   * or were abandoned by `close()`. Never rejects. It waits for the helper to close its ends, so callers
   * that must bound the wait (e.g. on Delete) should race it with a timer.
   */
  readonly outputDone: Promise<void>;
  /** Releases every descriptor and stream; idempotent; resolves when all are closed. */
  close(): Promise<void>;
}

/**
 * Opens containerd's endpoints for a process and creates the pipes for runhcs.
 *
 * @throws InvalidArgumentError / NotImplementedError for unusable stdio strings (see `parseStdioTarget`),
 *   NotFoundError / DeadlineExceededError / UnavailableError when an endpoint cannot be opened. Nothing is
 *   left open when it throws.
 */
export async function createProcessIO(req: ProcessIORequest, opts: ProcessIOOptions): Promise<ProcessIO> {
  const flavor = opts.opener.flavor;
  const targets = {
    stdin: parseStdioTarget(req.stdin, "stdin", flavor),
    stdout: parseStdioTarget(req.stdout, "stdout", flavor),
    stderr: req.terminal ? NONE : parseStdioTarget(req.stderr, "stderr", flavor),
  };
  const opened = await Promise.allSettled([
    openOrNone(targets.stdin, (t) => opts.opener.openReader(t, "stdin")),
    openOrNone(targets.stdout, (t) => opts.opener.openWriter(t, "stdout")),
    openOrNone(targets.stderr, (t) => opts.opener.openWriter(t, "stderr")),
  ]);
  const streams = opened.flatMap((r) => (r.status === "fulfilled" && r.value ? [r.value] : []));
  const failure = opened.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure) {
    await destroyAll(streams);
    throw failure.reason;
  }
  const [upIn, upOut, upErr] = opened.map((r) => (r.status === "fulfilled" ? r.value : undefined)) as [
    Readable | undefined,
    Writable | undefined,
    Writable | undefined,
  ];
  let pipes: ChildPipes;
  try {
    pipes = opts.pipes.create({ stdin: !!upIn, stdout: !!upOut, stderr: !!upErr });
  } catch (e: unknown) {
    await destroyAll(streams);
    throw e;
  }
  return new ProcessIOImpl(pipes, upIn, upOut, upErr, opts.onRelayError);
}

const NONE: StdioTarget = { kind: "none" };

function openOrNone<S>(target: StdioTarget, open: (t: UpstreamTarget) => Promise<S>): Promise<S | undefined> {
  return target.kind === "none" ? Promise.resolve(undefined) : open(target);
}

class ProcessIOImpl implements ProcessIO {
  readonly runhcsStdio: readonly [ChildStdio, ChildStdio, ChildStdio];
  readonly outputDone: Promise<void>;
  readonly #pipes: ChildPipes;
  readonly #streams: (Readable | Writable)[];
  readonly #input: InputRelay | undefined;
  #closing: Promise<void> | undefined;

  constructor(
    pipes: ChildPipes,
    upIn: Readable | undefined,
    upOut: Writable | undefined,
    upErr: Writable | undefined,
    onRelayError: ((role: StdioRole, err: Error) => void) | undefined,
  ) {
    this.#pipes = pipes;
    this.runhcsStdio = pipes.childStdio;
    const report = (role: StdioRole) => (err: Error) => onRelayError?.(role, err);
    this.#streams = [upIn, upOut, upErr, pipes.stdin, pipes.stdout, pipes.stderr].filter(
      (s): s is Readable | Writable => s !== undefined,
    );
    this.#input = upIn && pipes.stdin ? relayInput(upIn, pipes.stdin, report("stdin")) : undefined;
    const outputs: Promise<void>[] = [];
    if (upOut && pipes.stdout) outputs.push(relayOutput(pipes.stdout, upOut, report("stdout")));
    if (upErr && pipes.stderr) outputs.push(relayOutput(pipes.stderr, upErr, report("stderr")));
    this.outputDone = Promise.all(outputs).then(() => undefined);
  }

  afterSpawn(): void {
    this.#pipes.closeChildEnds();
  }

  closeStdin(): void {
    this.#input?.closeWhenDrained(STDIN_DRAIN_TIMEOUT_MS);
  }

  close(): Promise<void> {
    this.#closing ??= (() => {
      this.#pipes.closeChildEnds();
      return destroyAll(this.#streams);
    })();
    return this.#closing;
  }
}

/** Destroys every stream and resolves once each has emitted `close` (its descriptor is released). */
function destroyAll(streams: readonly (Readable | Writable)[]): Promise<void> {
  return Promise.all(
    streams.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.closed) return resolve();
          s.once("close", () => resolve());
          s.destroy();
        }),
    ),
  ).then(() => undefined);
}
