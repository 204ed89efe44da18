/**
 * `runhcs resize-tty`: resizes a process's console. `--pid` is the host pid of the process's
 * `runhcs shim` helper (what the pid file holds); without it runhcs targets the init process.
 */
import { InvalidArgumentError } from "../errdefs.js";
import { requireId } from "./args.js";

/** Console dimensions are uint16 in runhcs, and it rejects 0. */
export const MAX_CONSOLE_DIMENSION = 65535;

/** What `resize-tty` needs. */
export interface ResizeTtyOptions {
  /** Container id. */
  id: string;
  width: number;
  height: number;
  /** Host pid of the helper of the process to resize (exec or init). */
  pid?: number;
}

function dimension(name: string, v: number): string {
  if (!Number.isInteger(v) || v < 1 || v > MAX_CONSOLE_DIMENSION) {
    throw new InvalidArgumentError(`${name} must be an integer in 1..${MAX_CONSOLE_DIMENSION}, got ${v}`);
  }
  return String(v);
}

/** `resize-tty [--pid N] <id> <width> <height>` */
export function resizeTtyArgs(opts: ResizeTtyOptions): string[] {
  const id = requireId(opts.id);
  const width = dimension("width", opts.width);
  const height = dimension("height", opts.height);
  const args = ["resize-tty"];
  if (opts.pid !== undefined) {
    if (!Number.isSafeInteger(opts.pid) || opts.pid <= 0) {
      throw new InvalidArgumentError(`pid must be a positive integer, got ${opts.pid}`);
    }
    args.push("--pid", String(opts.pid));
  }
  args.push(id, width, height);
  return args;
}
