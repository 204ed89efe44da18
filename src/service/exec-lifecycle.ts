/**
 * An exec's lifecycle: Exec (id, files and stdio, taken and checked before it is added), the side effects
 * of its operations (an attached `runhcs exec`, signals through the platform, file cleanup), and its
 * release when the task is deleted without it.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { BUNDLE_FILES, writeProcessSpec } from "../bundle/index.js";
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
} from "../errdefs.js";
import { isSafeId } from "../ids.js";
import type { ExitInfo } from "../platform/types.js";
import { ExecProcess } from "../process/exec.js";
import { type ExecOps, UNKNOWN_EXIT_STATUS } from "../process/types.js";
import { claimFiles } from "./bundle-guard.js";
import type { ExecTable } from "./exec-table.js";
import { awaitExitOrGiveUp, watchExit } from "./exit-reporter.js";
import type { InitMember, Member, TaskContext } from "./members.js";
import { runhcsFailure } from "./runhcs-errors.js";
import { target } from "./signalling.js";
import type { ExecConfig } from "./task.js";

/** Adds an exec (created, not started) to the task of `init`. */
export async function addExec(
  ctx: TaskContext,
  init: InitMember,
  execs: ExecTable,
  cfg: ExecConfig,
): Promise<void> {
  const { execId } = cfg;
  if (!isSafeId(execId))
    throw new InvalidArgumentError(`exec id ${JSON.stringify(execId)} is not a valid id`);
  if (execs.has(execId)) throw new AlreadyExistsError(`exec ${execId}`);
  checkExecable(ctx, init);
  execs.reserve(execId);
  const specFile = join(init.bundle, BUNDLE_FILES.execSpec(execId));
  const files = [BUNDLE_FILES.execSpec(execId), BUNDLE_FILES.execPid(execId)];
  const logs = init.options.debug ? [BUNDLE_FILES.execShimLog(execId)] : [];
  try {
    claimFiles(init.bundle, `exec ${execId}`, files, logs);
  } catch (err: unknown) {
    execs.unreserve(execId);
    throw err;
  }
  try {
    writeProcessSpec(specFile, cfg.spec);
    const io = await ctx.deps.openIO(cfg.stdio);
    try {
      checkExecable(ctx, init);
    } catch (err: unknown) {
      io.close();
      throw err;
    }
    const exec: Member = {
      execId,
      stdio: cfg.stdio,
      io,
      proc: new ExecProcess(
        execId,
        execOps(ctx, init, execId, () => exec),
      ),
    };
    execs.add(exec);
  } catch (err: unknown) {
    execs.unreserve(execId);
    rmSync(specFile, { force: true });
    throw err;
  }
  ctx.deps.events.publish("/tasks/exec-added", { containerId: ctx.id, execId });
}

/** The task is deleted: its execs (never started, or never deleted) go with it, files and stdio included. */
export async function releaseExecs(ctx: TaskContext, execs: ExecTable): Promise<void> {
  for (const exec of execs.values()) {
    execs.remove(exec.execId);
    if (!exec.proc.exitResult) exec.proc.setExited({ exitStatus: UNKNOWN_EXIT_STATUS, exitedAt: new Date() });
    await exec.proc.delete().catch((err: unknown) => {
      ctx.deps.logger.warn({ err, execId: exec.execId }, "releasing an exec with its task failed");
    });
  }
}

/** An exec needs a running (or paused) task that is not deleted: checked before and after its awaits. */
function checkExecable(ctx: TaskContext, init: InitMember): void {
  const status = init.proc.status;
  if (status === "deleted") throw new NotFoundError(`task ${ctx.id}`);
  if (status !== "running" && status !== "paused") {
    throw new FailedPreconditionError(`cannot exec in a ${status} task`);
  }
}

/** The side effects of exec `execId`'s operations (`self`: the exec, once added). */
function execOps(ctx: TaskContext, init: InitMember, execId: string, self: () => Member): ExecOps {
  const specFile = join(init.bundle, BUNDLE_FILES.execSpec(execId));
  const pidFile = join(init.bundle, BUNDLE_FILES.execPid(execId));
  return {
    start: async () => {
      const exec = self();
      let started: { pid: number; exited: Promise<ExitInfo> };
      try {
        // Attached: runhcs exec's own exit code is the process's, so a process that ends at once
        // (before its helper could be opened) still reports its exact code.
        started = await init.runhcs.execAttached(
          {
            id: ctx.id,
            processFile: specFile,
            pidFile,
            ...(init.options.debug ? { shimLog: join(init.bundle, BUNDLE_FILES.execShimLog(execId)) } : {}),
          },
          {
            stdio: exec.io.runhcsStdio,
            onSpawn: () => exec.io.afterSpawn(),
            timeoutMs: ctx.timeouts.startMs,
          },
        );
      } catch (err: unknown) {
        throw runhcsFailure(err, `start exec ${execId}`);
      }
      watchExit(ctx, exec, started.exited);
      ctx.deps.events.publish("/tasks/exec-started", { containerId: ctx.id, execId, pid: started.pid });
      return started.pid;
    },
    // runhcs kill only reaches a container's init process: an exec is reached through the platform
    // (Windows: HCS, by the container pid runhcs recorded for the exec's helper). Once its exit is
    // observed, the process (its ExitedState) no longer comes here: its pid may name another process.
    kill: (signal: number) => ctx.deps.containerProcesses.signal(target(init, self()), signal),
    delete: async () => {
      await awaitExitOrGiveUp(ctx, self());
      for (const f of [specFile, pidFile]) rmSync(f, { force: true });
    },
  };
}
