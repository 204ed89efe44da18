/**
 * `runhcs create --bundle B [--pid-file P] [--shim-log L] [--vm-log L] ID`: validates the bundle, records
 * the container, starts the init helper and writes its pid to the pid file before returning. The
 * container is `created`: its process only starts on `runhcs start`. A pod's workload container (CRI
 * annotations, read as hcsshim's cmd/runhcs/container.go `parseSandboxAnnotations`) needs its sandbox
 * container to exist, and a sandbox's sandbox id must be its own id, as runhcs checks.
 */
import { resolve } from "node:path";
import { writeFileAtomic } from "../atomic-file.js";
import { launchHelper } from "../launcher.js";
import { loadBundle, parseSandboxAnnotations } from "../oci.js";
import { startTimeOf } from "../proc.js";
import type { ContainerRecord } from "../state-store.js";
import type { Command } from "./command.js";

/** RFC3339Nano-like UTC time (Go trims trailing zeros of the fraction). */
export function rfc3339Nano(d = new Date()): string {
  return d.toISOString().replace(/\.?0+Z$/, "Z");
}

export const create: Command = {
  flags: [
    { name: "bundle", aliases: ["b"], kind: "string" },
    { name: "pid-file", kind: "string" },
    { name: "shim-log", kind: "string" },
    { name: "vm-log", kind: "string" },
    { name: "vm-console", kind: "string" },
    { name: "host", kind: "string" },
  ],
  min: 1,
  max: 1,
  async run(ctx, p) {
    const id = p.args[0] as string;
    const { store } = ctx;
    store.containerDir(id);
    const bundle = resolve(p.strings.get("bundle") ?? process.cwd());
    const cfg = loadBundle(bundle);
    const rec: ContainerRecord = {
      ociVersion: cfg.ociVersion,
      id,
      bundle,
      rootfs: cfg.rootfs,
      created: rfc3339Nano(),
      owner: ctx.owner,
      status: "created",
      shimPid: 0,
      shimStart: 0,
      initPid: 0,
      terminal: cfg.process.terminal,
      process: cfg.process,
      execs: {},
    };
    if (cfg.annotations) rec.annotations = cfg.annotations;
    const [sandboxId, isSandbox] = parseSandboxAnnotations(cfg.annotations ?? {});
    store.locked(() => {
      if (store.read(id)) throw new Error(`container with id '${id}' already exists`);
      // container.go createContainer: a sandbox is its own pod; a workload's sandbox must exist (any state).
      if (isSandbox && sandboxId !== id) throw new Error("sandbox ID must match ID");
      if (!isSandbox && sandboxId !== "") {
        const sandbox = store.get(sandboxId);
        if (parseSandboxAnnotations(sandbox.annotations ?? {})[0] !== sandboxId) {
          throw new Error(`container ${sandboxId} is not a sandbox`);
        }
      }
      store.write(rec);
    });
    try {
      const shimLog = p.strings.get("shim-log");
      const helper = await launchHelper(ctx, [...(shimLog ? ["--shim-log", resolve(shimLog)] : []), id]);
      store.update(id, (r) => {
        r.shimPid = helper.pid;
        r.shimStart = startTimeOf(helper.pid);
      });
      const pidFile = p.strings.get("pid-file");
      if (pidFile) writeFileAtomic(resolve(pidFile), String(helper.pid));
      ctx.log.info("container created", { id, pid: helper.pid });
      helper.detach();
    } catch (err: unknown) {
      store.locked(() => store.remove(id));
      throw err;
    }
    return 0;
  },
};
