/**
 * The task of one container: its init process and its execs. Each method is one Task API operation for
 * this container (the registry routes the requests by id); the lifecycles, exit reporting and queries
 * are their own modules, and each process's phase is its state machine's (`src/process`).
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { SpecFile } from "../bundle/index.js";
import { FailedPreconditionError, NotFoundError } from "../errdefs.js";
import { validateContainerSignal } from "../platform/container-signals.js";
import { type ExitResult, UNKNOWN_EXIT_STATUS } from "../process/types.js";
import { isContainerStopped } from "../runhcs/index.js";
import type { TaskDeps } from "./deps.js";
import { addExec, releaseExecs } from "./exec-lifecycle.js";
import { ExecTable } from "./exec-table.js";
import { createInit } from "./init-lifecycle.js";
import type { InitMember, Member, TaskContext } from "./members.js";
import { QueryLimiter } from "./query-limiter.js";
import { runhcsFailure } from "./runhcs-errors.js";
import { type CreateConfig, DEFAULT_TIMEOUTS, type ExecConfig, type ProcessView } from "./task.js";
import { pids, view } from "./task-queries.js";

export class Task {
  readonly id: string;
  readonly #ctx: TaskContext;
  #init: InitMember | undefined;
  readonly #execs = new ExecTable();
  /** runhcs queries (ps) run through it; lifecycle calls do not. */
  readonly #queries = new QueryLimiter();

  constructor(id: string, deps: TaskDeps) {
    this.id = id;
    this.#ctx = { id, deps, timeouts: { ...DEFAULT_TIMEOUTS, ...deps.timeouts } };
  }

  /** The init pid, 0 before create. */
  get pid(): number {
    return this.#init?.proc.pid ?? 0;
  }

  get deleted(): boolean {
    return this.#init?.proc.status === "deleted";
  }

  /**
   * Creates the container from its bundle's `spec` (config.json, as the registry read it); called once (a
   * Create of an id the registry holds is refused there).
   */
  async create(cfg: CreateConfig, spec: SpecFile): Promise<number> {
    this.#init = await createInit(this.#ctx, cfg, spec, this.#execs);
    return this.#init.proc.pid;
  }

  start(execId: string): Promise<number> {
    return this.#lookup(execId).proc.start();
  }

  exec(cfg: ExecConfig): Promise<void> {
    return addExec(this.#ctx, this.#requireInit(), this.#execs, cfg);
  }

  async kill(execId: string, signal: number, all: boolean): Promise<void> {
    const member = this.#lookup(execId);
    // What runhcs would refuse is refused here, with the list of what it accepts.
    validateContainerSignal(signal, this.#requireInit().lcow);
    await member.proc.kill(signal, all);
  }

  async pause(): Promise<void> {
    await this.#requireInit().proc.pause();
    this.#ctx.deps.events.publish("/tasks/paused", { containerId: this.id });
  }

  async resume(): Promise<void> {
    await this.#requireInit().proc.resume();
    this.#ctx.deps.events.publish("/tasks/resumed", { containerId: this.id });
  }

  /**
   * Deletes a process; returns how it ended (255 and now when its exit was never observed). The init
   * takes the task's execs with it, and is refused while one of them runs.
   */
  async delete(execId: string): Promise<ProcessView> {
    const init = this.#requireInit();
    const member = this.#lookup(execId);
    const whole = member === init;
    if (
      whole &&
      init.proc.status !== "stopped" &&
      this.#execs.values().some((e) => e.proc.status === "running")
    ) {
      throw new FailedPreconditionError("cannot delete a task with running execs");
    }
    await member.proc.delete();
    if (whole) await releaseExecs(this.#ctx, this.#execs);
    else this.#execs.remove(execId);
    const v = view(member);
    const exit = v.exit ?? { exitStatus: UNKNOWN_EXIT_STATUS, exitedAt: new Date() };
    this.#ctx.deps.events.publish("/tasks/delete", {
      containerId: this.id,
      id: execId || this.id,
      pid: v.pid,
      exitStatus: exit.exitStatus,
      exitedAt: timestampFromDate(exit.exitedAt),
    });
    return { ...v, exit };
  }

  state(execId: string): ProcessView {
    return view(this.#lookup(execId));
  }

  pids(signal?: AbortSignal): Promise<Array<{ pid: number; execId: string | undefined }>> {
    return pids(this.#ctx, this.#requireInit(), this.#execs, this.#queries, signal);
  }

  async resizePty(execId: string, width: number, height: number): Promise<void> {
    const member = this.#lookup(execId);
    const init = this.#requireInit();
    // ctr sends 0x0 when its own terminal size is unknown: nothing to apply.
    if (width === 0 || height === 0) return;
    try {
      await init.runhcs.resizeTty({ id: this.id, width, height, pid: member.proc.pid });
    } catch (err: unknown) {
      // A console that is already gone (the process exited right after start) has no size to change.
      if (isContainerStopped(err)) return;
      throw runhcsFailure(err, `resize the console of ${execId || this.id}`);
    }
  }

  closeIO(execId: string, stdin: boolean): void {
    const member = this.#lookup(execId);
    if (stdin) member.io.closeStdin();
  }

  wait(execId: string, signal: AbortSignal): Promise<ExitResult> {
    return this.#lookup(execId).proc.wait(signal);
  }

  #requireInit(): InitMember {
    const init = this.#init;
    if (!init || init.proc.status === "deleted") throw new NotFoundError(`task ${this.id}`);
    return init;
  }

  #lookup(execId: string): Member {
    const init = this.#requireInit();
    if (execId === "") return init;
    const exec = this.#execs.get(execId);
    if (!exec) throw new NotFoundError(`exec ${execId}`);
    return exec;
  }
}
