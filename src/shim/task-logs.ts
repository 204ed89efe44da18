/**
 * The per-task logs of a server that holds many tasks (`service/deps.ts` `TaskLogs`): a task's lines go to
 * the endpoint containerd opened for that task (its bundle's `log` FIFO; on Windows the pipe
 * `containerd-shim-<ns>-<id>-log` it dials), so they reach containerd while that task lives, whichever
 * task's connection containerd has already closed. The server's own task (its `-id`) logs through the
 * server's logger and endpoint, which also carry the server's own lines.
 */
import { createLogger, type Logger } from "../log/logger.js";
import type { TaskLogs } from "../service/deps.js";
import type { LogSink } from "./log-sink.js";
import { openTaskLog } from "./server-log.js";

export class ShimTaskLogs implements TaskLogs {
  readonly #namespace: string;
  readonly #serverId: string;
  readonly #server: Logger;
  readonly #debug: boolean;
  readonly #sinks = new Map<string, LogSink>();

  /** `server` is the server's logger (task `serverId`'s endpoint). */
  constructor(opts: { namespace: string; serverId: string; server: Logger; debug: boolean }) {
    this.#namespace = opts.namespace;
    this.#serverId = opts.serverId;
    this.#server = opts.server;
    this.#debug = opts.debug;
  }

  open(id: string, bundle: string): Logger {
    if (id === this.#serverId) return this.#server;
    let sink: LogSink;
    try {
      sink = openTaskLog(this.#namespace, id, bundle);
    } catch (err: unknown) {
      // Without its own endpoint the task still runs; its lines go to the server's, which bind the
      // server's `id`: the task is named by `task` (a second `id` key would make duplicate JSON keys).
      this.#server.warn({ err, task: id }, "opening the task's log endpoint failed: it logs to the server's");
      return this.#server.child({ task: id });
    }
    this.#sinks.set(id, sink);
    return createLogger({ debug: this.#debug, destination: sink }).child({ namespace: this.#namespace, id });
  }

  async close(id: string): Promise<void> {
    const sink = this.#sinks.get(id);
    this.#sinks.delete(id);
    await sink?.close();
  }

  /** On the way out: every task's endpoint flushed (bounded) and released. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#sinks.keys()].map((id) => this.close(id)));
  }
}
