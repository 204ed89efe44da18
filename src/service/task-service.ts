import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { InvalidArgumentError, NotImplementedError } from "../errdefs.js";
import { type Options, OptionsSchema, ProcessDetailsSchema } from "../gen/containerd/runhcs/v1/runhcs_pb.js";
import { Task as TaskServiceDesc } from "../gen/containerd/task/v2/shim_pb.js";
import { Status } from "../gen/containerd/types/task/task_pb.js";
import type { Logger } from "../log/logger.js";
import type { ProcessStatus } from "../process/types.js";
import { type CallContext, registerService, type Server, type ServiceImpl } from "../ttrpc/index.js";
import { VERSION } from "../version.js";
import { DEFAULT_CREATE_TIMEOUT_MS, type RuntimeOptions } from "./task.js";
import type { TaskRegistry } from "./task-registry.js";

/** containerd 2.x drives the same service, with the same messages, under this name. */
export const TASK_V3_SERVICE = "containerd.task.v3.Task";
/** Type URL of the runtime options this shim understands (compared by its last segment). */
const OPTIONS_TYPE = OptionsSchema.typeName;
const PROCESS_DETAILS_TYPE = ProcessDetailsSchema.typeName;
const NAMESPACE_KEY = "containerd-namespace-ttrpc";

/** What the service needs from the shim process around it. */
export interface ShimControl {
  readonly logger: Logger;
  /** Ends the shim once the Shutdown reply has been sent. */
  shutdown(): void;
}

const STATUS: Record<ProcessStatus, Status> = {
  created: Status.CREATED,
  running: Status.RUNNING,
  paused: Status.PAUSED,
  stopped: Status.STOPPED,
  deleted: Status.UNKNOWN,
};

/**
 * Registers the Task API on `server` as `containerd.task.v2.Task` and `containerd.task.v3.Task`.
 * Each method converts the request, calls the server's tasks (`task`, which routes it by its id),
 * converts the result; errors go untouched to the ttrpc server's single error-to-status mapping.
 * With debug, each call is one log line, except State and Connect: containerd and CRI poll them, and at
 * debug that line cost more than the call itself (`scripts/bench state`).
 */
export function registerTaskService(server: Server, task: TaskRegistry, shim: ShimControl): void {
  const log = (ctx: CallContext, fields: object) => {
    if (!shim.logger.isLevelEnabled("debug")) return;
    const { $typeName: _, ...plain } = fields as { $typeName?: string };
    shim.logger.debug({ method: ctx.method, ns: ctx.metadata.get(NAMESPACE_KEY), ...plain }, "task api");
  };
  // Typed from the generated descriptor: a Task RPC without its method here does not compile.
  const impl: ServiceImpl<typeof TaskServiceDesc> = {
    state(req) {
      const v = task.state(req.id, req.execId);
      return {
        id: req.id,
        execId: req.execId,
        pid: v.pid,
        status: STATUS[v.status],
        stdin: v.stdio.stdin,
        stdout: v.stdio.stdout,
        stderr: v.stdio.stderr,
        terminal: v.stdio.terminal,
        exitStatus: v.exit?.exitStatus ?? 0,
        ...(v.exit ? { exitedAt: timestampFromDate(v.exit.exitedAt) } : {}),
      };
    },
    async create(req, ctx) {
      log(ctx, { id: req.id, bundle: req.bundle });
      if (req.checkpoint) throw new NotImplementedError("create from a checkpoint");
      const pid = await task.create({
        id: req.id,
        bundle: req.bundle,
        rootfs: req.rootfs.map((m) => ({
          type: m.type,
          source: m.source,
          target: m.target,
          options: m.options,
        })),
        stdio: { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, terminal: req.terminal },
        options: runtimeOptions(req.options, shim.logger),
        signal: ctx.signal,
      });
      return { pid };
    },
    async start(req, ctx) {
      log(ctx, req);
      return { pid: await task.start(req.id, req.execId) };
    },
    async delete(req, ctx) {
      log(ctx, req);
      const v = await task.delete(req.id, req.execId);
      return {
        pid: v.pid,
        exitStatus: v.exit?.exitStatus ?? 0,
        ...(v.exit ? { exitedAt: timestampFromDate(v.exit.exitedAt) } : {}),
      };
    },
    async pids(req, ctx) {
      log(ctx, req);
      const processes = (await task.pids(req.id, ctx.signal)).map(({ pid, execId }) => ({
        pid,
        ...(execId ? { info: detailsAny(execId) } : {}),
      }));
      return { processes };
    },
    async pause(req, ctx) {
      log(ctx, req);
      await task.pause(req.id);
      return {};
    },
    async resume(req, ctx) {
      log(ctx, req);
      await task.resume(req.id);
      return {};
    },
    checkpoint(): never {
      throw new NotImplementedError("checkpoint: runhcs cannot checkpoint containers");
    },
    async kill(req, ctx) {
      log(ctx, req);
      await task.kill(req.id, req.execId, req.signal, req.all);
      return {};
    },
    async exec(req, ctx) {
      log(ctx, { id: req.id, execId: req.execId });
      if (!req.spec?.value.length) throw new InvalidArgumentError(`exec ${req.execId}: no process spec`);
      await task.exec(req.id, {
        execId: req.execId,
        stdio: { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, terminal: req.terminal },
        spec: req.spec.value,
      });
      return {};
    },
    async resizePty(req, ctx) {
      log(ctx, req);
      await task.resizePty(req.id, req.execId, req.width, req.height);
      return {};
    },
    closeIO(req, ctx) {
      log(ctx, req);
      task.closeIO(req.id, req.execId, req.stdin);
      return {};
    },
    update(): never {
      throw new NotImplementedError("update: runhcs has no command to change a container's resources");
    },
    async wait(req, ctx) {
      log(ctx, req);
      const exit = await task.wait(req.id, req.execId, ctx.signal);
      return { exitStatus: exit.exitStatus, exitedAt: timestampFromDate(exit.exitedAt) };
    },
    stats(): never {
      throw new NotImplementedError("stats: runhcs has no statistics command");
    },
    connect(req) {
      return { shimPid: process.pid, taskPid: task.pidOf(req.id), version: VERSION };
    },
    shutdown(req, ctx) {
      log(ctx, req);
      if (task.shutdown(req.id, req.now)) setImmediate(() => shim.shutdown());
      return {};
    },
  };
  registerService(server, TaskServiceDesc, impl);
  registerService(server, TaskServiceDesc, impl, { name: TASK_V3_SERVICE });
}

/** The runtime options of a Create request; other option types (e.g. CRI's) are logged and ignored. */
function runtimeOptions(options: Any | undefined, logger: Logger): RuntimeOptions {
  const defaults = { debug: false, registryRoot: "", createTimeoutMs: DEFAULT_CREATE_TIMEOUT_MS };
  if (!options?.typeUrl) return defaults;
  if (options.typeUrl.split("/").pop() !== OPTIONS_TYPE) {
    logger.warn({ typeUrl: options.typeUrl }, "ignoring runtime options of an unknown type");
    return defaults;
  }
  let o: Options;
  try {
    o = fromBinary(OptionsSchema, options.value);
  } catch (err: unknown) {
    throw new InvalidArgumentError(`runtime options ${OPTIONS_TYPE}: ${String(err)}`, { cause: err });
  }
  if (o.createTimeoutInSec < 0) {
    throw new InvalidArgumentError(`runtime options: create_timeout_in_sec ${o.createTimeoutInSec} < 0`);
  }
  return {
    debug: o.debug,
    registryRoot: o.registryRoot,
    createTimeoutMs: o.createTimeoutInSec > 0 ? o.createTimeoutInSec * 1000 : DEFAULT_CREATE_TIMEOUT_MS,
  };
}

function detailsAny(execId: string): Any {
  return create(AnySchema, {
    typeUrl: PROCESS_DETAILS_TYPE,
    value: toBinary(ProcessDetailsSchema, create(ProcessDetailsSchema, { execId })),
  });
}
