/**
 * Signal parsing for `runhcs kill ID SIG`: decimal or a name (case-insensitive, `SIG` prefix optional),
 * like runhcs's LCOW path. Windows Ctrl events have no Linux meaning; Linux signal numbers are used as-is.
 */
import { constants } from "node:os";

/** SIGTERM: runhcs's default when no signal is given. */
export const DEFAULT_SIGNAL = constants.signals.SIGTERM;

const byName = new Map<string, number>(
  Object.entries(constants.signals).map(([name, num]) => [name.toUpperCase(), num]),
);
const SIGRTMAX = 64;

/** Parses a signal; throws runhcs v0.8's `invalid signal '<s>'` for anything unknown. */
export function parseSignal(text: string | undefined): number {
  if (text === undefined || text === "") return DEFAULT_SIGNAL;
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 0 && n <= SIGRTMAX) return n;
  } else {
    const upper = text.toUpperCase();
    const n = byName.get(upper) ?? byName.get(`SIG${upper}`);
    if (n !== undefined) return n;
  }
  throw new Error(`invalid signal '${text}'`);
}

/** Exit code reported for a process killed by a signal: 128 + signo, as a POSIX shell does. */
export function signalExitCode(signal: NodeJS.Signals | number): number {
  const n = typeof signal === "number" ? signal : (constants.signals[signal] ?? 0);
  return 128 + n;
}
