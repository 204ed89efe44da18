/**
 * The shim's command line, parsed the way Go's `flag` package parses containerd's shims: flags first
 * (`-f value`, `-f=value`, one or two dashes, bools as `-f` or `-f=true`), parsing stops at the first
 * non-flag argument or `--`, and the first remaining argument is the action (`start`, `delete`, none = serve).
 *
 * containerd 1.6/1.7 passes `-namespace <ns> -address <grpc> -publish-binary <containerd> -id <id>
 * [-bundle <path>] [-debug] <action>`; the re-executed server gets `-socket` too. Unknown flags are an
 * error (Go exits 2; we exit 1 with the same message, see `main.ts`).
 */

/** The parsed command line. */
export interface ShimFlags {
  /** containerd namespace (`-namespace`, required by every action). */
  namespace: string;
  /** containerd's gRPC address (`-address`); part of the socket name. */
  address: string;
  /** containerd's own binary (`-publish-binary`), for the legacy event publishing. */
  publishBinary: string;
  /** Task / container id (`-id`). */
  id: string;
  /** Bundle directory (`-bundle`); when empty, the working directory. */
  bundle: string;
  /** Address to serve (`-socket`), given by `start` to the server it spawns. */
  socket: string;
  /** Debug logging (`-debug`). */
  debug: boolean;
  /** Print the version and exit (`-v`). */
  version: boolean;
  /** containerd 2.x `-info` (runtime info); accepted and refused with a clear error. */
  info: boolean;
  /** `start`, `delete`, or "" for serve. */
  action: string;
  /** Positional arguments after the action (ignored, as Go shims do). */
  rest: string[];
}

/** A command line Go's `flag` would refuse; the message is Go's. */
export class FlagError extends Error {
  override name = "FlagError";
}

type Kind = "string" | "bool";
const FLAGS: Record<string, { key: keyof ShimFlags; kind: Kind }> = {
  namespace: { key: "namespace", kind: "string" },
  address: { key: "address", kind: "string" },
  "publish-binary": { key: "publishBinary", kind: "string" },
  id: { key: "id", kind: "string" },
  bundle: { key: "bundle", kind: "string" },
  socket: { key: "socket", kind: "string" },
  debug: { key: "debug", kind: "bool" },
  v: { key: "version", kind: "bool" },
  info: { key: "info", kind: "bool" },
};

const TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** Defaults as containerd's shim package declares them (`-publish-binary` defaults to `containerd`). */
export function defaultFlags(): ShimFlags {
  return {
    namespace: "",
    address: "",
    publishBinary: "containerd",
    id: "",
    bundle: "",
    socket: "",
    debug: false,
    version: false,
    info: false,
    action: "",
    rest: [],
  };
}

/** Parses `argv` (without node and the script) as Go's `flag.Parse` + `flag.Arg(0)`. */
export function parseFlags(argv: readonly string[]): ShimFlags {
  const out = defaultFlags();
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg.length < 2 || arg[0] !== "-") break;
    let body = arg.slice(1);
    if (body[0] === "-") {
      body = body.slice(1);
      if (body === "") {
        i++; // `--` ends the flags and is consumed
        break;
      }
    }
    if (body === "" || body[0] === "-" || body[0] === "=") throw new FlagError(`bad flag syntax: ${arg}`);
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const def = FLAGS[name];
    if (!def) throw new FlagError(`flag provided but not defined: -${name}`);
    if (def.kind === "bool") {
      const text = eq < 0 ? "true" : body.slice(eq + 1);
      if (TRUE.has(text)) (out[def.key] as boolean) = true;
      else if (FALSE.has(text)) (out[def.key] as boolean) = false;
      else throw new FlagError(`invalid boolean value ${JSON.stringify(text)} for -${name}: parse error`);
      continue;
    }
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new FlagError(`flag needs an argument: -${name}`);
      value = next;
      i++;
    }
    (out[def.key] as string) = value;
  }
  const positional = argv.slice(i);
  out.action = positional[0] ?? "";
  out.rest = positional.slice(1);
  return out;
}
