/** `runhcs state`: the container's state as JSON on stdout, parsed into a typed {@link ContainerState}. */
import { parseJsonOutput, requireId } from "./args.js";

/** runhcs statuses; any status string runhcs may add later reads as `unknown`. */
export type ContainerStatus = "created" | "running" | "paused" | "stopped" | "unknown";

const STATUSES: ReadonlySet<string> = new Set(["created", "running", "paused", "stopped", "unknown"]);

/** One container as `state` (and `list`) report it. */
export interface ContainerState {
  ociVersion: string;
  id: string;
  /** Host pid of the init `runhcs shim` helper; 0 once it exited. */
  pid: number;
  status: ContainerStatus;
  /** runhcs's cwd at create time (the bundle directory). */
  bundle: string;
  rootfs: string;
  /** RFC 3339 (nanoseconds) creation time, kept as runhcs wrote it. */
  created: string;
  annotations: Record<string, string>;
  /** Never filled by runhcs `state`/`list`; kept for completeness. */
  owner: string;
}

/** What `state` needs. */
export interface StateOptions {
  id: string;
}

/** `state <id>` */
export function stateArgs(opts: StateOptions): string[] {
  return ["state", requireId(opts.id)];
}

function str(o: Record<string, unknown>, key: string, required: boolean): string {
  const v = o[key];
  if (v === undefined || v === null) {
    if (required) throw new Error(`invalid state: missing "${key}"`);
    return "";
  }
  if (typeof v !== "string") throw new Error(`invalid state: "${key}" is not a string`);
  return v;
}

/** Validates one decoded state object (shared with `list`). Throws a plain Error on a malformed value. */
export function toContainerState(value: unknown): ContainerState {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error("invalid state: not a JSON object");
  }
  const o = value as Record<string, unknown>;
  const pid = o["pid"] ?? 0;
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid < 0) {
    throw new Error(`invalid state: "pid" ${JSON.stringify(pid)}`);
  }
  const status = str(o, "status", true);
  const annotations: Record<string, string> = {};
  const rawAnnotations = o["annotations"];
  if (typeof rawAnnotations === "object" && rawAnnotations !== null) {
    for (const [k, v] of Object.entries(rawAnnotations)) if (typeof v === "string") annotations[k] = v;
  }
  return {
    ociVersion: str(o, "ociVersion", false),
    id: str(o, "id", true),
    pid,
    status: STATUSES.has(status) ? (status as ContainerStatus) : "unknown",
    bundle: str(o, "bundle", false),
    rootfs: str(o, "rootfs", false),
    created: str(o, "created", false),
    annotations,
    owner: str(o, "owner", false),
  };
}

/** Parses `runhcs state` stdout. Throws a plain Error on malformed output. */
export function parseState(stdout: string): ContainerState {
  return toContainerState(parseJsonOutput(stdout));
}
