/**
 * Per-container state, standing in for runhcs's volatile registry keys. Layout:
 * `<stateDir>/<root>/<id>/state.json`, written atomically; read-modify-write cycles hold a flock on
 * `<stateDir>/<root>/.lock` so parallel runhcs calls and helpers never lose each other's updates.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-file.js";
import { withFileLock } from "./native.js";
import type { ProcessSpec } from "./oci.js";
import { containerTree, isAlive } from "./proc.js";

/** runhcs status strings. */
export type Status = "created" | "running" | "paused" | "stopped";

/** An exec process, keyed in {@link ContainerRecord.execs} by its helper's host pid (runhcs `pid-<hostpid>`). */
export interface ExecRecord {
  /** Start time of the helper (pid-reuse guard). */
  helperStart: number;
  /** Host pid of the exec'd process (session leader). */
  pid: number;
  terminal: boolean;
}

/** Everything the simulator remembers about one container. */
export interface ContainerRecord {
  ociVersion: string;
  id: string;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  status: Status;
  /** Host pid of the init `runhcs shim` helper; 0 once it exited (or while create is still launching it). */
  shimPid: number;
  shimStart: number;
  /** Host pid of the container's init process; 0 before start and after exit. */
  initPid: number;
  exitCode?: number;
  terminal: boolean;
  /** The init process from config.json, run by the helper on `start`. */
  process: ProcessSpec;
  execs: Record<string, ExecRecord>;
}

/** Environment variable selecting the state directory (default {@link DEFAULT_STATE_DIR}). */
export const STATE_DIR_ENV = "RUNHCS_SIM_STATE";
export const DEFAULT_STATE_DIR = "/run/runhcs-sim";

/** Container ids become directory names: reject anything that could escape the root. */
export function checkId(id: string): void {
  if (id === "" || id === "." || id === ".." || /[/\0]/.test(id) || id.length > 200) {
    throw new Error(`invalid container id '${id}'`);
  }
}

/** State of one `--root`. */
export class StateStore {
  readonly dir: string;

  constructor(stateDir: string, root: string) {
    // A registry key may contain backslashes; keep it a single directory name.
    this.dir = join(stateDir, encodeURIComponent(root));
    mkdirSync(this.dir, { recursive: true, mode: 0o711 });
  }

  containerDir(id: string): string {
    checkId(id);
    return join(this.dir, id);
  }

  read(id: string): ContainerRecord | undefined {
    let text: string;
    try {
      text = readFileSync(join(this.containerDir(id), "state.json"), "utf8");
    } catch (err: unknown) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    return JSON.parse(text) as ContainerRecord;
  }

  /** Like {@link read} but fails with runhcs's registry message for an unknown id. */
  get(id: string): ContainerRecord {
    const rec = this.read(id);
    if (!rec) throw new Error(`state 'state' is not present for ID '${id}'`);
    return rec;
  }

  write(rec: ContainerRecord): void {
    const dir = this.containerDir(rec.id);
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, "state.json"), `${JSON.stringify(rec, null, 2)}\n`);
  }

  remove(id: string): void {
    rmSync(this.containerDir(id), { recursive: true, force: true });
  }

  list(): ContainerRecord[] {
    const out: ContainerRecord[] = [];
    for (const name of readdirSync(this.dir).sort()) {
      if (name.startsWith(".")) continue;
      const rec = this.read(name);
      if (rec) out.push(rec);
    }
    return out;
  }

  /** Runs `fn` under the root's lock (synchronous; keep it short). */
  locked<T>(fn: () => T): T {
    return withFileLock(join(this.dir, ".lock"), fn);
  }

  /**
   * Read-modify-write under the lock. `fn` mutates the record or returns false to skip writing; a
   * missing record (deleted meanwhile) is skipped and yields undefined.
   */
  update(id: string, fn: (rec: ContainerRecord) => unknown): ContainerRecord | undefined {
    return this.locked(() => {
      const rec = this.read(id);
      if (!rec) return undefined;
      if (fn(rec) !== false) this.write(rec);
      return rec;
    });
  }
}

/**
 * The status runhcs would report: the stored one, except `stopped` once the init helper is gone (runhcs
 * reports stopped when the registry shim pid is 0 or the compute system cannot be opened).
 */
export function effectiveStatus(rec: ContainerRecord): Status {
  if (rec.status === "stopped") return "stopped";
  if (rec.shimPid !== 0 && !isAlive(rec.shimPid, rec.shimStart)) return "stopped";
  return rec.status;
}

/** Pids of the container's root processes (init + exec processes). */
export function rootPids(rec: ContainerRecord): number[] {
  return [rec.initPid, ...Object.values(rec.execs).map((e) => e.pid)].filter((p) => p > 0);
}

/** Host pids of the live helpers of a container (init helper and exec helpers). */
export function helperPids(rec: ContainerRecord): number[] {
  const out: number[] = [];
  if (isAlive(rec.shimPid, rec.shimStart)) out.push(rec.shimPid);
  for (const [pid, e] of Object.entries(rec.execs))
    if (isAlive(Number(pid), e.helperStart)) out.push(Number(pid));
  return out;
}

/**
 * Every process of the container (what HCS would list for the silo): the init and exec processes, their
 * session members and descendants — including orphans, which re-parent to their helper because helpers
 * are child subreapers — but not the helpers themselves.
 */
export function containerPids(rec: ContainerRecord): number[] {
  const helpers = helperPids(rec);
  return containerTree([...rootPids(rec), ...helpers]).filter((p) => !helpers.includes(p));
}
