/**
 * The long-running shim: the Task API server `start` spawned (no action on the command line).
 *
 * Order matters: the process waiter is initialised (subreaper + SIGCHLD) before anything can spawn runhcs,
 * the server listens before readiness is reported, and on the way out the server stops first, then the
 * events are flushed, then the waiter and the log are closed, and only then does the process exit.
 * Losing containerd (restart) does not end the shim: events are retried, the log is re-opened, and the
 * server keeps listening for containerd to reconnect.
 */

import { GrpcPublishSink } from "../events/grpc-sink.js";
import { EventPublisher } from "../events/publisher.js";
import { type EventSink, PublishBinarySink, TtrpcForwardSink } from "../events/sink.js";
import { createLogger, type Logger } from "../log/logger.js";
import { platform } from "../platform/index.js";
import { Runhcs } from "../runhcs/index.js";
import type { ServerDeps } from "../service/deps.js";
import { groupAdmission, TaskRegistry } from "../service/task-registry.js";
import { registerTaskService } from "../service/task-service.js";
import { createProcessIO, defaultStdioPlatform } from "../stdio/index.js";
import { Server } from "../ttrpc/index.js";
import type { ShimFlags } from "./flags.js";
import type { LogSink } from "./log-sink.js";
import { signalReady } from "./ready.js";
import { selfDir } from "./self.js";
import { openServerLog } from "./server-log.js";
import { ShimTaskLogs } from "./task-logs.js";
import { TTRPC_ADDRESS_ENV } from "./ttrpc-address.js";
import { ttrpcLogHooks } from "./ttrpc-log.js";

export { TTRPC_ADDRESS_ENV } from "./ttrpc-address.js";
/** How long Shutdown/SIGTERM wait for in-flight calls before closing connections. */
export const SERVER_STOP_TIMEOUT_MS = 3_000;
/** How long queued events get to reach containerd on the way out. */
export const EVENT_FLUSH_TIMEOUT_MS = 2_000;

/**
 * Runs the server until Shutdown or SIGTERM; resolves with the exit code. `sink` is the log endpoint
 * `main.ts` opened before importing this module (`server-log.ts`); it is opened here when not given.
 */
export async function serve(flags: ShimFlags, sink: LogSink = openServerLog(flags)): Promise<number> {
  if (!flags.socket) throw new Error("serve: -socket is required (the server is started by `start`)");
  const addresses = platform.createShimAddress();
  const logger = createLogger({ debug: flags.debug, destination: sink }).child({
    namespace: flags.namespace,
    id: flags.id,
  });

  // A crash still ends the shim (containerd then cleans up with `delete`), but its reason reaches the log.
  process.on("uncaughtExceptionMonitor", (err, origin) => logger.fatal({ err, origin }, "shim crashed"));

  const taskLogs = new ShimTaskLogs({
    namespace: flags.namespace,
    serverId: flags.id,
    server: logger,
    debug: flags.debug,
  });
  const waiter = platform.createProcessWaiter();
  let server: Server | undefined;
  let publisher: EventPublisher | undefined;
  try {
    waiter.init();
    publisher = new EventPublisher(eventSink(flags), { namespace: flags.namespace, logger });
    server = new Server(ttrpcLogHooks(logger));
    const stdioPlatform = defaultStdioPlatform();
    const deps: ServerDeps = {
      admission: groupAdmission(flags.id, flags.bundle || process.cwd()),
      logger,
      taskLogs,
      events: publisher,
      waiter,
      tree: platform.createProcessTree(),
      containerProcesses: platform.createContainerProcesses(),
      openIO: (cfg) =>
        createProcessIO(cfg, {
          ...stdioPlatform,
          onRelayError: (role, err) => logger.debug({ role, err }, "stdio relay error"),
        }),
      runhcs: (opts) =>
        new Runhcs({
          ...opts,
          besideDir: selfDir(),
          ...(logger.isLevelEnabled("debug")
            ? {
                onCall: (call) =>
                  logger.debug(
                    { runhcs: call.command, ms: Math.round(call.ms * 10) / 10, exitCode: call.exitCode },
                    "runhcs call",
                  ),
              }
            : {}),
        }),
      requireLayerFolders: platform.requiresLayerFolders,
    };
    const task = new TaskRegistry(deps);
    const stopped = new Promise<void>((resolve) => {
      registerTaskService(server as Server, task, { logger, shutdown: resolve });
      // `on`, not `once`: a second signal while stopping must not kill the shim before it has flushed.
      for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => resolve());
    });
    process.on("SIGHUP", () => logger.debug("SIGHUP ignored"));
    // Only containerd's side may connect: a 0600 socket, a pipe for SYSTEM and Administrators.
    await platform.listenTaskApi(addresses.toListenPath(flags.socket), server);
    logger.info({ address: flags.socket }, "shim serving");
    signalReady();
    await stopped;
    logger.info("shim stopping");
  } catch (err: unknown) {
    logger.error({ err }, "shim failed");
    signalReady(err); // no-op once readiness was reported
    await stop(server, publisher, waiter, [taskLogs, sink], logger);
    throw err;
  }
  await stop(server, publisher, waiter, [taskLogs, sink], logger);
  return 0;
}

async function stop(
  server: Server | undefined,
  publisher: EventPublisher | undefined,
  waiter: { close(): void },
  [taskLogs, sink]: [ShimTaskLogs, LogSink],
  logger: Logger,
): Promise<void> {
  if (server) {
    await server
      .shutdown(AbortSignal.timeout(SERVER_STOP_TIMEOUT_MS))
      .catch((err: unknown) => logger.warn({ err }, "server did not stop gracefully"));
  }
  await publisher?.close(EVENT_FLUSH_TIMEOUT_MS);
  waiter.close();
  logger.info("shim exited");
  await Promise.all([taskLogs.closeAll(), sink.close()]);
}

/**
 * Where events go: ttrpc `Events/Forward` on `TTRPC_ADDRESS` (set by every containerd since 1.3), else the
 * legacy publish binary, else gRPC `Events/Publish` on containerd's main socket.
 */
function eventSink(flags: ShimFlags): EventSink {
  const ttrpc = process.env[TTRPC_ADDRESS_ENV];
  if (ttrpc) return new TtrpcForwardSink(ttrpc);
  if (flags.publishBinary || !flags.address) return new PublishBinarySink(flags.publishBinary, flags.address);
  return new GrpcPublishSink(flags.address);
}
