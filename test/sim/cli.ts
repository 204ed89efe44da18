/**
 * The runhcs command line: `runhcs [--debug] [--log F] [--log-format text|json] [--owner S] [--root K]
 * <subcommand> [flags] <id> [args]`. Errors are printed to stderr (and logged to `--log` as a logrus
 * error line) and exit 1, like runhcs's main.
 */
import { resolve } from "node:path";
import { checkArity, type FlagSpec, parseArgs, UsageError } from "./cli-args.js";
import type { Command } from "./commands/command.js";
import { create } from "./commands/create.js";
import { del } from "./commands/delete.js";
import { exec } from "./commands/exec.js";
import { kill } from "./commands/kill.js";
import { pause, resume } from "./commands/pause.js";
import { list, ps, state } from "./commands/query.js";
import { resizeTty } from "./commands/resize-tty.js";
import { start } from "./commands/start.js";
import type { SimContext } from "./context.js";
import { applyFault } from "./faults.js";
import { runHelper } from "./helper.js";
import { type LogFormat, SimLog } from "./log.js";
import { DEFAULT_STATE_DIR, STATE_DIR_ENV, StateStore } from "./state-store.js";
import { writeAll } from "./write-all.js";

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: "debug", kind: "bool" },
  { name: "log", kind: "string" },
  { name: "log-format", kind: "string" },
  { name: "owner", kind: "string" },
  { name: "root", kind: "string" },
];

/** The hidden helper: `runhcs shim [--exec] [--process F] [--shim-log L] ID`. */
const shim: Command = {
  flags: [
    { name: "exec", kind: "bool" },
    { name: "process", kind: "string" },
    { name: "shim-log", kind: "string" },
  ],
  min: 1,
  max: 1,
  async run(ctx, p) {
    await runHelper(ctx, {
      id: p.args[0] as string,
      exec: p.bools.has("exec"),
      processFile: p.strings.get("process"),
      shimLog: p.strings.get("shim-log"),
    });
    return new Promise<number>(() => {}); // the helper exits by itself
  },
};

const COMMANDS: Record<string, Command> = {
  create,
  start,
  exec,
  kill,
  delete: del,
  state,
  list,
  ps,
  pause,
  resume,
  "resize-tty": resizeTty,
  shim,
};

/** Runs one invocation and returns its exit code; `entry` is the module to re-run as helper. */
export async function run(argv: readonly string[], entry: string): Promise<number> {
  let log = new SimLog(undefined, "text", false);
  try {
    const g = parseArgs(argv, GLOBAL_FLAGS, true);
    const format = g.strings.get("log-format") ?? "text";
    if (format !== "text" && format !== "json")
      throw new Error(`unknown log-format ${JSON.stringify(format)}`);
    log = new SimLog(g.strings.get("log"), format as LogFormat, g.bools.has("debug"));
    const name = argv[g.next];
    if (name === undefined) {
      writeAll(1, "NAME:\n   runhcs - Open Container Initiative runtime for Windows (simulator)\n");
      return 0;
    }
    const cmd = COMMANDS[name];
    if (!cmd) throw new Error(`No help topic for '${name}'`);
    let p: ReturnType<typeof parseArgs>;
    try {
      p = parseArgs(argv.slice(g.next + 1), cmd.flags);
      checkArity(name, p.args, cmd.min, cmd.max);
    } catch (err: unknown) {
      if (err instanceof UsageError) writeAll(1, `Incorrect Usage: ${err.message}\n\n`);
      throw err;
    }
    const stateDir = resolve(process.env[STATE_DIR_ENV] || DEFAULT_STATE_DIR);
    const ctx: SimContext = {
      owner: g.strings.get("owner") ?? "runhcs",
      globalArgv: argv.slice(0, g.next),
      store: new StateStore(stateDir, g.strings.get("root") ?? "default"),
      stateDir,
      log,
      entry,
    };
    log.debug("runhcs invoked", { args: argv });
    if (name !== "shim") {
      const code = await applyFault(name, p.args[0]);
      if (code !== undefined) return code;
    }
    return await cmd.run(ctx, p);
  } catch (err: unknown) {
    const msg = err instanceof Error ? err.message : String(err);
    log.error(msg);
    writeAll(2, `${msg}\n`);
    return 1;
  }
}
