/**
 * `runhcs kill ID [SIG]`: signals the container's init process only (runhcs has no exec targeting and no
 * --all). Fails with `container is stopped` unless the container runs (or is paused).
 */
import { parseSignal } from "../signals.js";
import { effectiveStatus } from "../state-store.js";
import { CONTAINER_STOPPED, type Command } from "./command.js";

export const kill: Command = {
  flags: [],
  min: 1,
  max: 2,
  async run(ctx, p) {
    const [id, sig] = p.args as [string, string | undefined];
    const rec = ctx.store.get(id);
    const status = effectiveStatus(rec);
    if ((status !== "running" && status !== "paused") || rec.initPid === 0)
      throw new Error(CONTAINER_STOPPED);
    const signal = parseSignal(sig);
    try {
      process.kill(rec.initPid, signal);
    } catch (err: unknown) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") throw new Error(CONTAINER_STOPPED);
      throw err;
    }
    ctx.log.info("signalled init process", { id, signal });
    return 0;
  },
};
