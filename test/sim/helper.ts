/**
 * The hidden `runhcs shim` helper: the long-lived process whose pid goes into the pid file and whose exit
 * code IS the container process's exit code. It runs detached (own session), holds the stdio handles
 * runhcs create/exec got, reports readiness on fd 3 (`OK` or `ERR <text>`), and serves start/resize on
 * its control socket. The init helper, when its process exits, kills what is left of the container (as
 * runhcs shuts the compute system down) and marks the container stopped before exiting.
 */
import { readFileSync } from "node:fs";
import { Socket } from "node:net";
import { type ContainerProcess, startProcess } from "./container-process.js";
import type { SimContext } from "./context.js";
import { type ControlReply, type ControlRequest, controlAddress, serveControl } from "./control.js";
import { SimLog } from "./log.js";
import { becomeSubreaper } from "./native.js";
import { parseExecProcess } from "./oci.js";
import { containerTree, signalEach, startTimeOf } from "./proc.js";
import { containerPids, effectiveStatus } from "./state-store.js";

/** What `runhcs shim` was asked to do. */
export interface HelperOptions {
  id: string;
  /** Exec helper: run the process in `processFile` now. Init helper: wait for `start`. */
  exec: boolean;
  processFile?: string | undefined;
  shimLog?: string | undefined;
}

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Runs a helper; never returns (the process exits with the container process's code). */
export async function runHelper(ctx: SimContext, opts: HelperOptions): Promise<void> {
  const log = new SimLog(opts.shimLog, "json", true, { "container-id": opts.id, "helper-pid": process.pid });
  const ready = new Socket({ fd: 3, readable: true, writable: true });
  becomeSubreaper();
  ready.on("error", () => {});
  try {
    if (opts.exec) await runExec(ctx, opts, ready, log);
    else await runInit(ctx, opts, ready, log);
  } catch (err: unknown) {
    log.error(errText(err));
    ready.end(`ERR ${errText(err)}\n`, () => process.exit(1));
  }
}

function killAll(pids: number[]): void {
  signalEach(pids, "SIGKILL");
  signalEach(pids, "SIGCONT");
}

/** The exec process and everything below this helper (orphans re-parent here), not the helper itself. */
function ownTree(pid: number): number[] {
  return containerTree([pid, process.pid]).filter((p) => p !== process.pid);
}

async function runInit(ctx: SimContext, opts: HelperOptions, ready: Socket, log: SimLog): Promise<void> {
  const { store } = ctx;
  const id = opts.id;
  let proc: ContainerProcess | undefined;
  let started = false;

  const finish = (code: number) => {
    store.update(id, (r) => {
      killAll(containerPids(r));
      r.status = "stopped";
      r.shimPid = 0;
      r.initPid = 0;
      r.exitCode = code;
    });
    log.info("container stopped", { exitCode: code });
    process.exit(code);
  };

  const start = async (): Promise<ControlReply> => {
    if (started) return { ok: false, error: "cannot start an already running container" };
    started = true;
    const rec = store.get(id);
    try {
      proc = await startProcess(rec.process, rec.bundle);
    } catch (err: unknown) {
      log.error(errText(err));
      setImmediate(() => finish(1));
      return { ok: false, error: errText(err) };
    }
    const p = proc;
    store.update(id, (r) => {
      r.status = "running";
      r.initPid = p.pid;
    });
    log.info("container started", { pid: p.pid });
    p.exited.then(finish);
    return { ok: true };
  };

  const handler = async (req: ControlRequest): Promise<ControlReply> => {
    if (req.op === "start") return start();
    if (req.op === "resize") {
      proc?.resize(req.width, req.height);
      return { ok: true };
    }
    return { ok: false, error: "unknown request" };
  };
  await serveControl(controlAddress(store.containerDir(id), process.pid), handler);

  // delete --force on a created container, or an administrator: exit like a container that never ran.
  process.on("SIGTERM", () => {
    const rec = store.read(id);
    if (proc && rec) killAll(containerPids(rec));
    else finish(1);
  });
  ready.write("OK\n");
  // When `runhcs create` is gone it must have registered us; otherwise it failed and we are an orphan.
  ready.on("close", () => {
    const rec = store.read(id);
    if (!rec || rec.shimPid !== process.pid) {
      log.error("runhcs create did not register this helper; exiting");
      process.exit(1);
    }
  });
  ready.resume();
}

async function runExec(ctx: SimContext, opts: HelperOptions, ready: Socket, log: SimLog): Promise<void> {
  const { store } = ctx;
  const id = opts.id;
  const spec = parseExecProcess(readFileSync(opts.processFile ?? "", "utf8"));
  const rec = store.get(id);
  if (effectiveStatus(rec) !== "running") throw new Error("container is stopped");
  const proc = await startProcess(spec, rec.bundle);
  const helperStart = startTimeOf(process.pid);
  let registered = false;
  store.update(id, (r) => {
    if (effectiveStatus(r) !== "running") return false;
    r.execs[String(process.pid)] = { helperStart, pid: proc.pid, terminal: spec.terminal };
    registered = true;
    return true;
  });
  if (!registered) {
    killAll(ownTree(proc.pid));
    throw new Error("container is stopped");
  }
  await serveControl(controlAddress(store.containerDir(id), process.pid), async (req) => {
    if (req.op === "resize") {
      proc.resize(req.width, req.height);
      return { ok: true };
    }
    return { ok: false, error: "cannot start an already running container" };
  });
  process.on("SIGTERM", () => killAll(ownTree(proc.pid)));
  log.info("exec process started", { pid: proc.pid });
  ready.end("OK\n");
  const code = await proc.exited;
  store.update(id, (r) => {
    delete r.execs[String(process.pid)];
  });
  log.info("exec process exited", { exitCode: code });
  process.exit(code);
}
