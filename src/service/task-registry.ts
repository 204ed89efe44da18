/**
 * The server's tasks, one {@link Task} per container, and the routing of every Task API request to the
 * task its `id` names. Tasks share nothing but the server's dependencies (events, the exit waiter, the
 * platform): a request for one task never waits on another's mutex, runhcs call or query limiter.
 */

import { dirname, join } from "node:path";
import { readSpecFile, specAnnotations } from "../bundle/index.js";
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
} from "../errdefs.js";
import { isSafeId } from "../ids.js";
import type { ExitResult } from "../process/types.js";
import { checkBundle } from "./bundle-guard.js";
import { Task } from "./container-task.js";
import type { Admission, ServerDeps } from "./deps.js";
import { type PodRole, podRole } from "./pod.js";
import type { CreateConfig, ExecConfig, ProcessView } from "./task.js";

/**
 * The admission of a server started for container `shimId` in `bundle`: that container, and the other
 * containers of its group (`shim/group.ts`), each in its own bundle beside the server's. containerd makes
 * one bundle per task, `<state>/io.containerd.runtime.v2.task/<namespace>/<id>`, so a task of the same
 * namespace is `<parent of the server's bundle>/<id>`; a validated id cannot leave that directory.
 */
export function groupAdmission(shimId: string, bundle: string): Admission {
  const parent = dirname(bundle);
  return {
    bundleOf(id: string): string {
      if (!isSafeId(id)) throw new InvalidArgumentError(`task id ${JSON.stringify(id)} is not a valid id`);
      return id === shimId ? bundle : join(parent, id);
    },
  };
}

export class TaskRegistry {
  readonly #deps: ServerDeps;
  // Guarded by the event loop: a Create takes its id synchronously, before any await.
  readonly #tasks = new Map<string, Task>();
  /** The pod role of each task held that is in a pod (`pod.ts`). */
  readonly #pods = new Map<string, NonNullable<PodRole>>();

  constructor(deps: ServerDeps) {
    this.#deps = deps;
  }

  /** Tasks held: created or being created, and not deleted. */
  get size(): number {
    return this.#tasks.size;
  }

  /** The init pid of task `id` (Connect); 0 when there is none (yet). */
  pidOf(id: string): number {
    return this.#tasks.get(id)?.pid ?? 0;
  }

  async create(cfg: CreateConfig): Promise<number> {
    const { id } = cfg;
    if (!isSafeId(id)) throw new InvalidArgumentError(`task id ${JSON.stringify(id)} is not a valid id`);
    const bundle = this.#deps.admission.bundleOf(id);
    if (this.#tasks.has(id)) throw new AlreadyExistsError(`task ${id}`);
    const logger = this.#deps.taskLogs?.open(id, bundle) ?? this.#deps.logger;
    const task = new Task(id, { ...this.#deps, logger });
    this.#tasks.set(id, task);
    try {
      await checkBundle(cfg.bundle, bundle);
      const spec = readSpecFile(bundle); // read once: the pod role here, the layers in the task
      this.#joinPod(id, podRole(specAnnotations(spec.spec)));
      return await task.create(cfg, spec);
    } catch (err: unknown) {
      this.#remove(task);
      throw err;
    }
  }

  start(id: string, execId: string): Promise<number> {
    return this.#get(id).start(execId);
  }

  exec(id: string, cfg: ExecConfig): Promise<void> {
    return this.#get(id).exec(cfg);
  }

  kill(id: string, execId: string, signal: number, all: boolean): Promise<void> {
    return this.#get(id).kill(execId, signal, all);
  }

  pause(id: string): Promise<void> {
    return this.#get(id).pause();
  }

  resume(id: string): Promise<void> {
    return this.#get(id).resume();
  }

  /** Deletes a process; the task's init takes the task out of the registry (a pod's sandbox last). */
  async delete(id: string, execId: string): Promise<ProcessView> {
    const task = this.#get(id);
    if (execId === "" && this.#pods.get(id)?.sandbox) {
      const left = [...this.#pods].filter(([, r]) => !r.sandbox && r.sandboxId === id).map(([w]) => w);
      if (left.length > 0) {
        throw new FailedPreconditionError(
          `sandbox ${id} still has containers ${left.join(", ")}: delete them first`,
        );
      }
    }
    try {
      return await task.delete(execId);
    } finally {
      if (task.deleted) this.#remove(task);
    }
  }

  /** A workload container is created only while its sandbox exists here (runhcs looks it up too). */
  #joinPod(id: string, role: PodRole): void {
    if (!role) return;
    if (!role.sandbox && !this.#tasks.has(role.sandboxId)) {
      throw new FailedPreconditionError(
        `sandbox ${role.sandboxId} of container ${id} does not exist in this shim: create the sandbox first`,
      );
    }
    this.#pods.set(id, role);
  }

  #remove(task: Task): void {
    if (this.#tasks.get(task.id) !== task) return;
    this.#tasks.delete(task.id);
    this.#pods.delete(task.id);
    void this.#deps.taskLogs?.close(task.id);
  }

  state(id: string, execId: string): ProcessView {
    return this.#get(id).state(execId);
  }

  pids(id: string, signal?: AbortSignal): Promise<Array<{ pid: number; execId: string | undefined }>> {
    return this.#get(id).pids(signal);
  }

  resizePty(id: string, execId: string, width: number, height: number): Promise<void> {
    return this.#get(id).resizePty(execId, width, height);
  }

  closeIO(id: string, execId: string, stdin: boolean): void {
    this.#get(id).closeIO(execId, stdin);
  }

  wait(id: string, execId: string, signal: AbortSignal): Promise<ExitResult> {
    return this.#get(id).wait(execId, signal);
  }

  /**
   * Shutdown of task `id`: whether the server should exit now. `now` ends it regardless. Otherwise a task
   * `id` still held is refused (FailedPrecondition), and while other tasks remain the server answers and
   * stays: it exits only when no task is left.
   */
  shutdown(id: string, now: boolean): boolean {
    if (now) return true;
    if (this.#tasks.has(id)) throw new FailedPreconditionError("shutdown: the task is not deleted");
    return this.#tasks.size === 0;
  }

  #get(id: string): Task {
    const task = this.#tasks.get(id);
    if (!task) throw new NotFoundError(`task ${id}`);
    return task;
  }
}
