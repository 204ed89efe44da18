/**
 * The server's log endpoint, opened first thing in the server process, before the Task service graph
 * (ttrpc, protobuf descriptors, pino, runhcs, stdio, events) is imported and evaluated.
 *
 * On Windows the shim is the log pipe's server and containerd dials `\\.\pipe\containerd-shim-<ns>-<id>-log`
 * for a bounded time only (5 s in `runtime/v2/shim_windows.go` `openShimLog`, while `start` and the
 * server's own boot run in the same window): the pipe must exist as early as possible. This module
 * imports only the platform seam and the log sinks, and `main.ts` calls it before importing `serve.js`.
 * posix: the bundle's `log` FIFO (containerd created it; it is opened on the first line).
 */
import { platform } from "../platform/index.js";
import type { ShimFlags } from "./flags.js";
import { FifoLogSink, type LogSink, PipeLogSink } from "./log-sink.js";

/** Opens (Windows: listens on) the log endpoint of the server `flags` describe. */
export function openServerLog(flags: ShimFlags): LogSink {
  if (!flags.socket) throw new Error("serve: -socket is required (the server is started by `start`)");
  const bundle = flags.bundle || process.cwd();
  const endpoint = platform
    .createShimAddress()
    .logEndpoint({ namespace: flags.namespace, id: flags.id }, bundle);
  return platform.openShimLog<LogSink>(endpoint, {
    fifo: (path) => new FifoLogSink(path),
    pipeServer: (listener) => new PipeLogSink(listener),
  });
}
