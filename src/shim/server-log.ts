/**
 * The log endpoints containerd reads, one per task: posix, the bundle's `log` FIFO (containerd created
 * it; it is opened on the first line); Windows, a pipe `\\.\pipe\containerd-shim-<ns>-<id>-log` the shim
 * serves and containerd dials (`runtime/v2/shim_windows.go` `openShimLog`, for every task it starts,
 * also one that joined a running server).
 *
 * The server's own endpoint (its `-id`'s) is opened first thing in the server process, before the Task
 * service graph (ttrpc, protobuf descriptors, pino, runhcs, stdio, events) is imported and evaluated:
 * containerd dials the pipe for a bounded time only (5 s in `AnonDialer`, while `start` and the server's
 * own boot run in the same window), so it must exist as early as possible. This module imports only the
 * platform seam and the log sinks, and `main.ts` calls it before importing `serve.js`.
 */
import { platform } from "../platform/index.js";
import type { ShimFlags } from "./flags.js";
import { FifoLogSink, type LogSink, PipeLogSink } from "./log-sink.js";

/** Opens (Windows: listens on) the log endpoint of task `id` of `namespace`, whose bundle is `bundle`. */
export function openTaskLog(namespace: string, id: string, bundle: string): LogSink {
  const endpoint = platform.createShimAddress().logEndpoint({ namespace, id }, bundle);
  return platform.openShimLog<LogSink>(endpoint, {
    fifo: (path) => new FifoLogSink(path),
    pipeServer: (listener) => new PipeLogSink(listener),
  });
}

/** Opens (Windows: listens on) the log endpoint of the server `flags` describe. */
export function openServerLog(flags: ShimFlags): LogSink {
  if (!flags.socket) throw new Error("serve: -socket is required (the server is started by `start`)");
  return openTaskLog(flags.namespace, flags.id, flags.bundle || process.cwd());
}
