/**
 * How the Task API server's reports reach the shim log (and so containerd's): our own errors with their
 * stack; peer faults (a client sending garbage, see `src/ttrpc/peer-faults.ts`) as one line each, at most
 * once per connection and rate-limited by the server, then one line with the count left out.
 */
import type { Logger } from "../log/logger.js";
import type { ServerOptions } from "../ttrpc/index.js";

/** The `ServerOptions` hooks that log through `logger`. */
export function ttrpcLogHooks(logger: Logger): Pick<ServerOptions, "onError" | "onPeerFault"> {
  return {
    onError: (err, where) => logger.warn({ err, where }, "ttrpc server error"),
    onPeerFault: (r) => {
      if (r.kind === "fault") {
        logger.warn({ connection: r.connection, closed: r.closed }, `ttrpc peer fault: ${r.message}`);
      } else {
        const secs = Math.round(r.windowMs / 1000);
        logger.warn({ suppressed: r.count }, `ttrpc peer faults: ${r.count} more in ${secs}s not logged`);
      }
    },
  };
}
