/**
 * How a process's exit reaches containerd. The exit waiter observes it: the process stops being signalled
 * at once (its pid is reaped). The report follows after all its output reached containerd (bounded), after
 * its start event, and for the init after its execs' exits (they die with the container); then the exit is
 * recorded (Wait returns, State shows it) and `/tasks/exit` is published.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ExitInfo } from "../platform/types.js";
import { UNKNOWN_EXIT_STATUS } from "../process/types.js";
import type { ExecTable } from "./exec-table.js";
import type { InitMember, Member, TaskContext } from "./members.js";
import { signalQuietly } from "./signalling.js";

const SIGKILL = 9;

/** What must be reported before a process's own exit (the init: its execs' exits). */
export type ReportFirst = () => Promise<void>;

/** Reports the exit `exited` resolves with; a failed wait is reported as an unknown exit. */
export function watchExit(
  ctx: TaskContext,
  member: Member,
  exited: Promise<ExitInfo>,
  first?: ReportFirst,
): void {
  exited.then(
    (info) => reportExit(ctx, member, info, first),
    (err: unknown) => {
      ctx.deps.logger.error({ err, execId: member.execId }, "waiting for the process failed");
      return reportExit(ctx, member, { exitCode: UNKNOWN_EXIT_STATUS, exitedAt: new Date() }, first);
    },
  );
}

export async function reportExit(
  ctx: TaskContext,
  member: Member,
  info: ExitInfo,
  first?: ReportFirst,
): Promise<void> {
  const { proc, io, execId } = member;
  proc.exitObserved();
  if (!(await settlesWithin(io.outputDone, ctx.timeouts.outputDrainMs)))
    ctx.deps.logger.warn({ execId }, "output still open after the exit: reporting the exit");
  await proc.startSettled;
  await first?.();
  // Delete may have given up waiting and recorded 255 already: then that stands, and no late exit follows.
  if (!proc.setExited({ exitStatus: info.exitCode, exitedAt: info.exitedAt })) return;
  // The recorded exit (a created init ended by Kill: 128 + signal), not necessarily the helper's code.
  const exit = proc.exitResult!;
  ctx.deps.events.publish("/tasks/exit", {
    containerId: ctx.id,
    id: execId || ctx.id,
    pid: proc.pid,
    exitStatus: exit.exitStatus,
    exitedAt: timestampFromDate(exit.exitedAt),
  });
}

/** The container is gone when its init exits: its execs are killed and their exits reported first. */
export async function reportExecsFirst(ctx: TaskContext, init: InitMember, execs: ExecTable): Promise<void> {
  const { startMs, outputDrainMs, deleteExitMs } = ctx.timeouts;
  const all = execs.values();
  // An exec whose runhcs exec is still in flight has no pid yet: let its start settle first.
  await settlesWithin(Promise.all(all.map((e) => e.proc.startSettled)), startMs);
  const started = all.filter((e) => e.proc.pid > 0 && !e.proc.exitResult);
  if (started.length === 0) return;
  await Promise.all(started.filter((e) => e.proc.alive).map((e) => signalQuietly(ctx, init, e, SIGKILL)));
  await settlesWithin(Promise.all(started.map((e) => e.proc.wait())), outputDrainMs + deleteExitMs);
}

/** Delete: wait (bounded) for the exit; if it never comes, record it as unknown so waiters return. */
export async function awaitExitOrGiveUp(ctx: TaskContext, member: Member): Promise<void> {
  const { proc } = member;
  if (proc.pid > 0 && !proc.exitResult && !(await settlesWithin(proc.wait(), ctx.timeouts.deleteExitMs))) {
    ctx.deps.logger.warn({ execId: member.execId }, "no exit observed after delete: reporting 255");
    proc.setExited({ exitStatus: UNKNOWN_EXIT_STATUS, exitedAt: new Date() });
  }
  member.io.close();
}

/** Whether `p` settles within `ms`; leaves no timer behind either way. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
