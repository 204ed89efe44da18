/**
 * The typed runhcs client (the TypeScript counterpart of hcsshim's `pkg/go-runhcs`). One instance holds
 * the global flags of a shim (debug, log, log format, owner, registry root); each method builds its argv
 * with the pure `xxxArgs` of its module and goes through {@link Runhcs.run}, which spawns runhcs via the
 * {@link CommandRunner} and turns a non-zero exit into a {@link RuntimeError} carrying runhcs's message.
 */
import { constants as osConstants } from "node:os";
import { CanceledError } from "../errdefs.js";
import { UNKNOWN_EXIT_CODE } from "../platform/index.js";
import { isNamedPipe, logPath } from "./args.js";
import { resolveBinary } from "./binary.js";
import { type CreateOptions, createArgs } from "./create.js";
import { deleteArgs } from "./delete.js";
import { RuntimeError } from "./errors.js";
import { type ExecOptions, execArgs } from "./exec.js";
import { type GlobalOptions, globalArgs } from "./global-args.js";
import { killArgs } from "./kill.js";
import { listArgs, parseList } from "./list.js";
import { logErrorSince, logOffset } from "./log-tail.js";
import {
  type CallOptions,
  DEFAULT_TIMEOUT_MS,
  type IoCallOptions,
  type RunhcsCallTiming,
  type RunhcsOptions,
  timeoutFromEnv,
} from "./options.js";
import { pauseArgs } from "./pause.js";
import { awaitPidFile, PidFileError } from "./pid-file.js";
import { parsePs, psArgs } from "./ps.js";
import { type ResizeTtyOptions, resizeTtyArgs } from "./resize-tty.js";
import { resumeArgs } from "./resume.js";
import { type CommandResult, type CommandRunner, createProcessRunner } from "./runner.js";
import { startArgs } from "./start.js";
import { type ContainerState, parseState, stateArgs } from "./state.js";

export {
  type CallOptions,
  DEFAULT_TIMEOUT_MS,
  type IoCallOptions,
  RUNHCS_TIMEOUT_ENV,
  type RunhcsCallTiming,
  type RunhcsOptions,
} from "./options.js";

/** runhcs's message taken from stderr is cut to its last this-many characters. */
export const MAX_MESSAGE_CHARS = 4096;

/** The runhcs client. Methods reject with {@link RuntimeError}, `DeadlineExceededError` or `Canceled`. */
export class Runhcs {
  /** The binary every call spawns. */
  readonly binary: string;
  readonly #global: GlobalOptions;
  readonly #env: NodeJS.ProcessEnv | undefined;
  readonly #cwd: string | undefined;
  readonly #runner: CommandRunner;
  readonly #timeoutMs: number;
  readonly #onCall: ((call: RunhcsCallTiming) => void) | undefined;

  constructor(opts: RunhcsOptions = {}) {
    this.binary = resolveBinary({
      binary: opts.binary,
      env: opts.env ?? process.env,
      besideDir: opts.besideDir,
    });
    const { debug, log, logFormat, owner, root } = opts;
    this.#global = {
      ...(debug !== undefined ? { debug } : {}),
      ...(log !== undefined ? { log } : {}),
      ...(logFormat !== undefined ? { logFormat } : {}),
      ...(owner !== undefined ? { owner } : {}),
      ...(root !== undefined ? { root } : {}),
    };
    globalArgs(this.#global); // validate now rather than on the first call
    this.#env = opts.env;
    this.#cwd = opts.cwd;
    this.#runner = opts.runner ?? createProcessRunner();
    this.#timeoutMs = opts.timeoutMs ?? timeoutFromEnv(opts.env ?? process.env) ?? DEFAULT_TIMEOUT_MS;
    this.#onCall = opts.onCall;
  }

  /** Full argv (binary first) for a subcommand's arguments. */
  argv(subArgs: readonly string[]): string[] {
    return [this.binary, ...globalArgs(this.#global), ...subArgs];
  }

  /**
   * Runs one subcommand (`subArgs[0]` is its name). Resolves with the result of a zero exit; otherwise
   * rejects with a {@link RuntimeError} whose message is runhcs's: the last error line of the JSON
   * `--log` file written during this call, else the tail of its stderr.
   */
  async run(subArgs: readonly string[], call: IoCallOptions = {}): Promise<CommandResult> {
    const { result, failure } = await this.#spawn(subArgs, call);
    if (result.exitCode === 0) return result;
    throw await failure();
  }

  /** Spawns runhcs and waits for its exit; `failure()` builds the RuntimeError of a non-zero exit. */
  async #spawn(
    subArgs: readonly string[],
    call: IoCallOptions & { timed?: boolean },
  ): Promise<{ result: CommandResult; failure: () => Promise<RuntimeError> }> {
    const argv = this.argv(subArgs);
    const command = subArgs[0] ?? "";
    const { log, logFormat } = this.#global;
    const logFile = log && logFormat === "json" && !isNamedPipe(log) ? logPath(log) : undefined;
    const offset = logFile ? logOffset(logFile) : 0;
    let result: CommandResult;
    const t0 = performance.now();
    try {
      result = await this.#runner.run({
        file: this.binary,
        args: argv.slice(1),
        timeoutMs: call.timeoutMs ?? this.#timeoutMs,
        label: `runhcs ${command}`,
        ...(this.#env ? { env: this.#env } : {}),
        ...(this.#cwd !== undefined ? { cwd: this.#cwd } : {}),
        ...(call.stdio ? { stdio: call.stdio } : {}),
        ...(call.signal ? { signal: call.signal } : {}),
        ...(call.onSpawn ? { onSpawn: call.onSpawn } : {}),
      });
    } catch (e: unknown) {
      if (!call.timed) this.#onCall?.({ command, ms: performance.now() - t0 });
      if (e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === "string") {
        const summary = `failed to run ${this.binary}: ${e.message}`;
        throw new RuntimeError({ command, argv, exitCode: null, runtimeMessage: "", summary, cause: e });
      }
      throw e;
    }
    if (!call.timed) this.#onCall?.({ command, ms: performance.now() - t0, exitCode: result.exitCode });
    const failure = async (): Promise<RuntimeError> => {
      let message = logFile ? await logErrorSince(logFile, offset) : "";
      if (!message) message = tail(result.stderr) || tail(result.stdout);
      return new RuntimeError({
        command,
        argv,
        exitCode: result.exitCode,
        signal: result.signal,
        runtimeMessage: message,
      });
    };
    return { result, failure };
  }

  /** Runs a subcommand and parses its stdout; a parse failure is a RuntimeError too (exit status 0). */
  async #runParsed<T>(subArgs: string[], call: CallOptions, parse: (stdout: string) => T): Promise<T> {
    const { stdout } = await this.run(subArgs, call);
    try {
      return parse(stdout);
    } catch (e: unknown) {
      const argv = this.argv(subArgs);
      const message = e instanceof Error ? e.message : String(e);
      throw new RuntimeError({
        command: subArgs[0] ?? "",
        argv,
        exitCode: 0,
        runtimeMessage: message,
        cause: e,
      });
    }
  }

  /** `create`: creates the container; the pid file then holds the init helper's host pid. */
  async create(opts: CreateOptions, call: IoCallOptions = {}): Promise<void> {
    await this.run(createArgs(opts), call);
  }

  /** `start <id>` (returns before HCS reports Running). */
  async start(id: string, call: CallOptions = {}): Promise<void> {
    await this.run(startArgs({ id }), call);
  }

  /** `exec`: starts another process in container `opts.id`; the pid file holds its helper's host pid. */
  async exec(opts: ExecOptions, call: IoCallOptions = {}): Promise<void> {
    await this.run(execArgs(opts), call);
  }

  /**
   * `exec` without `--detach`: runhcs writes the pid file once its helper runs the process, then waits
   * for the helper and exits with its code, which is the process's own (hcsshim cmd/runhcs/exec.go:
   * `os.Exit(ExitCode)`). Resolves with the helper's pid as soon as the pid file holds it, and an `exited`
   * promise for the exact code, so an exec that ends before we could open its helper loses nothing
   * (with `--detach` its helper may be gone before the pid file is read). `call.timeoutMs` bounds the
   * wait for the pid file only (runhcs is killed then); a runhcs that exits without writing it failed.
   */
  async execAttached(opts: AttachedExecOptions, call: IoCallOptions = {}): Promise<AttachedExec> {
    const own = new AbortController();
    const cancel = (): void => own.abort(call.signal?.reason);
    call.signal?.addEventListener("abort", cancel, { once: true });
    const t0 = performance.now();
    const running = this.#spawn(execArgs({ ...opts, detach: false }), {
      ...call,
      timeoutMs: Number.POSITIVE_INFINITY,
      signal: own.signal,
      timed: true, // timed here: until the pid file came, not until the process exits
    }).then((r) => ({ ...r, exitedAt: new Date() }));
    running.catch(() => {}); // observed below, or after the pid file came
    let pid: number | undefined;
    try {
      pid = await awaitPidFile(opts.pidFile, {
        until: running,
        timeoutMs: call.timeoutMs ?? this.#timeoutMs,
        ...(call.signal ? { signal: call.signal } : {}),
      });
    } catch (e: unknown) {
      own.abort(e);
      throw call.signal?.aborted ? new CanceledError("runhcs exec", { cause: call.signal.reason }) : e;
    } finally {
      call.signal?.removeEventListener("abort", cancel);
      this.#onCall?.({ command: "exec", ms: performance.now() - t0 });
    }
    if (pid === undefined) {
      const { result, failure } = await running;
      throw result.exitCode === 0
        ? new PidFileError(opts.pidFile, "missing", "", `runhcs exec wrote no pid file ${opts.pidFile}`)
        : await failure();
    }
    const exited = running.then(({ result, exitedAt }) => ({ exitCode: exitCodeOf(result), exitedAt }));
    return { pid, exited };
  }

  /** `kill <id> <signal>`: signals the init process. See `isContainerStopped`. */
  async kill(id: string, signal: number | string, call: CallOptions = {}): Promise<void> {
    await this.run(killArgs({ id, signal }), call);
  }

  /** `delete [--force] <id>` */
  async delete(id: string, opts: { force?: boolean } = {}, call: CallOptions = {}): Promise<void> {
    await this.run(deleteArgs({ id, ...opts }), call);
  }

  /** `state <id>`, parsed. */
  state(id: string, call: CallOptions = {}): Promise<ContainerState> {
    return this.#runParsed(stateArgs({ id }), call, parseState);
  }

  /** `ps --format=json <id>`: container-side pids (`[]` when runhcs prints `null`). */
  ps(id: string, call: CallOptions = {}): Promise<number[]> {
    return this.#runParsed(psArgs({ id }), call, parsePs);
  }

  /** `list --format=json`: all containers under `--root`. */
  list(call: CallOptions = {}): Promise<ContainerState[]> {
    return this.#runParsed(listArgs(), call, parseList);
  }

  /** `pause <id>` */
  async pause(id: string, call: CallOptions = {}): Promise<void> {
    await this.run(pauseArgs({ id }), call);
  }

  /** `resume <id>` */
  async resume(id: string, call: CallOptions = {}): Promise<void> {
    await this.run(resumeArgs({ id }), call);
  }

  /** `resize-tty [--pid N] <id> <width> <height>` (1..65535 each). */
  async resizeTty(opts: ResizeTtyOptions, call: CallOptions = {}): Promise<void> {
    await this.run(resizeTtyArgs(opts), call);
  }
}

/** What {@link Runhcs.execAttached} needs: the pid file is how we learn the helper's pid. */
export type AttachedExecOptions = Omit<ExecOptions, "detach"> & { pidFile: string };

/** A running attached exec: its helper's host pid, and how the process ended once it did. */
export interface AttachedExec {
  pid: number;
  /** The exit code of `runhcs exec`, i.e. the process's; rejects only if runhcs could not be waited for. */
  exited: Promise<{ exitCode: number; exitedAt: Date }>;
}

/**
 * The process's exit code from `runhcs exec`'s: Windows' full 32 bits unsigned; a death by signal
 * (posix, runhcs itself killed) as `128 + N`, the shell's convention.
 */
function exitCodeOf(result: CommandResult): number {
  if (result.exitCode !== null) return result.exitCode >>> 0;
  const signo = result.signal ? osConstants.signals[result.signal] : undefined;
  return signo ? 128 + signo : UNKNOWN_EXIT_CODE;
}

/** Trimmed, bounded tail of an output stream. */
function tail(text: string): string {
  const t = text.trim();
  return t.length > MAX_MESSAGE_CHARS ? `…${t.slice(t.length - MAX_MESSAGE_CHARS)}` : t;
}
