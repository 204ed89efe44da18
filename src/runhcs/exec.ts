/** `runhcs exec`: runs an additional process (described by an OCI Process JSON file) in a running container. */
import { absolutePath, logPath, pushFlag, requireId } from "./args.js";

/** What `exec` needs. */
export interface ExecOptions {
  /** The CONTAINER id the process runs in. */
  id: string;
  /** Path of the OCI `Process` JSON; passed as given. */
  processFile: string;
  /** Where runhcs writes the exec helper's host pid (made absolute). */
  pidFile?: string;
  /** `--shim-log` for the exec helper. */
  shimLog?: string;
  /** Return once the process was created instead of waiting for it (the shim always detaches). */
  detach?: boolean;
}

/** `exec --process F [--detach] [--pid-file P] [--shim-log S] <id>` (go-runhcs order) */
export function execArgs(opts: ExecOptions): string[] {
  const id = requireId(opts.id);
  const args = ["exec", "--process", opts.processFile];
  if (opts.detach) args.push("--detach");
  if (opts.pidFile) args.push("--pid-file", absolutePath(opts.pidFile));
  if (opts.shimLog) pushFlag(args, "--shim-log", logPath(opts.shimLog));
  args.push(id);
  return args;
}
