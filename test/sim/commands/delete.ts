/**
 * `runhcs delete [--force] ID`. Without --force the container must be stopped. With --force the whole
 * container tree is killed, the helpers get a short grace period to record their exit (then SIGKILL), and
 * the state is removed; a missing container is then a success.
 */
import { signalEach } from "../proc.js";
import { containerPids, effectiveStatus, helperPids } from "../state-store.js";
import type { Command } from "./command.js";

const GRACE_MS = 5_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const del: Command = {
  flags: [{ name: "force", aliases: ["f"], kind: "bool" }],
  min: 1,
  max: 1,
  async run(ctx, p) {
    const id = p.args[0] as string;
    const force = p.bools.has("force");
    const { store } = ctx;
    const rec = store.read(id);
    if (!rec) {
      if (force) return 0;
      store.get(id);
      return 1;
    }
    const status = effectiveStatus(rec);
    if (status !== "stopped") {
      if (!force) throw new Error(`cannot delete container ${id} that is not stopped: ${status}`);
      const tree = containerPids(rec);
      signalEach(tree, "SIGKILL");
      signalEach(tree, "SIGCONT");
      // A created container has no process: its helper exits (code 1) on SIGTERM.
      if (rec.initPid === 0) signalEach(helperPids(rec).slice(0, 1), "SIGTERM");
      const deadline = Date.now() + GRACE_MS;
      for (;;) {
        const current = store.read(id) ?? rec;
        const alive = helperPids(current);
        if (alive.length === 0) break;
        if (Date.now() > deadline) {
          signalEach(containerPids(current), "SIGKILL");
          signalEach(alive, "SIGKILL");
          break;
        }
        await sleep(25);
      }
    }
    store.locked(() => store.remove(id));
    ctx.log.info("container deleted", { id, force });
    return 0;
  },
};
