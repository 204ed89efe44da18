/**
 * `runhcs exec --process F [--detach] [--pid-file P] [--shim-log L] ID`: validates the process JSON,
 * starts an exec helper (same stdio inheritance as create), writes the pid file; with --detach returns at
 * once, else waits and exits with the process's code. Without --process, `ID ARGS...` plus --cwd/--env/--tty
 * describe the process (runhcs's interactive form).
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "../atomic-file.js";
import { UsageError } from "../cli-args.js";
import { launchHelper } from "../launcher.js";
import { parseExecProcess } from "../oci.js";
import { effectiveStatus } from "../state-store.js";
import { CONTAINER_STOPPED, type Command } from "./command.js";

export const exec: Command = {
  flags: [
    { name: "process", aliases: ["p"], kind: "string" },
    { name: "detach", aliases: ["d"], kind: "bool" },
    { name: "pid-file", kind: "string" },
    { name: "shim-log", kind: "string" },
    { name: "cwd", kind: "string" },
    { name: "env", aliases: ["e"], kind: "list" },
    { name: "tty", aliases: ["t"], kind: "bool" },
    { name: "user", aliases: ["u"], kind: "string" },
  ],
  min: 1,
  max: Number.POSITIVE_INFINITY,
  async run(ctx, p) {
    const [id, ...cmd] = p.args as [string, ...string[]];
    const rec = ctx.store.get(id);
    if (effectiveStatus(rec) !== "running") throw new Error(CONTAINER_STOPPED);
    let processFile = p.strings.get("process");
    if (processFile !== undefined) {
      if (cmd.length > 0) throw new UsageError(`runhcs: "exec" requires exactly 1 argument(s)`);
      processFile = resolve(processFile);
      parseExecProcess(readFileSync(processFile, "utf8"));
    } else {
      if (cmd.length === 0) throw new Error("args must not be empty");
      const spec = {
        args: cmd,
        env: p.lists.get("env") ?? [],
        cwd: p.strings.get("cwd") ?? "/",
        terminal: p.bools.has("tty"),
      };
      parseExecProcess(JSON.stringify(spec));
      processFile = join(ctx.store.containerDir(id), `exec-${process.pid}-${Date.now()}.json`);
      writeFileAtomic(processFile, JSON.stringify(spec));
    }
    const shimLog = p.strings.get("shim-log");
    const helper = await launchHelper(ctx, [
      "--exec",
      "--process",
      processFile,
      ...(shimLog ? ["--shim-log", resolve(shimLog)] : []),
      id,
    ]);
    const pidFile = p.strings.get("pid-file");
    if (pidFile) writeFileAtomic(resolve(pidFile), String(helper.pid));
    ctx.log.info("exec process started", { id, pid: helper.pid });
    if (p.bools.has("detach")) {
      helper.detach();
      return 0;
    }
    return helper.exited;
  },
};
