/**
 * What State and Pids answer: State from the process machines alone (no runhcs call), Pids from
 * `runhcs ps` through the task's bounded query limiter.
 */
import type { ExecTable } from "./exec-table.js";
import type { InitMember, Member, TaskContext } from "./members.js";
import type { QueryLimiter } from "./query-limiter.js";
import { runhcsFailure } from "./runhcs-errors.js";
import type { ProcessView } from "./task.js";

export function view(member: Member): ProcessView {
  const { proc } = member;
  return {
    execId: member.execId,
    pid: proc.pid,
    status: proc.status,
    stdio: member.stdio,
    exit: proc.exitResult,
  };
}

/**
 * Pids of the container (runhcs ps), with the exec id of those that belong to an exec: its runhcs
 * helper, or a process below it where ps reports host pids (the simulator; process-isolated WCOW).
 */
export async function pids(
  ctx: TaskContext,
  init: InitMember,
  execs: ExecTable,
  queries: QueryLimiter,
  signal?: AbortSignal,
): Promise<Array<{ pid: number; execId: string | undefined }>> {
  const { id } = ctx;
  let found: number[];
  try {
    found = await queries.run(
      `pids of task ${id}`,
      () => init.runhcs.ps(id, signal ? { signal } : {}),
      signal,
    );
  } catch (err: unknown) {
    throw runhcsFailure(err, `pids of task ${id}`);
  }
  const byPid = new Map<number, string>();
  for (const e of execs.values()) {
    if (!e.proc.pid || e.proc.exitResult) continue;
    byPid.set(e.proc.pid, e.execId);
    for (const p of await ctx.deps.tree.descendants(e.proc.pid).catch(() => [])) byPid.set(p, e.execId);
  }
  return found.map((pid) => ({ pid, execId: byPid.get(pid) }));
}
