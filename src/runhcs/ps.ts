/** `runhcs ps --format=json`: the container-side pids of a container's processes. */
import { parseJsonArray, requireId } from "./args.js";

/** What `ps` needs. */
export interface PsOptions {
  id: string;
}

/** `ps --format=json <id>` */
export function psArgs(opts: PsOptions): string[] {
  return ["ps", "--format=json", requireId(opts.id)];
}

/** Parses `ps` stdout: a JSON array of pids, or `null` when there are none. Throws on malformed output. */
export function parsePs(stdout: string): number[] {
  return parseJsonArray(stdout).map((p: unknown) => {
    if (typeof p !== "number" || !Number.isSafeInteger(p) || p < 0) {
      throw new Error(`invalid pid ${JSON.stringify(p)}`);
    }
    return p;
  });
}
