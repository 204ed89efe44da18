/**
 * `runhcs pause ID` / `runhcs resume ID`: SIGSTOP / SIGCONT to every process of the container (init, exec
 * processes and their descendants) — the closest Linux analogue of pausing an HCS compute system.
 */
import { signalEach } from "../proc.js";
import { containerPids, effectiveStatus } from "../state-store.js";
import { CONTAINER_STOPPED, type Command } from "./command.js";

function toggle(pause: boolean): Command {
  return {
    flags: [],
    min: 1,
    max: 1,
    async run(ctx, p) {
      const id = p.args[0] as string;
      ctx.store.get(id);
      ctx.store.update(id, (rec) => {
        const status = effectiveStatus(rec);
        if (status === "stopped" || status === "created") throw new Error(CONTAINER_STOPPED);
        if (pause && status === "paused") throw new Error("container is already paused");
        if (!pause && status === "running") throw new Error("container is not paused");
        signalEach(containerPids(rec), pause ? "SIGSTOP" : "SIGCONT");
        rec.status = pause ? "paused" : "running";
      });
      ctx.log.info(pause ? "container paused" : "container resumed", { id });
      return 0;
    },
  };
}

export const pause = toggle(true);
export const resume = toggle(false);
