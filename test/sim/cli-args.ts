/**
 * A small parser with the behaviour of Go's `flag` package as used by urfave/cli v1 (runhcs's CLI
 * library): `-name`/`--name`, `=value` or separate value, bool flags take no separate value, `--` ends
 * flags, unknown flags fail with Go's exact text. Subcommand flags may follow positionals (urfave v1
 * reorders them); global flags stop at the first positional (the subcommand).
 */

/** A flag definition; `list` flags may repeat (urfave StringSlice). */
export interface FlagSpec {
  name: string;
  aliases?: readonly string[];
  kind: "bool" | "string" | "list";
}

/** A command-line usage error (urfave prints `Incorrect Usage` before it). */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Parsed flags by canonical name, and positional arguments. */
export interface ParsedArgs {
  bools: Set<string>;
  strings: Map<string, string>;
  lists: Map<string, string[]>;
  args: string[];
  /** Index in argv just after the parsed part (only meaningful with `stopAtPositional`). */
  next: number;
}

function parseBool(flag: string, v: string): boolean {
  if (["1", "t", "T", "true", "TRUE", "True"].includes(v)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(v)) return false;
  throw new UsageError(`invalid boolean value "${v}" for -${flag}: parse error`);
}

/** Parses argv against specs; throws {@link UsageError} with Go flag's messages. */
export function parseArgs(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  stopAtPositional = false,
): ParsedArgs {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) {
    byName.set(s.name, s);
    for (const a of s.aliases ?? []) byName.set(a, s);
  }
  const out: ParsedArgs = {
    bools: new Set(),
    strings: new Map(),
    lists: new Map(),
    args: [],
    next: argv.length,
  };
  let i = 0;
  while (i < argv.length) {
    const a = argv[i] as string;
    if (a === "--") {
      out.args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      if (stopAtPositional) {
        out.next = i;
        return out;
      }
      out.args.push(a);
      i++;
      continue;
    }
    const body = a.startsWith("--") ? a.slice(2) : a.slice(1);
    if (body === "" || body.startsWith("-") || body.startsWith("="))
      throw new UsageError(`bad flag syntax: ${a}`);
    const eq = body.indexOf("=");
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`flag provided but not defined: -${name}`);
    i++;
    if (spec.kind === "bool") {
      if (eq >= 0 ? parseBool(name, body.slice(eq + 1)) : true) out.bools.add(spec.name);
      else out.bools.delete(spec.name);
      continue;
    }
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else {
      if (i >= argv.length) throw new UsageError(`flag needs an argument: -${name}`);
      value = argv[i] as string;
      i++;
    }
    if (spec.kind === "string") out.strings.set(spec.name, value);
    else out.lists.set(spec.name, [...(out.lists.get(spec.name) ?? []), value]);
  }
  return out;
}

/** runc/runhcs `checkArgs`: arity errors. */
export function checkArity(cmd: string, args: readonly string[], min: number, max: number): void {
  if (min === max && args.length !== min) {
    throw new UsageError(`runhcs: "${cmd}" requires exactly ${min} argument(s)`);
  }
  if (args.length < min) throw new UsageError(`runhcs: "${cmd}" requires a minimum of ${min} argument(s)`);
  if (args.length > max) throw new UsageError(`runhcs: "${cmd}" requires a maximum of ${max} argument(s)`);
}
