/** Shape of one runhcs subcommand: its flags, positional arity and action (returns the exit code). */
import type { FlagSpec, ParsedArgs } from "../cli-args.js";
import type { SimContext } from "../context.js";

export interface Command {
  flags: readonly FlagSpec[];
  /** Positional arguments accepted (runhcs checkArgs). */
  min: number;
  max: number;
  run(ctx: SimContext, p: ParsedArgs): Promise<number>;
}

/** runhcs's errContainerStopped text; the containerd shim string-matches it. */
export const CONTAINER_STOPPED = "container is stopped";
