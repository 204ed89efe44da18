/**
 * posix {@link ProcessTree} from procfs.
 *
 * `/proc/<pid>/task/<tid>/children` lists a process's children directly but exists only with
 * CONFIG_PROC_CHILDREN (absent on this machine's kernel, for one); without it we read the parent pid of
 * every process from `/proc/<pid>/stat` once and walk the tree from that snapshot. Processes that appear
 * or vanish during the walk are simply missed or skipped: callers (kill-all) repeat until the tree is empty.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { collectDescendants } from "./tree-walk.js";
import type { ProcessTree } from "./types.js";

/** Parses the ppid out of `/proc/<pid>/stat` text; the command name may contain spaces and `)`. */
export function parentPidFromStat(stat: string): number | undefined {
  const end = stat.lastIndexOf(")");
  if (end < 0) return undefined;
  // After "comm)": " <state> <ppid> ..."
  const fields = stat.slice(end + 2).split(" ");
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/** Linux reports process start times in clock ticks of USER_HZ, which is 100 on every architecture. */
const USER_HZ = 100;

/** Parses the start time (field 22, clock ticks after boot) out of `/proc/<pid>/stat` text. */
export function startTicksFromStat(stat: string): number | undefined {
  const end = stat.lastIndexOf(")");
  if (end < 0) return undefined;
  // After "comm) ": field 3 (state) is index 0, so field 22 (starttime) is index 19.
  const ticks = Number(stat.slice(end + 2).split(" ")[19]);
  return Number.isSafeInteger(ticks) ? ticks : undefined;
}

/** procfs implementation; `procRoot` is `/proc` except in tests. */
export class ProcProcessTree implements ProcessTree {
  readonly #procRoot: string;

  constructor(procRoot = "/proc") {
    this.#procRoot = procRoot;
  }

  async startedAt(pid: number): Promise<Date | undefined> {
    try {
      const [stat, sys] = await Promise.all([
        readFile(join(this.#procRoot, String(pid), "stat"), "utf8"),
        readFile(join(this.#procRoot, "stat"), "utf8"),
      ]);
      const ticks = startTicksFromStat(stat);
      const bootSeconds = Number(/^btime (\d+)$/m.exec(sys)?.[1]);
      if (ticks === undefined || !Number.isSafeInteger(bootSeconds)) return undefined;
      return new Date(bootSeconds * 1000 + (ticks * 1000) / USER_HZ);
    } catch {
      return undefined;
    }
  }

  async descendants(pid: number): Promise<number[]> {
    const children = (await this.#hasChildrenFiles(pid))
      ? (p: number) => this.#childrenFromTasks(p)
      : await this.#childrenFromStat();
    return collectDescendants(pid, children);
  }

  async #hasChildrenFiles(pid: number): Promise<boolean> {
    try {
      await readFile(join(this.#procRoot, String(pid), "task", String(pid), "children"));
      return true;
    } catch {
      return false;
    }
  }

  async #childrenFromTasks(pid: number): Promise<number[]> {
    const taskDir = join(this.#procRoot, String(pid), "task");
    let tids: string[];
    try {
      tids = await readdir(taskDir);
    } catch {
      return [];
    }
    const out: number[] = [];
    for (const tid of tids) {
      try {
        const text = await readFile(join(taskDir, tid, "children"), "utf8");
        for (const s of text.split(/\s+/)) if (s) out.push(Number(s));
      } catch {
        // the thread or process ended meanwhile
      }
    }
    return out;
  }

  async #childrenFromStat(): Promise<(pid: number) => number[]> {
    const byParent = new Map<number, number[]>();
    for (const name of await readdir(this.#procRoot)) {
      if (!/^\d+$/.test(name)) continue;
      let stat: string;
      try {
        stat = await readFile(join(this.#procRoot, name, "stat"), "utf8");
      } catch {
        continue; // exited meanwhile
      }
      const ppid = parentPidFromStat(stat);
      if (ppid === undefined) continue;
      const list = byParent.get(ppid) ?? [];
      list.push(Number(name));
      byParent.set(ppid, list);
    }
    return (pid) => byParent.get(pid) ?? [];
  }
}
