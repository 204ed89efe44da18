/**
 * `runhcs resize-tty [--pid P] ID W H`: P is a helper's host pid (the pid-file value); without it the
 * init process. Applies to the pty when the process has one, and is a no-op otherwise.
 */
import { UsageError } from "../cli-args.js";
import { controlAddress, controlRequest } from "../control.js";
import { effectiveStatus } from "../state-store.js";
import { CONTAINER_STOPPED, type Command } from "./command.js";

function dimension(name: string, s: string): number {
  if (!/^\d+$/.test(s)) throw new UsageError(`${name}: strconv.ParseUint: parsing "${s}": invalid syntax`);
  const n = Number(s);
  if (n < 1 || n > 65535) throw new UsageError(`${name} must be between 1 and 65535, got ${s}`);
  return n;
}

export const resizeTty: Command = {
  flags: [{ name: "pid", aliases: ["p"], kind: "string" }],
  min: 3,
  max: 3,
  async run(ctx, p) {
    const [id, w, h] = p.args as [string, string, string];
    const width = dimension("width", w);
    const height = dimension("height", h);
    const rec = ctx.store.get(id);
    const status = effectiveStatus(rec);
    if (status !== "running" && status !== "paused") throw new Error(CONTAINER_STOPPED);
    const pidText = p.strings.get("pid");
    let helper = rec.shimPid;
    if (pidText !== undefined) {
      helper = Number(pidText);
      if (!/^\d+$/.test(pidText) || (helper !== rec.shimPid && !rec.execs[pidText])) {
        throw new Error(`state 'pid-${pidText}' is not present for ID '${id}'`);
      }
    }
    const reply = await controlRequest(controlAddress(ctx.store.containerDir(id), helper), {
      op: "resize",
      width,
      height,
    });
    if (!reply.ok) throw new Error(reply.error);
    return 0;
  },
};
