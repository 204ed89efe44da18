/**
 * The init process's lifecycle: Create (bundle checks, config.json, `runhcs create`, the exit watch, and a
 * cleanup that leaves nothing behind when it fails) and the runhcs side effects of its operations.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { writeFileAtomic } from "../bundle/atomic-write.js";
import { BUNDLE_FILES, type SpecFile, writeMountsToConfig } from "../bundle/index.js";
import { DeadlineExceededError } from "../errdefs.js";
import { InitProcess } from "../process/init.js";
import { type InitOps, UNKNOWN_EXIT_STATUS } from "../process/types.js";
import {
  type CallOptions,
  isAlreadyExists,
  isContainerStopped,
  isNotFound,
  readPidFile,
} from "../runhcs/index.js";
import { claimFiles } from "./bundle-guard.js";
import type { RunhcsClient } from "./deps.js";
import type { ExecTable } from "./exec-table.js";
import {
  awaitExitOrGiveUp,
  reportExecsFirst,
  reportExit,
  settlesWithin,
  watchExit,
} from "./exit-reporter.js";
import type { InitMember, TaskContext } from "./members.js";
import { runhcsFailure } from "./runhcs-errors.js";
import { killAll } from "./signalling.js";
import { type CreateConfig, RUNHCS_OWNER } from "./task.js";

/** The `runhcs delete --force` that cleans up after a failed or cancelled create. */
const CREATE_CLEANUP_TIMEOUT_MS = 60_000;
/** Backoff of the `runhcs state` checks after `runhcs start`: at once, then 5, 10, 20 ... 100 ms. */
const START_POLL_FIRST_MS = 5;
const START_POLL_MAX_MS = 100;

/**
 * Creates the container and its init process from `spec`, the bundle's config.json as read for this Create;
 * `execs` are the task's (the init's exit waits for theirs).
 */
export async function createInit(
  ctx: TaskContext,
  cfg: CreateConfig,
  spec: SpecFile,
  execs: ExecTable,
): Promise<InitMember> {
  const { id, deps } = ctx;
  const { bundle, options } = cfg;
  // Files removed on delete (or a failed create) must be this create's; a runhcs.log found here is kept.
  const logs = [BUNDLE_FILES.runhcsLog, ...(options.debug ? [BUNDLE_FILES.shimLog, BUNDLE_FILES.vmLog] : [])];
  const required = [BUNDLE_FILES.initPid, BUNDLE_FILES.runhcsRoot];
  const ownLogs = claimFiles(bundle, `create task ${id}`, required, logs);
  const ownLog = !options.debug && ownLogs.includes(BUNDLE_FILES.runhcsLog);
  const { lcow } = await writeMountsToConfig(spec, cfg.rootfs, {
    requireLayerFolders: deps.requireLayerFolders,
  });
  const runhcs = deps.runhcs({
    debug: options.debug,
    log: join(bundle, BUNDLE_FILES.runhcsLog),
    logFormat: "json",
    owner: RUNHCS_OWNER,
    ...(options.registryRoot ? { root: options.registryRoot } : {}),
    cwd: bundle,
  });
  const pidFile = join(bundle, BUNDLE_FILES.initPid);
  const rootFile = join(bundle, BUNDLE_FILES.runhcsRoot);
  const io = await deps.openIO(cfg.stdio);
  try {
    if (options.registryRoot) await writeFileAtomic(rootFile, options.registryRoot);
    await runhcs.create(
      {
        id,
        bundle,
        pidFile,
        ...(options.debug
          ? { shimLog: join(bundle, BUNDLE_FILES.shimLog), vmLog: join(bundle, BUNDLE_FILES.vmLog) }
          : {}),
      },
      {
        stdio: io.runhcsStdio,
        onSpawn: () => io.afterSpawn(),
        timeoutMs: options.createTimeoutMs,
        ...(cfg.signal ? { signal: cfg.signal } : {}),
      },
    );
    const pid = await readPidFile(pidFile);
    const exited = deps.waiter.wait(pid);
    const init: InitMember = {
      execId: "",
      stdio: cfg.stdio,
      io,
      proc: new InitProcess(
        id,
        pid,
        initOps(ctx, () => init, execs, ownLog),
      ),
      runhcs,
      bundle,
      options,
      lcow,
    };
    watchExit(ctx, init, exited, () => reportExecsFirst(ctx, init, execs));
    deps.events.publish("/tasks/create", { containerId: id, bundle, rootfs: cfg.rootfs, io: cfg.stdio, pid });
    return init;
  } catch (err: unknown) {
    io.close();
    // runhcs create may have left a compute system, registry state or a helper behind (it was killed
    // at the deadline, cancelled, or failed half way): remove them, unless the id was someone else's.
    if (!isAlreadyExists(err)) {
      await deleteForce(runhcs, id, `clean up task ${id}`, { timeoutMs: CREATE_CLEANUP_TIMEOUT_MS }).catch(
        (e: unknown) => deps.logger.warn({ err: e }, "cleanup after a failed create: runhcs delete failed"),
      );
    }
    for (const f of [pidFile, rootFile]) rmSync(f, { force: true });
    throw runhcsFailure(err, `create task ${id}`);
  }
}

/** The runhcs side effects of the init's operations (`ownLog`: the runhcs.log is this create's to remove). */
function initOps(ctx: TaskContext, self: () => InitMember, execs: ExecTable, ownLog: boolean): InitOps {
  const { id, deps } = ctx;
  return {
    start: async (signal: AbortSignal) => {
      const init = self();
      try {
        await init.runhcs.start(id, { signal });
        await awaitStarted(ctx, init, signal);
      } catch (err: unknown) {
        throw signal.aborted ? signal.reason : runhcsFailure(err, `start task ${id}`);
      }
      deps.events.publish("/tasks/start", { containerId: id, pid: init.proc.pid });
    },
    kill: async (signal: number, all: boolean) => {
      try {
        await self().runhcs.kill(id, String(signal));
      } catch (err: unknown) {
        if (!isContainerStopped(err)) throw runhcsFailure(err, `kill task ${id}`);
      }
      if (all) await killAll(ctx, self(), execs, signal);
    },
    pause: () =>
      self()
        .runhcs.pause(id)
        .catch((err: unknown) => Promise.reject(runhcsFailure(err, `pause ${id}`))),
    resume: () =>
      self()
        .runhcs.resume(id)
        .catch((err: unknown) => Promise.reject(runhcsFailure(err, `resume ${id}`))),
    delete: async () => {
      const init = self();
      await deleteForce(init.runhcs, id, `delete task ${id}`);
      await awaitExitOrGiveUp(ctx, init);
      const files: string[] = [BUNDLE_FILES.initPid, BUNDLE_FILES.runhcsRoot];
      if (ownLog) files.push(BUNDLE_FILES.runhcsLog);
      for (const f of files) rmSync(join(init.bundle, f), { force: true });
    },
    destroy: async () => {
      const init = self();
      await deleteForce(init.runhcs, id, `kill created task ${id}`);
      if (await settlesWithin(init.proc.wait(), ctx.timeouts.deleteExitMs)) return;
      deps.logger.warn("no exit observed after destroying the created task: reporting it");
      const unknown = { exitCode: UNKNOWN_EXIT_STATUS, exitedAt: new Date() };
      await reportExit(ctx, init, unknown, () => reportExecsFirst(ctx, init, execs));
    },
  };
}

/** After `runhcs start`: `state` until the container is no longer `created` (no fixed sleeps). */
async function awaitStarted(ctx: TaskContext, init: InitMember, signal: AbortSignal): Promise<void> {
  const { id } = ctx;
  const { startMs } = ctx.timeouts;
  const deadline = Date.now() + startMs;
  for (let delay = 0; ; delay = Math.min(Math.max(delay * 2, START_POLL_FIRST_MS), START_POLL_MAX_MS)) {
    if (delay) await sleep(delay, undefined, { signal });
    if (!init.proc.alive) return;
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new DeadlineExceededError(`task ${id} still created ${startMs} ms after runhcs start`);
    }
    let status: string;
    try {
      status = (await init.runhcs.state(id, { timeoutMs: remaining, signal })).status;
    } catch (err: unknown) {
      if (signal.aborted) throw err;
      ctx.deps.logger.warn({ err }, "runhcs state after start failed");
      return;
    }
    if (status !== "created" && status !== "unknown") return;
  }
}

/** `runhcs delete --force`: a container runhcs no longer knows is gone already, which is fine. */
async function deleteForce(
  runhcs: RunhcsClient,
  id: string,
  what: string,
  call?: CallOptions,
): Promise<void> {
  try {
    await runhcs.delete(id, { force: true }, call);
  } catch (err: unknown) {
    if (!isNotFound(err)) throw runhcsFailure(err, what);
  }
}
