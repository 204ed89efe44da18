import { writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { CanceledError, DeadlineExceededError } from "../../src/errdefs.js";
import type { EventOf, Topic } from "../../src/events/topics.js";
import { Task as TaskV2 } from "../../src/gen/containerd/task/v2/shim_pb.js";
import { silentLogger } from "../../src/log/logger.js";
import { PosixContainerProcesses } from "../../src/platform/posix-container-processes.js";
import type { ExitInfo, ProcessTree, ProcessWaiter, Signals } from "../../src/platform/types.js";
import { type ContainerState, RuntimeError } from "../../src/runhcs/index.js";
import type {
  EventSender,
  ProcessIO,
  RunhcsClient,
  ServerDeps,
  StdioConfig,
  TaskTimeouts,
} from "../../src/service/deps.js";
import type { TaskRegistry } from "../../src/service/task-registry.js";
import { groupAdmission } from "../../src/service/task-registry.js";
import { registerTaskService } from "../../src/service/task-service.js";
import { Client, createClient, Server, type TypedClient } from "../../src/ttrpc/index.js";
import { type Deferred, deferred } from "./process-ops.js";

/** A runhcs failure with runhcs's own message, as the real client reports it. */
/** An exec's process spec as containerd sends it (an Any of the OCI Process): `sh` in `/`. */
export const SH_EXEC_SPEC = create(AnySchema, {
  typeUrl: "types.containerd.io/opencontainers/runtime-spec/1/Process",
  value: new TextEncoder().encode(JSON.stringify({ args: ["sh"], cwd: "/" })),
});

/**
 * Serves `registry`'s Task API over the shim's own transport in `dir` (a unix socket; a named pipe on
 * Windows) and connects a typed client to it.
 */
export async function serveTaskApi(
  dir: string,
  registry: TaskRegistry,
  shutdown: () => void = () => {},
): Promise<{ server: Server; client: Client; api: TypedClient<typeof TaskV2>; address: string }> {
  const server = new Server();
  registerTaskService(server, registry, { logger: silentLogger, shutdown });
  const socket = process.platform === "win32" ? `\\\\.\\pipe\\${basename(dir)}` : join(dir, "shim.sock");
  await server.listen(socket);
  const client = await Client.connect(socket);
  const address = process.platform === "win32" ? socket : `unix://${socket}`;
  return { server, client, api: createClient(client, TaskV2), address };
}

export function runhcsError(command: string, message: string): RuntimeError {
  return new RuntimeError({ command, argv: ["runhcs", command], exitCode: 1, runtimeMessage: message });
}

/**
 * A fake runhcs client: records calls, writes pid files like runhcs does, reports a status from `state`.
 * `failures` makes a command fail once; `createdPolls` keeps the container `created` for that many
 * `state` calls after start.
 */
export class FakeRunhcs implements RunhcsClient {
  readonly calls: string[] = [];
  readonly failures = new Map<string, Error>();
  status: ContainerState["status"] = "created";
  createdPolls = 0;
  nextPid = 1000;
  psPids: number[] = [];

  #check(command: string, detail: string): void {
    this.calls.push(detail ? `${command} ${detail}` : command);
    const err = this.failures.get(command);
    if (err) {
      this.failures.delete(command);
      throw err;
    }
  }

  /** `runhcs create` hangs until its deadline or its cancellation (then rejects as the runner does). */
  createHangs = false;

  async create(
    opts: { id: string; pidFile?: string },
    call?: { onSpawn?: (io: never) => void; timeoutMs?: number; signal?: AbortSignal },
  ): Promise<void> {
    call?.onSpawn?.({} as never);
    this.#check("create", opts.id);
    if (this.createHangs) await hang("runhcs create", call ?? {});
    if (opts.pidFile) await writeFile(opts.pidFile, String(this.nextPid++));
  }
  /** `runhcs start` hangs until its deadline or its cancellation. */
  startHangs = false;

  async start(id: string, call: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    this.#check("start", id);
    if (this.startHangs) await hang("runhcs start", call);
    this.status = "running";
  }
  /** Set by the deps: how an attached exec's exit is observed (the fake waiter, driven by the test). */
  waitFor: (pid: number) => Promise<ExitInfo> = () => new Promise(() => {});
  async execAttached(opts: { id: string; pidFile: string; processFile: string }) {
    this.#check("exec", opts.id);
    const pid = this.nextPid++;
    await writeFile(opts.pidFile, String(pid));
    return { pid, exited: this.waitFor(pid) };
  }
  async kill(id: string, signal: number | string): Promise<void> {
    this.#check("kill", `${id} ${signal}`);
  }
  /** Runs after each `runhcs delete` (e.g. the helper of the deleted container exits). */
  afterDelete: (id: string) => void = () => {};
  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    this.#check("delete", `${opts.force ? "--force " : ""}${id}`);
    this.afterDelete(id);
  }
  async state(id: string): Promise<ContainerState> {
    this.#check("state", id);
    const status = this.createdPolls-- > 0 ? "created" : this.status;
    return {
      ociVersion: "",
      id,
      pid: 0,
      status,
      bundle: "",
      rootfs: "",
      created: "",
      annotations: {},
      owner: "",
    };
  }
  /** While set, `ps` waits for it; `psRunning` / `psMostAtOnce` count the ps calls in flight. */
  psGate: Promise<void> | undefined;
  psRunning = 0;
  psMostAtOnce = 0;
  async ps(id: string): Promise<number[]> {
    this.#check("ps", id);
    this.psMostAtOnce = Math.max(this.psMostAtOnce, ++this.psRunning);
    try {
      await this.psGate;
    } finally {
      this.psRunning--;
    }
    return this.psPids;
  }
  async pause(id: string): Promise<void> {
    this.#check("pause", id);
  }
  async resume(id: string): Promise<void> {
    this.#check("resume", id);
  }
  async resizeTty(opts: { id: string; width: number; height: number; pid?: number }): Promise<void> {
    this.#check("resize-tty", `${opts.id} ${opts.width}x${opts.height} pid=${opts.pid}`);
  }
}

/** Never resolves: rejects at `timeoutMs` (DeadlineExceeded) or on abort (Canceled), as the real runner. */
function hang(label: string, call: { timeoutMs?: number; signal?: AbortSignal }): Promise<never> {
  return new Promise((_, reject) => {
    const timer = setTimeout(
      () => reject(new DeadlineExceededError(`${label} timed out after ${call.timeoutMs} ms`)),
      call.timeoutMs ?? 60_000,
    );
    call.signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new CanceledError(label));
    });
  });
}

/** A waiter whose processes exit when the test says so. */
export class FakeWaiter implements ProcessWaiter {
  readonly #pending = new Map<number, Deferred<ExitInfo>>();
  init(): void {}
  wait(pid: number): Promise<ExitInfo> {
    let d = this.#pending.get(pid);
    if (!d) {
      d = deferred<ExitInfo>();
      this.#pending.set(pid, d);
    }
    return d.promise;
  }
  exit(pid: number, exitCode: number, exitedAt = new Date()): void {
    const d = this.#pending.get(pid);
    if (!d) throw new Error(`nobody waits for ${pid}`);
    this.#pending.delete(pid);
    d.resolve({ exitCode, exitedAt });
  }
  get pending(): number {
    return this.#pending.size;
  }
  close(): void {}
}

/** Stdio whose output completes when the test says so. */
export class FakeIO implements ProcessIO {
  readonly runhcsStdio = ["ignore", "ignore", "ignore"] as const;
  readonly #output = deferred();
  readonly outputDone = this.#output.promise;
  spawned = false;
  stdinClosed = false;
  closed = false;
  constructor(readonly config: StdioConfig) {}
  afterSpawn(): void {
    this.spawned = true;
  }
  closeStdin(): void {
    this.stdinClosed = true;
  }
  finishOutput(): void {
    this.#output.resolve();
  }
  close(): void {
    this.closed = true;
  }
}

export class RecordingEvents implements EventSender {
  readonly events: Array<{ topic: Topic; fields: Record<string, unknown> }> = [];
  publish<T extends Topic>(topic: T, fields: EventOf<T>): void {
    this.events.push({ topic, fields: fields as Record<string, unknown> });
  }
  get topics(): string[] {
    return this.events.map((e) => e.topic);
  }
}

/** Everything a task server needs, as fakes the test can drive. */
export class FakeDeps {
  readonly runhcs = new FakeRunhcs();
  readonly waiter = new FakeWaiter();
  readonly events = new RecordingEvents();
  readonly ios: FakeIO[] = [];
  readonly signalled: string[] = [];
  readonly children = new Map<number, number[]>();
  /** Output of every process is complete at once unless set to false. */
  autoFinishOutput = true;

  /** A server of the shim started for `shimId` in `bundle` (the only task and bundle Create accepts). */
  deps(shimId: string, timeouts: Partial<TaskTimeouts> = {}, bundle = ""): ServerDeps {
    this.runhcs.waitFor = (pid) => this.waiter.wait(pid);
    const tree: ProcessTree = {
      descendants: async (pid) => this.children.get(pid) ?? [],
      startedAt: async () => undefined,
    };
    const signals: Signals = {
      toRunhcsSignal: (s) => String(s),
      kill: (pid, s) => {
        this.signalled.push(`${pid} ${s}`);
        return true;
      },
    };
    return {
      admission: groupAdmission(shimId, bundle),
      logger: silentLogger,
      events: this.events,
      waiter: this.waiter,
      tree,
      // The posix seam over the fake tree: what it signals is recorded in `signalled`.
      containerProcesses: new PosixContainerProcesses(tree, signals),
      openIO: async (config) => {
        const io = new FakeIO(config);
        if (this.autoFinishOutput) io.finishOutput();
        this.ios.push(io);
        return io;
      },
      runhcs: () => this.runhcs,
      requireLayerFolders: false,
      timeouts: { startMs: 2_000, outputDrainMs: 2_000, deleteExitMs: 200, ...timeouts },
    };
  }
}
