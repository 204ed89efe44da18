/** `runhcs create`: creates (does not start) the container and its hidden `runhcs shim` helper. */
import { absolutePath, logPath, pushFlag, requireId } from "./args.js";

/** What `create` needs; paths follow go-runhcs (bundle as given, pid file absolute, logs pipe-or-absolute). */
export interface CreateOptions {
  id: string;
  /** Bundle directory holding config.json; passed as given (runhcs resolves it against its cwd). */
  bundle: string;
  /** Where runhcs writes the helper's host pid (atomically, before `create` exits). */
  pidFile?: string;
  /** `--shim-log` for the `runhcs shim` helper. */
  shimLog?: string;
  /** `--vm-log` for the `runhcs vmshim` helper (utility VM cases). */
  vmLog?: string;
}

/** `create --bundle B [--pid-file P] [--shim-log S] [--vm-log V] <id>` */
export function createArgs(opts: CreateOptions): string[] {
  const id = requireId(opts.id);
  const args = ["create", "--bundle", opts.bundle];
  if (opts.pidFile) args.push("--pid-file", absolutePath(opts.pidFile));
  if (opts.shimLog) pushFlag(args, "--shim-log", logPath(opts.shimLog));
  if (opts.vmLog) pushFlag(args, "--vm-log", logPath(opts.vmLog));
  args.push(id);
  return args;
}
