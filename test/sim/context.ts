/** What every subcommand gets: parsed global flags, the state store and the logger. */
import type { SimLog } from "./log.js";
import type { StateStore } from "./state-store.js";

export interface SimContext {
  /** `--owner` (stored, not reported: runhcs leaves `owner` empty in state output). */
  owner: string;
  /** The global flags as given, forwarded to helpers so they log and find state the same way. */
  globalArgv: string[];
  store: StateStore;
  /** Absolute state directory (exported to helpers through the environment). */
  stateDir: string;
  log: SimLog;
  /** Absolute path of the compiled entry module, run again as `runhcs shim` helpers. */
  entry: string;
}
