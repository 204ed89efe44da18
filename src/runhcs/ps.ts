/** `runhcs ps --format=json`: the container-side pids of a container's processes. */
import { requireId } from "./args.js";

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
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch (e: unknown) {
    throw new Error(`invalid JSON output: ${(e as Error).message}`);
  }
  if (value === null) return [];
  if (!Array.isArray(value)) throw new Error("output is not a JSON array");
  return value.map((p: unknown) => {
    if (typeof p !== "number" || !Number.isSafeInteger(p) || p < 0) {
      throw new Error(`invalid pid ${JSON.stringify(p)}`);
    }
    return p;
  });
}
