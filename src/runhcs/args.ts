/**
 * Argument helpers shared by the subcommand modules: path handling as go-runhcs does it, and id checks.
 */
import { resolve } from "node:path";
import { InvalidArgumentError } from "../errdefs.js";

/** Named pipes are handed to runhcs verbatim: it dials them instead of opening a file. */
export const PIPE_PREFIX = "\\\\.\\pipe\\";

/** True for a Windows named-pipe path (`\\.\pipe\...`, compared case-insensitively like Windows does). */
export function isNamedPipe(p: string): boolean {
  return p.slice(0, PIPE_PREFIX.length).toLowerCase() === PIPE_PREFIX;
}

/** A path runhcs resolves against its own cwd made absolute, so the caller's cwd is what counts. */
export function absolutePath(p: string): string {
  return resolve(p);
}

/** A log destination (`--log`, `--shim-log`, `--vm-log`): a named pipe verbatim, a file made absolute. */
export function logPath(p: string): string {
  return isNamedPipe(p) ? p : absolutePath(p);
}

/**
 * Rejects ids runhcs would misparse: empty, or starting with `-` (urfave/cli would read it as a flag).
 * Returns the id so it can be used inline.
 */
export function requireId(id: string, what = "container id"): string {
  if (id === "") throw new InvalidArgumentError(`${what} must not be empty`);
  if (id.startsWith("-"))
    throw new InvalidArgumentError(`${what} ${JSON.stringify(id)} must not start with "-"`);
  return id;
}

/** Appends `flag value` when value is set (non-empty). */
export function pushFlag(args: string[], flag: string, value: string | undefined): void {
  if (value !== undefined && value !== "") args.push(flag, value);
}

/** Parses runhcs's JSON stdout; malformed output is an Error naming the parse failure. */
export function parseJsonOutput(stdout: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch (e: unknown) {
    throw new Error(`invalid JSON output: ${(e as Error).message}`);
  }
}

/** Parses runhcs's JSON array stdout (`ps`, `list`), where `null` means an empty list. */
export function parseJsonArray(stdout: string): unknown[] {
  const value = parseJsonOutput(stdout);
  if (value === null) return [];
  if (!Array.isArray(value)) throw new Error("output is not a JSON array");
  return value;
}
