/**
 * The runhcs simulator for the Wine lane: a Windows node program with runhcs's command line, run as
 * `runhcs.exe` (a Node single-executable built by test/wine/setup.sh whose script `require`s this file).
 * Topology as the real runhcs (see test/wine/README.md): a compute system process per container owns the
 * container's processes (compute-system.ts); `runhcs shim` helpers only relay stdio and wait
 * (helper.ts); state in the registry as internal/regstate keeps it (regstate.ts).
 * Errors: message on stderr, exit 1, and with `--log F --log-format json` a logrus-style line in F
 * (the shim reads runhcs's error back from that log).
 */
import fs from "node:fs";
import net from "node:net";
import { COMPUTE_SYSTEM_COMMAND, commands, type Globals } from "./commands.js";
import { runComputeSystem } from "./compute-system.js";
import { runHelper } from "./helper.js";

/** Splits `[global flags] <command> [flags] [positionals]`; `--x=v` and `--x v` both accepted. */
function parse(argv: string[]): { g: Globals; command: string; flags: Map<string, string>; rest: string[] } {
  const BOOL = new Set(["--debug", "--detach", "-d", "--force", "-f", "--exec"]);
  const read = (i: number, into: Map<string, string>): number => {
    const a = argv[i] as string;
    const eq = a.indexOf("=");
    if (eq > 0) into.set(a.slice(0, eq), a.slice(eq + 1));
    else if (BOOL.has(a)) into.set(a, "true");
    else {
      into.set(a, argv[i + 1] ?? "");
      return i + 2;
    }
    return i + 1;
  };
  const globals = new Map<string, string>();
  let i = 0;
  while (i < argv.length && (argv[i] as string).startsWith("-")) i = read(i, globals);
  const g: Globals = {
    argv: argv.slice(0, i),
    json: globals.get("--log-format") === "json",
    root: globals.get("--root") || "default",
    owner: globals.get("--owner") || "runhcs",
  };
  const log = globals.get("--log");
  if (log) g.log = log;
  const command = argv[i++] ?? "";
  const flags = new Map<string, string>();
  const rest: string[] = [];
  while (i < argv.length) {
    if ((argv[i] as string).startsWith("-")) i = read(i, flags);
    else rest.push(argv[i++] as string);
  }
  return { g, command, flags, rest };
}

async function run(argv: string[]): Promise<number> {
  const { g, command, flags, rest } = parse(argv);
  const id = rest[0] ?? "";
  const fail = (msg: string): number => {
    process.stderr.write(`${msg}\n`);
    if (g.log && g.json) {
      fs.appendFileSync(
        g.log,
        `${JSON.stringify({ level: "error", msg, time: new Date().toISOString() })}\n`,
      );
    }
    return 1;
  };
  if (!id) return fail(`${command}: container id is required`);
  try {
    switch (command) {
      case "shim": {
        // `--exec` (a flag in runhcs, the spec on stdin); here the process file follows it or comes in --process.
        const processFile = flags.get("--process");
        await runHelper({ root: g.root, id, ...(processFile ? { processFile } : {}) });
        return -1; // the helper exits by itself
      }
      case COMPUTE_SYSTEM_COMMAND: {
        const ready = new net.Socket({ fd: 3, readable: true, writable: true });
        ready.on("error", () => {});
        await runComputeSystem(g.root, id, ready).catch((err: unknown) => {
          ready.end(`ERR ${err instanceof Error ? err.message : String(err)}\n`, () => process.exit(1));
        });
        return -1;
      }
      default: {
        const fn = commands[command];
        if (!fn) return fail(`${command}: not supported by the Wine runhcs simulator`);
        return await fn({ g, id, flags, rest });
      }
    }
  } catch (err: unknown) {
    return fail(err instanceof Error ? err.message : String(err));
  }
}

// SEA argv: [runhcs.exe, runhcs.exe, ...args]; under plain node: [node.exe, main.js, ...args].
// No top-level await: runhcs.exe loads this module with require() (require(esm) of Node 20.19+).
run(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`runhcs (Wine simulator): ${String(err)}\n`);
    process.exit(1);
  },
);
