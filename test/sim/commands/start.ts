/** `runhcs start ID`: asks the init helper to start the container process (runhcs: HCS Start + pipe handshake). */
import { controlAddress, controlRequest } from "../control.js";
import { effectiveStatus } from "../state-store.js";
import type { Command } from "./command.js";

export const start: Command = {
  flags: [],
  min: 1,
  max: 1,
  async run(ctx, p) {
    const id = p.args[0] as string;
    const rec = ctx.store.get(id);
    const status = effectiveStatus(rec);
    if (status === "stopped") throw new Error("cannot start a container that has stopped");
    if (status === "running") throw new Error("cannot start an already running container");
    if (status !== "created" || rec.shimPid === 0) {
      throw new Error(`cannot start a container in the '${status}' state`);
    }
    const reply = await controlRequest(controlAddress(ctx.store.containerDir(id), rec.shimPid), {
      op: "start",
    });
    if (!reply.ok) throw new Error(reply.error);
    ctx.log.info("container started", { id });
    return 0;
  },
};
