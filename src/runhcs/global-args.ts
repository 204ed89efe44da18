/**
 * Global runhcs flags, emitted before the subcommand in go-runhcs's fixed order:
 * `--debug`, `--log`, `--log-format`, `--owner`, `--root` (each only when set).
 */
import { InvalidArgumentError } from "../errdefs.js";
import { logPath, pushFlag } from "./args.js";

/** runhcs log formats; anything else makes runhcs fail with `unknown log-format`. */
export type LogFormat = "json" | "text";

/** Flags that apply to every runhcs invocation of one client. */
export interface GlobalOptions {
  /** `--debug`: debug-level logging in runhcs. */
  debug?: boolean;
  /** `--log`: a file (made absolute) or a named pipe (verbatim). runhcs's default is `nul`. */
  log?: string;
  /** `--log-format`; `json` lets us read runhcs's error message back from a `--log` file. */
  logFormat?: LogFormat;
  /** `--owner`: HCS compute-system owner (the containerd shim uses `containerd-runhcs-shim-v1`). */
  owner?: string;
  /** `--root`: registry key for runhcs state (not a directory). */
  root?: string;
}

/** The global flags as argv, in go-runhcs's order. */
export function globalArgs(opts: GlobalOptions): string[] {
  const args: string[] = [];
  if (opts.debug) args.push("--debug");
  if (opts.log) pushFlag(args, "--log", logPath(opts.log));
  if (opts.logFormat !== undefined) {
    if (opts.logFormat !== "json" && opts.logFormat !== "text") {
      throw new InvalidArgumentError(`unknown log-format ${JSON.stringify(opts.logFormat)}`);
    }
    args.push("--log-format", opts.logFormat);
  }
  pushFlag(args, "--owner", opts.owner);
  pushFlag(args, "--root", opts.root);
  return args;
}
