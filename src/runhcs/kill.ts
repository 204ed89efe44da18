/**
 * `runhcs kill`: signals the container's INIT process (runhcs has no exec or `--all` targeting).
 * The signal is positional after the id; the shim passes containerd's signal number in decimal.
 */
import { InvalidArgumentError } from "../errdefs.js";
import { requireId } from "./args.js";

/** What `kill` needs. */
export interface KillOptions {
  id: string;
  /** Decimal number or signal name (runhcs accepts both, case-insensitively). */
  signal: number | string;
}

/** `kill <id> <signal>` */
export function killArgs(opts: KillOptions): string[] {
  const id = requireId(opts.id);
  let signal: string;
  if (typeof opts.signal === "number") {
    if (!Number.isSafeInteger(opts.signal) || opts.signal < 0) {
      throw new InvalidArgumentError(`invalid signal ${opts.signal}`);
    }
    signal = String(opts.signal);
  } else {
    if (opts.signal === "" || opts.signal.startsWith("-")) {
      throw new InvalidArgumentError(`invalid signal ${JSON.stringify(opts.signal)}`);
    }
    signal = opts.signal;
  }
  return ["kill", id, signal];
}
