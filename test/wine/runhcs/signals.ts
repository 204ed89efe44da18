/**
 * runhcs's signal validation, as hcsshim's `internal/signals` (signal.go `ValidateSigstrWCOW` /
 * `ValidateSigstrLCOW`, signalmap.go) with `signalsSupported = true` (RS5+ process-isolated WCOW, the
 * case `cmd/runhcs/kill.go` takes for a spec without `linux` or `windows.hyperv`), and how the simulated
 * compute system delivers a signal (the same for `runhcs kill` and for the fake HCS `signal` request).
 */

/** `signals.ErrInvalidSignal`. */
export const INVALID_SIGNAL = "invalid signal value";

/** `guestrequest.SignalValueWCOW`. */
export const WCOW_SIGNALS = ["CtrlC", "CtrlBreak", "CtrlClose", "CtrlLogOff", "CtrlShutdown"] as const;
export type WcowSignal = (typeof WCOW_SIGNALS)[number];

/** What kill.go does: `p.Kill()` (HcsTerminateProcess) or `p.Signal(options)` (HcsSignalProcess). */
export type Delivery = { kind: "terminate" } | { kind: "signal"; options: { Signal: WcowSignal | number } };

const LCOW: Record<string, number> = {
  ABRT: 6,
  ALRM: 14,
  BUS: 7,
  CHLD: 17,
  CLD: 17,
  CONT: 18,
  FPE: 8,
  HUP: 1,
  ILL: 4,
  INT: 2,
  IO: 29,
  IOT: 6,
  KILL: 9,
  PIPE: 13,
  POLL: 29,
  PROF: 27,
  PWR: 30,
  QUIT: 3,
  SEGV: 11,
  STKFLT: 16,
  STOP: 19,
  SYS: 31,
  TERM: 15,
  TRAP: 5,
  TSTP: 20,
  TTIN: 21,
  TTOU: 22,
  URG: 23,
  USR1: 10,
  USR2: 12,
  VTALRM: 26,
  WINCH: 28,
  XCPU: 24,
  XFSZ: 25,
};

/** strconv.Atoi: an optional sign and decimal digits only. */
function atoi(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

/** `ValidateSigstrWCOW(sigstr, true)`: numbers 0,1,2,5,6,9,15; CTRL* names, TERM, KILL; "" = CtrlShutdown. */
export function validateWcow(sigstr: string): Delivery {
  if (sigstr === "") return { kind: "signal", options: { Signal: "CtrlShutdown" } };
  const n = atoi(sigstr);
  const byNumber: Record<number, WcowSignal | "KILL"> = {
    0: "CtrlC",
    1: "CtrlBreak",
    2: "CtrlClose",
    5: "CtrlLogOff",
    6: "CtrlShutdown",
    9: "KILL",
    15: "CtrlShutdown",
  };
  const byName: Record<string, WcowSignal | "KILL"> = {
    CTRLC: "CtrlC",
    CTRLBREAK: "CtrlBreak",
    CTRLCLOSE: "CtrlClose",
    CTRLLOGOFF: "CtrlLogOff",
    CTRLSHUTDOWN: "CtrlShutdown",
    TERM: "CtrlShutdown",
    KILL: "KILL",
  };
  const v = n !== undefined ? byNumber[n] : byName[sigstr.toUpperCase()];
  if (!v) throw new Error(INVALID_SIGNAL);
  return v === "KILL" ? { kind: "terminate" } : { kind: "signal", options: { Signal: v } };
}

/**
 * `ValidateSigstrLCOW(sigstr, true)`: a number in the LCOW map (1..31) or a name without `SIG`; ""
 * = SIGTERM. LCOW sends every signal, KILL included, through HcsSignalProcess.
 */
export function validateLcow(sigstr: string): Delivery {
  if (sigstr === "") return { kind: "signal", options: { Signal: 15 } };
  const n = atoi(sigstr);
  const v = n !== undefined ? (Object.values(LCOW).includes(n) ? n : undefined) : LCOW[sigstr.toUpperCase()];
  if (v === undefined) throw new Error(INVALID_SIGNAL);
  return { kind: "signal", options: { Signal: v } };
}

/** STATUS_CONTROL_C_EXIT: what the default console control handler exits with (ExitProcess). */
export const STATUS_CONTROL_C_EXIT = 0xc000013a;
/** Exit code of a process ended by HcsTerminateProcess (TerminateProcess(h, 1) in the simulator). */
export const TERMINATED_EXIT = 1;
/** A container process whose OCI env holds this (=1) models one with a handler that ignores ctrl events. */
export const IGNORE_CTRL_ENV = "RUNHCS_WINE_SIM_IGNORE_CTRL";

/**
 * Parses the fake HCS `signal` options (hcsshim's SignalProcessOptionsWCOW `{"Signal":"CtrlShutdown"}`
 * or SignalProcessOptionsLCOW `{"Signal":15}`) for a container of the given OS; undefined = invalid.
 */
export function parseSignalOptions(json: string, lcow: boolean): WcowSignal | number | undefined {
  let sig: unknown;
  try {
    sig = (JSON.parse(json) as { Signal?: unknown }).Signal;
  } catch {
    return undefined;
  }
  if (lcow) return typeof sig === "number" && Object.values(LCOW).includes(sig) ? sig : undefined;
  return typeof sig === "string" && (WCOW_SIGNALS as readonly string[]).includes(sig)
    ? (sig as WcowSignal)
    : undefined;
}

/**
 * The exit code a delivered signal ends a process with, or undefined when the process "handles" it
 * (IGNORE_CTRL_ENV) and keeps running. WCOW console control events: the default handler's
 * ExitProcess(STATUS_CONTROL_C_EXIT). LCOW signal N: a Linux process's default death, 128 + N (SIGCHLD,
 * SIGCONT, SIGURG, SIGWINCH, whose default is to ignore, leave it running).
 */
export function signalExitCode(sig: WcowSignal | number, ignoresCtrl: boolean): number | undefined {
  if (typeof sig === "string") return ignoresCtrl ? undefined : STATUS_CONTROL_C_EXIT;
  if (sig === 9) return 128 + 9;
  if ([17, 18, 23, 28].includes(sig) || ignoresCtrl) return undefined;
  return 128 + sig;
}
