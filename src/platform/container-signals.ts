/**
 * Which signal numbers a container accepts and what HCS is asked to do for each, exactly as runhcs
 * decides (hcsshim internal/signals/signal.go `ValidateWCOW` / `ValidateLCOW` with
 * `signalsSupported = true`, internal/signals/signalmap.go, cmd/runhcs/kill.go):
 *
 * - WCOW: 0 CtrlC, 1 CtrlBreak, 2 CtrlClose, 5 CtrlLogOff, 6 and 15 CtrlShutdown (sent with
 *   HcsSignalProcess as `{"Signal":"CtrlC"}` …), 9 → HcsTerminateProcess; anything else is invalid.
 * - LCOW: 1..31 (the values of signalMapLcow) sent as `{"Signal":<n>}`; anything else is invalid.
 * - kill.go terminates instead of signalling a WCOW process that has a console (`Process.Terminal`): a
 *   console control event cannot be delivered to it.
 * - 9 is terminated in both worlds: HcsTerminateProcess is what hcsshim's Process.Kill does, and it
 *   cannot be ignored or queued behind other signals by the guest.
 *
 * Not modelled: down-level hosts without the Signal feature (pre-RS5, or Hyper-V WCOW without the guest
 * capability), where runhcs only accepts 6/9/15 and terminates for each.
 */
import { InvalidArgumentError } from "../errdefs.js";

/** guestrequest.SignalValueWCOW for each WCOW signal number runhcs accepts (9 is absent: terminate). */
const WCOW_SIGNALS: ReadonlyMap<number, string> = new Map([
  [0, "CtrlC"],
  [1, "CtrlBreak"],
  [2, "CtrlClose"],
  [5, "CtrlLogOff"],
  [6, "CtrlShutdown"],
  [15, "CtrlShutdown"],
]);

/** SIGKILL. */
export const SIGKILL = 9;
/** Largest LCOW signal runhcs knows (SIGSYS, 0x1f). */
export const MAX_LCOW_SIGNAL = 31;

/** Every signal number runhcs accepts for the kind of container, ascending. */
export function acceptedSignals(lcow: boolean): number[] {
  if (lcow) return Array.from({ length: MAX_LCOW_SIGNAL }, (_, i) => i + 1);
  return [...WCOW_SIGNALS.keys(), SIGKILL].sort((a, b) => a - b);
}

/**
 * Throws `InvalidArgumentError` unless runhcs would accept `signal` for this kind of container
 * (WCOW: 0, 1, 2, 5, 6, 9, 15; LCOW: 1..31).
 */
export function validateContainerSignal(signal: number, lcow: boolean): void {
  const ok =
    Number.isInteger(signal) &&
    (lcow ? signal >= 1 && signal <= MAX_LCOW_SIGNAL : signal === SIGKILL || WCOW_SIGNALS.has(signal));
  if (!ok) {
    throw new InvalidArgumentError(
      `invalid signal ${signal} for a ${lcow ? "Linux (LCOW)" : "Windows (WCOW)"} container (runhcs accepts ${
        lcow ? `1..${MAX_LCOW_SIGNAL}` : acceptedSignals(false).join(", ")
      })`,
    );
  }
}

/** What HCS is asked to do: HcsTerminateProcess, or HcsSignalProcess with this options JSON. */
export type HcsSignalAction =
  | { readonly kind: "terminate" }
  | { readonly kind: "signal"; readonly options: string };

/**
 * The HCS call for `signal` (validated first, see {@link validateContainerSignal}): terminate for 9 and for
 * any signal to a WCOW process with a terminal; else HcsSignalProcess with hcsshim's
 * SignalProcessOptionsWCOW / SignalProcessOptionsLCOW JSON.
 */
export function hcsSignalAction(signal: number, lcow: boolean, terminal: boolean): HcsSignalAction {
  validateContainerSignal(signal, lcow);
  if (signal === SIGKILL || (!lcow && terminal)) return { kind: "terminate" };
  const value = lcow ? signal : WCOW_SIGNALS.get(signal);
  return { kind: "signal", options: JSON.stringify({ Signal: value }) };
}
