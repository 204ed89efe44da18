/**
 * {@link Signals} for both platforms.
 *
 * containerd sends Kill with a plain signal number (`syscall.Signal` on the client's OS) and the
 * containerd runhcs shim passes it to `runhcs kill <id> <decimal>` unchanged; runhcs itself maps numbers to
 * what the container understands (LCOW: Linux signals; WCOW: 9 → terminate, 15 → CtrlShutdown, 0/1/2/5/6 →
 * console control events, see runhcs-cli.md §5). So we only validate the range and never translate:
 * - posix: 1..64 (SIGRTMAX is 64 on Linux; 0 is the "does it exist" probe, not a signal to deliver).
 * - Windows: 0..64 (0 is CTRL_C_EVENT for WCOW; anything above 64 is no signal in either world).
 */
import { InvalidArgumentError } from "../errdefs.js";
import type { Signals } from "./types.js";

/** Largest signal number accepted (Linux SIGRTMAX). */
export const MAX_SIGNAL = 64;

/** Sends a signal to a pid; `process.kill` unless a test substitutes it. */
export type KillFn = (pid: number, signal: number | NodeJS.Signals) => void;

function checkRange(signal: number, min: number): string {
  if (!Number.isInteger(signal) || signal < min || signal > MAX_SIGNAL) {
    throw new InvalidArgumentError(`invalid signal ${signal} (allowed: ${min}..${MAX_SIGNAL})`);
  }
  return String(signal);
}

/** Calls `kill`, mapping "no such process" to false; any other failure (EPERM) is thrown. */
function deliver(kill: KillFn, pid: number, signal: number | NodeJS.Signals): boolean {
  try {
    kill(pid, signal);
    return true;
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
}

/** posix signals: range 1..64, delivered with `kill(2)`. */
export class PosixSignals implements Signals {
  readonly #kill: KillFn;

  constructor(kill: KillFn = process.kill.bind(process)) {
    this.#kill = kill;
  }

  toRunhcsSignal(signal: number): string {
    return checkRange(signal, 1);
  }

  kill(pid: number, signal: number): boolean {
    checkRange(signal, 1);
    return deliver(this.#kill, pid, signal);
  }
}

/**
 * Windows signals: range 0..64 passed to runhcs unchanged. A host process has no signals, so `kill`
 * terminates it (`process.kill` with SIGKILL is `TerminateProcess`) whatever the number; 0 only probes
 * that the process exists, as on posix. It serves kill-all over host helper processes: signalling the
 * container's own processes is runhcs's business.
 */
export class WindowsSignals implements Signals {
  readonly #kill: KillFn;

  constructor(kill: KillFn = process.kill.bind(process)) {
    this.#kill = kill;
  }

  toRunhcsSignal(signal: number): string {
    return checkRange(signal, 0);
  }

  kill(pid: number, signal: number): boolean {
    checkRange(signal, 0);
    return deliver(this.#kill, pid, signal === 0 ? 0 : "SIGKILL");
  }
}
