import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

/**
 * The shim's logger: JSON lines (pino), the format containerd copies from the shim log into its own.
 * `destination` is the shim log FIFO / pipe stream in serve mode; stderr otherwise.
 */
export function createLogger(opts: { debug?: boolean; destination?: DestinationStream } = {}): Logger {
  return pino({ level: opts.debug ? "debug" : "info", base: { pid: process.pid } }, opts.destination);
}

/** A logger that drops everything (for library use and tests that do not inspect logs). */
export const silentLogger: Logger = pino({ level: "silent" });
