/**
 * Signals to the processes of a task that runhcs kill cannot reach (execs; every process for Kill `all`):
 * through the platform's ContainerProcesses seam, by each process's runhcs helper, in the init's container.
 */
import { NotFoundError } from "../errdefs.js";
import type { ContainerProcessTarget, ContainerSignalOptions } from "../platform/types.js";
import type { ExecTable } from "./exec-table.js";
import type { InitMember, Member, TaskContext } from "./members.js";

/** How the platform reaches a process of the task: by its runhcs helper, in the init's container. */
export function target(init: InitMember, member: Member): ContainerProcessTarget {
  return {
    root: init.options.registryRoot,
    containerId: init.proc.id,
    helperPid: member.proc.pid,
    terminal: member.stdio.terminal,
    lcow: init.lcow,
  };
}

/** Signals a process of the task; a process already gone is fine, other failures are logged. */
export async function signalQuietly(
  ctx: TaskContext,
  init: InitMember,
  member: Member,
  signal: number,
  options?: ContainerSignalOptions,
): Promise<void> {
  await ctx.deps.containerProcesses.signal(target(init, member), signal, options).catch((err: unknown) => {
    if (!(err instanceof NotFoundError))
      ctx.deps.logger.warn({ err, execId: member.execId }, "signal failed");
  });
}

/** Kill `all`: every live process of the task, as far as it can be reached (gone ones are skipped). */
export async function killAll(
  ctx: TaskContext,
  init: InitMember,
  execs: ExecTable,
  signal: number,
): Promise<void> {
  const live = [init, ...execs.values()].filter((m) => m.proc.alive);
  await Promise.all(live.map((m) => signalQuietly(ctx, init, m, signal, { helperFallback: false })));
}
