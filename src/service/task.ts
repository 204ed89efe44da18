import { rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { writeFileAtomic } from "../bundle/atomic-write.js";
import { type RootfsMount, writeMountsToConfig, writeProcessSpec } from "../bundle/index.js";
import {
  AlreadyExistsError,
  DeadlineExceededError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
} from "../errdefs.js";
import { isSafeId } from "../ids.js";
import { validateContainerSignal } from "../platform/container-signals.js";
import type { ContainerProcessTarget, ContainerSignalOptions, ExitInfo } from "../platform/types.js";
import { ExecProcess } from "../process/exec.js";
import { InitProcess } from "../process/init.js";
import { type ExitResult, type ProcessStatus, UNKNOWN_EXIT_STATUS } from "../process/types.js";
import {
  type CallOptions,
  isAlreadyExists,
  isContainerStopped,
  isNotFound,
  readPidFile,
} from "../runhcs/index.js";
import { checkBundle, exists, refuseExisting } from "./bundle-guard.js";
import type { ProcessIO, RunhcsClient, StdioConfig, TaskDeps, TaskTimeouts } from "./deps.js";
import { QueryLimiter } from "./query-limiter.js";
import { runhcsFailure } from "./runhcs-errors.js";

/** The HCS owner runhcs records for containers this shim creates (as containerd's runhcs shim). */
export const RUNHCS_OWNER = "containerd-runhcs-shim-v1";
/** Files the shim creates in the bundle (removed on delete; `src/shim/delete.ts` removes them too). */
export const BUNDLE_FILES = {
  initPid: "runhcs-pidfile.pid",
  runhcsLog: "runhcs.log",
  shimLog: "runhcs-shim.log",
  vmLog: "runhcs-vm-shim.log",
  execSpec: (execId: string) => `exec-${execId}-process.json`,
  execPid: (execId: string) => `runhcs-exec-${execId}-pidfile.pid`,
  execShimLog: (execId: string) => `runhcs-shim-exec-${execId}.log`,
  /** The `--root` the task was created with, for the `delete` action when the server is gone. */
  runhcsRoot: "runhcs-root",
} as const;

const DEFAULT_TIMEOUTS: TaskTimeouts = { startMs: 30_000, outputDrainMs: 5_000, deleteExitMs: 5_000 };
/** `runhcs create` unless the runtime options say otherwise: a utility VM may boot for minutes. */
export const DEFAULT_CREATE_TIMEOUT_MS = 10 * 60_000;
/** The `runhcs delete --force` that cleans up after a failed or cancelled create. */
const CREATE_CLEANUP_TIMEOUT_MS = 60_000;
/** Backoff of the `runhcs state` checks after `runhcs start`: at once, then 5, 10, 20 ... 100 ms. */
const START_POLL_FIRST_MS = 5;
const START_POLL_MAX_MS = 100;
const SIGKILL = 9;

/** The runtime options of `containerd.runhcs.v1.Options` that the shim uses. */
export interface RuntimeOptions {
  debug: boolean;
  registryRoot: string;
  /** Bound of `runhcs create` (ms). */
  createTimeoutMs: number;
}

export interface CreateConfig {
  id: string;
  bundle: string;
  rootfs: RootfsMount[];
  stdio: StdioConfig;
  options: RuntimeOptions;
  /** The request's cancellation: a cancelled Create stops `runhcs create` and cleans up. */
  signal?: AbortSignal;
}

export interface ExecConfig {
  execId: string;
  stdio: StdioConfig;
  /** The OCI Process, JSON. */
  spec: Uint8Array;
}

/** What State and Delete report of a process. */
export interface ProcessView {
  execId: string;
  pid: number;
  status: ProcessStatus;
  stdio: StdioConfig;
  exit: ExitResult | undefined;
}

/** A process of the task with what the service attached to it: its stdio. */
interface Entry {
  readonly execId: string;
  readonly stdio: StdioConfig;
  readonly io: ProcessIO;
}

interface InitEntry extends Entry {
  readonly proc: InitProcess;
  readonly runhcs: RunhcsClient;
  readonly bundle: string;
  readonly options: RuntimeOptions;
  /** config.json has a `linux` section: runhcs takes Linux signals (else Windows' signal map). */
  readonly lcow: boolean;
}

interface ExecEntry extends Entry {
  readonly proc: ExecProcess;
}

/**
 * The task of this shim: its init process and its execs, with the runhcs side effects, stdio, exit
 * waiting and events wired into the process state machines. Each method is one Task API operation;
 * `task-service.ts` adapts them to the wire.
 */
export class Task {
  readonly #deps: TaskDeps;
  readonly #timeouts: TaskTimeouts;
  #init: InitEntry | undefined;
  #creating = false;
  // Guarded by the event loop: ids are reserved synchronously before any await.
  readonly #execs = new Map<string, ExecEntry | "reserved">();
  /** runhcs queries (ps) run through it; lifecycle calls do not. */
  readonly #queries = new QueryLimiter();

  constructor(deps: TaskDeps) {
    this.#deps = deps;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
  }

  /** The init pid, 0 before create. */
  get pid(): number {
    return this.#init?.proc.pid ?? 0;
  }

  /** Whether a task exists that was not deleted (Shutdown refuses to end the shim then). */
  get live(): boolean {
    return this.#creating || (this.#init !== undefined && this.#init.proc.status !== "deleted");
  }

  async create(cfg: CreateConfig): Promise<number> {
    this.#checkTaskId(cfg.id);
    if (this.#init || this.#creating) throw new AlreadyExistsError(`task ${cfg.id}`);
    this.#creating = true;
    try {
      await checkBundle(cfg.bundle, this.#deps.bundle);
      return await this.#create(cfg);
    } finally {
      this.#creating = false;
    }
  }

  async #create(cfg: CreateConfig): Promise<number> {
    const { bundle, id, options } = cfg;
    // Files removed on delete (or a failed create) must be this create's.
    await refuseExisting(bundle, [BUNDLE_FILES.initPid, BUNDLE_FILES.runhcsRoot], `create task ${id}`);
    const ownLog = !options.debug && !(await exists(join(bundle, BUNDLE_FILES.runhcsLog)));
    const { lcow } = await writeMountsToConfig(bundle, cfg.rootfs, {
      requireLayerFolders: this.#deps.requireLayerFolders,
    });
    const runhcs = this.#deps.runhcs({
      debug: options.debug,
      log: join(bundle, BUNDLE_FILES.runhcsLog),
      logFormat: "json",
      owner: RUNHCS_OWNER,
      ...(options.registryRoot ? { root: options.registryRoot } : {}),
      cwd: bundle,
    });
    const pidFile = join(bundle, BUNDLE_FILES.initPid);
    const rootFile = join(bundle, BUNDLE_FILES.runhcsRoot);
    const io = await this.#deps.openIO(cfg.stdio);
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
      const exited = this.#deps.waiter.wait(pid);
      const entry: InitEntry = {
        execId: "",
        stdio: cfg.stdio,
        io,
        proc: new InitProcess(id, pid, this.#initOps(id, runhcs, bundle, ownLog)),
        runhcs,
        bundle,
        options,
        lcow,
      };
      this.#init = entry;
      this.#watchExit(entry, exited);
      this.#deps.events.publish("/tasks/create", {
        containerId: id,
        bundle,
        rootfs: cfg.rootfs,
        io: cfg.stdio,
        pid,
      });
      return pid;
    } catch (err: unknown) {
      io.close();
      // runhcs create may have left a compute system, registry state or a helper behind (it was killed
      // at the deadline, cancelled, or failed half way): remove them, unless the id was someone else's.
      if (!isAlreadyExists(err)) {
        await deleteForce(runhcs, id, `clean up task ${id}`, { timeoutMs: CREATE_CLEANUP_TIMEOUT_MS }).catch(
          (e: unknown) =>
            this.#deps.logger.warn({ err: e }, "cleanup after a failed create: runhcs delete failed"),
        );
      }
      await Promise.all([rm(pidFile, { force: true }), rm(rootFile, { force: true })]);
      throw runhcsFailure(err, `create task ${id}`);
    }
  }

  start(id: string, execId: string): Promise<number> {
    return this.#lookup(id, execId).proc.start();
  }

  async exec(id: string, cfg: ExecConfig): Promise<void> {
    const init = this.#requireInit(id);
    const { execId } = cfg;
    if (!isSafeId(execId))
      throw new InvalidArgumentError(`exec id ${JSON.stringify(execId)} is not a valid id`);
    if (this.#execs.has(execId)) throw new AlreadyExistsError(`exec ${execId}`);
    this.#checkExecable(init);
    this.#execs.set(execId, "reserved");
    const specFile = join(init.bundle, BUNDLE_FILES.execSpec(execId));
    const files = [BUNDLE_FILES.execSpec(execId), BUNDLE_FILES.execPid(execId)];
    await refuseExisting(init.bundle, files, `exec ${execId}`).catch((err: unknown) => {
      this.#execs.delete(execId);
      throw err;
    });
    try {
      await writeProcessSpec(specFile, cfg.spec);
      const io = await this.#deps.openIO(cfg.stdio);
      try {
        this.#checkExecable(init);
      } catch (err: unknown) {
        io.close();
        throw err;
      }
      const entry: ExecEntry = {
        execId,
        stdio: cfg.stdio,
        io,
        proc: new ExecProcess(
          execId,
          this.#execOps(init, execId, specFile, () => entry),
        ),
      };
      this.#execs.set(execId, entry);
    } catch (err: unknown) {
      this.#execs.delete(execId);
      await rm(specFile, { force: true });
      throw err;
    }
    this.#deps.events.publish("/tasks/exec-added", { containerId: id, execId });
  }

  async kill(id: string, execId: string, signal: number, all: boolean): Promise<void> {
    const entry = this.#lookup(id, execId);
    // What runhcs would refuse is refused here, with the list of what it accepts.
    validateContainerSignal(signal, this.#requireInit(id).lcow);
    await entry.proc.kill(signal, all);
  }

  async pause(id: string): Promise<void> {
    await this.#requireInit(id).proc.pause();
    this.#deps.events.publish("/tasks/paused", { containerId: id });
  }

  async resume(id: string): Promise<void> {
    await this.#requireInit(id).proc.resume();
    this.#deps.events.publish("/tasks/resumed", { containerId: id });
  }

  /** Deletes a process; returns how it ended (255 and now when its exit was never observed). */
  async delete(id: string, execId: string): Promise<ProcessView> {
    const entry = this.#lookup(id, execId);
    if (isInit(entry)) {
      const running = [...this.#execs.values()].some((e) => e !== "reserved" && e.proc.status === "running");
      if (running && entry.proc.status !== "stopped") {
        throw new FailedPreconditionError("cannot delete a task with running execs");
      }
    }
    await entry.proc.delete();
    if (isInit(entry)) await this.#releaseExecs();
    else this.#execs.delete(execId);
    const view = this.#view(entry);
    const exit = view.exit ?? { exitStatus: UNKNOWN_EXIT_STATUS, exitedAt: new Date() };
    this.#deps.events.publish("/tasks/delete", {
      containerId: id,
      id: execId || id,
      pid: view.pid,
      exitStatus: exit.exitStatus,
      exitedAt: timestamp(exit.exitedAt),
    });
    return { ...view, exit };
  }

  state(id: string, execId: string): ProcessView {
    return this.#view(this.#lookup(id, execId));
  }

  /**
   * Pids of the container (runhcs ps), with the exec id of those that belong to an exec: its runhcs
   * helper, or a process below it where ps reports host pids (the simulator; process-isolated WCOW).
   */
  async pids(id: string, signal?: AbortSignal): Promise<Array<{ pid: number; execId: string | undefined }>> {
    const init = this.#requireInit(id);
    let pids: number[];
    try {
      pids = await this.#queries.run(
        `pids of task ${id}`,
        () => init.runhcs.ps(id, signal ? { signal } : {}),
        signal,
      );
    } catch (err: unknown) {
      throw runhcsFailure(err, `pids of task ${id}`);
    }
    const byPid = new Map<number, string>();
    for (const e of this.#execs.values()) {
      if (e === "reserved" || !e.proc.pid || e.proc.exitResult) continue;
      byPid.set(e.proc.pid, e.execId);
      for (const p of await this.#deps.tree.descendants(e.proc.pid).catch(() => [])) byPid.set(p, e.execId);
    }
    return pids.map((pid) => ({ pid, execId: byPid.get(pid) }));
  }

  async resizePty(id: string, execId: string, width: number, height: number): Promise<void> {
    const entry = this.#lookup(id, execId);
    const init = this.#requireInit(id);
    // ctr sends 0x0 when its own terminal size is unknown: nothing to apply.
    if (width === 0 || height === 0) return;
    try {
      await init.runhcs.resizeTty({ id, width, height, pid: entry.proc.pid });
    } catch (err: unknown) {
      // A console that is already gone (the process exited right after start) has no size to change.
      if (isContainerStopped(err)) return;
      throw runhcsFailure(err, `resize the console of ${execId || id}`);
    }
  }

  closeIO(id: string, execId: string, stdin: boolean): void {
    const entry = this.#lookup(id, execId);
    if (stdin) entry.io.closeStdin();
  }

  wait(id: string, execId: string, signal: AbortSignal): Promise<ExitResult> {
    return this.#lookup(id, execId).proc.wait(signal);
  }

  /** An exec needs a running (or paused) task that is still this shim's: checked before and after its awaits. */
  #checkExecable(init: InitEntry): void {
    const status = init.proc.status;
    if (this.#init !== init || status === "deleted") throw new NotFoundError(`task ${init.proc.id}`);
    if (status !== "running" && status !== "paused") {
      throw new FailedPreconditionError(`cannot exec in a ${status} task`);
    }
  }

  /** The task is deleted: its execs (never started, or never deleted) go with it, files and stdio included. */
  async #releaseExecs(): Promise<void> {
    for (const [execId, e] of this.#execs) {
      if (e === "reserved") continue;
      this.#execs.delete(execId);
      if (!e.proc.exitResult) e.proc.setExited({ exitStatus: UNKNOWN_EXIT_STATUS, exitedAt: new Date() });
      await e.proc.delete().catch((err: unknown) => {
        this.#deps.logger.warn({ err, execId }, "releasing an exec with its task failed");
      });
    }
  }

  // ---- side effects --------------------------------------------------------------------------------

  #initOps(id: string, runhcs: RunhcsClient, bundle: string, ownLog: boolean) {
    return {
      start: async (signal: AbortSignal) => {
        try {
          await runhcs.start(id, { signal });
          await this.#awaitStarted(id, runhcs, signal);
        } catch (err: unknown) {
          throw signal.aborted ? signal.reason : runhcsFailure(err, `start task ${id}`);
        }
        this.#deps.events.publish("/tasks/start", { containerId: id, pid: this.#init?.proc.pid ?? 0 });
      },
      kill: async (signal: number, all: boolean) => {
        try {
          await runhcs.kill(id, String(signal));
        } catch (err: unknown) {
          if (!isContainerStopped(err)) throw runhcsFailure(err, `kill task ${id}`);
        }
        if (all) await this.#killAll(signal);
      },
      pause: () =>
        runhcs.pause(id).catch((err: unknown) => Promise.reject(runhcsFailure(err, `pause ${id}`))),
      resume: () =>
        runhcs.resume(id).catch((err: unknown) => Promise.reject(runhcsFailure(err, `resume ${id}`))),
      delete: async () => {
        const init = this.#init;
        await deleteForce(runhcs, id, `delete task ${id}`);
        if (init) await this.#awaitExitOrGiveUp(init);
        const files: string[] = [BUNDLE_FILES.initPid, BUNDLE_FILES.runhcsRoot];
        if (ownLog) files.push(BUNDLE_FILES.runhcsLog);
        await Promise.all(files.map((f) => rm(join(bundle, f), { force: true })));
      },
      destroy: async () => {
        await deleteForce(runhcs, id, `kill created task ${id}`);
        const init = this.#init;
        if (!init || (await settlesWithin(init.proc.wait(), this.#timeouts.deleteExitMs))) return;
        this.#deps.logger.warn("no exit observed after destroying the created task: reporting it");
        await this.#onExit(init, { exitCode: UNKNOWN_EXIT_STATUS, exitedAt: new Date() });
      },
    };
  }

  #execOps(init: InitEntry, execId: string, specFile: string, entry: () => ExecEntry) {
    const pidFile = join(init.bundle, BUNDLE_FILES.execPid(execId));
    return {
      start: async () => {
        const { io } = entry();
        try {
          // Attached: runhcs exec's own exit code is the process's, so a process that ends at once
          // (before its helper could be opened) still reports its exact code.
          const { pid, exited } = await init.runhcs.execAttached(
            {
              id: init.proc.id,
              processFile: specFile,
              pidFile,
              ...(init.options.debug ? { shimLog: join(init.bundle, BUNDLE_FILES.execShimLog(execId)) } : {}),
            },
            { stdio: io.runhcsStdio, onSpawn: () => io.afterSpawn(), timeoutMs: this.#timeouts.startMs },
          );
          this.#watchExit(entry(), exited);
          this.#deps.events.publish("/tasks/exec-started", { containerId: init.proc.id, execId, pid });
          return pid;
        } catch (err: unknown) {
          throw runhcsFailure(err, `start exec ${execId}`);
        }
      },
      // runhcs kill only reaches a container's init process: an exec is reached through the platform
      // (Windows: HCS, by the container pid runhcs recorded for the exec's helper).
      kill: async (signal: number) => {
        await this.#deps.containerProcesses.signal(target(init, entry()), signal);
      },
      delete: async () => {
        const e = entry();
        await this.#awaitExitOrGiveUp(e);
        await Promise.all([rm(specFile, { force: true }), rm(pidFile, { force: true })]);
      },
    };
  }

  /** After `runhcs start`: `state` until the container is no longer `created` (no fixed sleeps). */
  async #awaitStarted(id: string, runhcs: RunhcsClient, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.#timeouts.startMs;
    for (let delay = 0; ; delay = Math.min(Math.max(delay * 2, START_POLL_FIRST_MS), START_POLL_MAX_MS)) {
      if (delay) await sleep(delay, undefined, { signal });
      if (this.#init && !this.#init.proc.alive) return;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new DeadlineExceededError(
          `task ${id} still created ${this.#timeouts.startMs} ms after runhcs start`,
        );
      }
      let status: string;
      try {
        status = (await runhcs.state(id, { timeoutMs: remaining, signal })).status;
      } catch (err: unknown) {
        if (signal.aborted) throw err;
        this.#deps.logger.warn({ err }, "runhcs state after start failed");
        return;
      }
      if (status !== "created" && status !== "unknown") return;
    }
  }

  /** Kill `all`: every live process of the task, as far as it can be reached (gone ones are skipped). */
  async #killAll(signal: number): Promise<void> {
    const init = this.#init;
    if (!init) return;
    const live = [init, ...this.#execs.values()].filter(
      (e): e is InitEntry | ExecEntry => e !== "reserved" && e.proc.alive,
    );
    await Promise.all(live.map((e) => this.#signalQuietly(init, e, signal, { helperFallback: false })));
  }

  /** Signals a process of the task; a process already gone is fine, other failures are logged. */
  async #signalQuietly(
    init: InitEntry,
    entry: InitEntry | ExecEntry,
    signal: number,
    options?: ContainerSignalOptions,
  ): Promise<void> {
    await this.#deps.containerProcesses.signal(target(init, entry), signal, options).catch((err: unknown) => {
      if (!(err instanceof NotFoundError))
        this.#deps.logger.warn({ err, execId: entry.execId }, "signal failed");
    });
  }

  /** Delete: wait (bounded) for the exit; if it never comes, report it as unknown so waiters return. */
  async #awaitExitOrGiveUp(entry: InitEntry | ExecEntry): Promise<void> {
    if (entry.proc.pid > 0 && !entry.proc.exitResult) {
      if (!(await settlesWithin(entry.proc.wait(), this.#timeouts.deleteExitMs))) {
        this.#deps.logger.warn({ execId: entry.execId }, "no exit observed after delete: reporting 255");
        entry.proc.setExited({ exitStatus: UNKNOWN_EXIT_STATUS, exitedAt: new Date() });
      }
    }
    entry.io.close();
  }

  // ---- exits ---------------------------------------------------------------------------------------

  #watchExit(entry: InitEntry | ExecEntry, exited: Promise<ExitInfo>): void {
    exited.then(
      (info) => this.#onExit(entry, info),
      (err: unknown) => {
        this.#deps.logger.error({ err, execId: entry.execId }, "waiting for the process failed");
        return this.#onExit(entry, { exitCode: UNKNOWN_EXIT_STATUS, exitedAt: new Date() });
      },
    );
  }

  /**
   * Reports an exit: after all output reached containerd (bounded), after the process's start event,
   * and for the init process after its execs' exits (they die with the container); then the state moves
   * to stopped, Wait returns, and `/tasks/exit` is published.
   */
  async #onExit(entry: InitEntry | ExecEntry, info: ExitInfo): Promise<void> {
    entry.proc.exitObserved();
    const { logger } = this.#deps;
    if (!(await settlesWithin(entry.io.outputDone, this.#timeouts.outputDrainMs)))
      logger.warn({ execId: entry.execId }, "output still open after the exit: reporting the exit");
    await entry.proc.startSettled;
    if (isInit(entry)) await this.#reportExecsFirst();
    // Delete may have given up waiting and reported 255 already: then that stands, and no late exit follows.
    const id = this.#init?.proc.id ?? this.#deps.shimId;
    const exit = entry.proc.setExited({ exitStatus: info.exitCode, exitedAt: info.exitedAt })
      ? entry.proc.exitResult
      : undefined;
    if (exit) {
      // The recorded exit (a created init ended by Kill: 128 + signal), not necessarily the helper's code.
      this.#deps.events.publish("/tasks/exit", {
        containerId: id,
        id: entry.execId || id,
        pid: entry.proc.pid,
        exitStatus: exit.exitStatus,
        exitedAt: timestamp(exit.exitedAt),
      });
    }
  }

  /** The container is gone when its init exits: its execs are killed and their exits reported first. */
  async #reportExecsFirst(): Promise<void> {
    const bound = this.#timeouts.outputDrainMs + this.#timeouts.deleteExitMs;
    const execs = [...this.#execs.values()].filter((e): e is ExecEntry => e !== "reserved");
    // An exec whose runhcs exec is still in flight has no pid yet: let its start settle first.
    await settlesWithin(Promise.all(execs.map((e) => e.proc.startSettled)), this.#timeouts.startMs);
    const started = execs.filter((e) => e.proc.pid > 0 && !e.proc.exitResult);
    if (started.length === 0) return;
    const init = this.#init;
    if (init)
      await Promise.all(
        started.filter((e) => e.proc.alive).map((e) => this.#signalQuietly(init, e, SIGKILL)),
      );
    await settlesWithin(Promise.all(started.map((e) => e.proc.wait())), bound);
  }

  // ---- lookups -------------------------------------------------------------------------------------

  #checkTaskId(id: string): void {
    if (!isSafeId(id)) throw new InvalidArgumentError(`task id ${JSON.stringify(id)} is not a valid id`);
    if (id !== this.#deps.shimId) {
      throw new InvalidArgumentError(`task id ${id} is not this shim's id ${this.#deps.shimId}`);
    }
  }

  #requireInit(id: string): InitEntry {
    const init = this.#init;
    if (!init || init.proc.id !== id || init.proc.status === "deleted") throw new NotFoundError(`task ${id}`);
    return init;
  }

  #lookup(id: string, execId: string): InitEntry | ExecEntry {
    const init = this.#requireInit(id);
    if (execId === "") return init;
    const entry = this.#execs.get(execId);
    if (!entry || entry === "reserved") throw new NotFoundError(`exec ${execId}`);
    return entry;
  }

  #view(entry: InitEntry | ExecEntry): ProcessView {
    return {
      execId: entry.execId,
      pid: entry.proc.pid,
      status: entry.proc.status,
      stdio: entry.stdio,
      exit: entry.proc.exitResult,
    };
  }
}

function isInit(entry: InitEntry | ExecEntry): entry is InitEntry {
  return entry.execId === "";
}

/** How the platform reaches a process of the task: by its runhcs helper, in the init's container. */
function target(init: InitEntry, entry: InitEntry | ExecEntry): ContainerProcessTarget {
  return {
    root: init.options.registryRoot,
    containerId: init.proc.id,
    helperPid: entry.proc.pid,
    terminal: entry.stdio.terminal,
    lcow: init.lcow,
  };
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

/** Whether `p` settles within `ms`; leaves no timer behind either way. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
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

/** protobuf Timestamp fields of a date. */
export function timestamp(d: Date): { seconds: bigint; nanos: number } {
  const ms = d.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}
