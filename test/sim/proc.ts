/**
 * Host process inspection through /proc: liveness (with start-time check against pid reuse) and the
 * "container process tree", which stands in for the process list HCS keeps for a compute system.
 */
import { readdirSync, readFileSync } from "node:fs";

/** The fields of `/proc/<pid>/stat` the simulator needs. */
export interface ProcStat {
  pid: number;
  /** One-letter state: R, S, D, T, t, Z, X, ... */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Start time in clock ticks after boot; with the pid it identifies a process uniquely. */
  starttime: number;
}

/** Parses one stat line; the command name may contain spaces and parentheses, so split after the last `)`. */
export function parseStat(line: string): ProcStat | undefined {
  const open = line.indexOf("(");
  const close = line.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const rest = line.slice(close + 2).split(" ");
  const num = (i: number) => Number(rest[i]);
  return {
    pid: Number(line.slice(0, open).trim()),
    state: rest[0] ?? "?",
    ppid: num(1),
    pgrp: num(2),
    session: num(3),
    starttime: num(19),
  };
}

/** `/proc/<pid>/stat` of a process, or undefined when it does not exist (any more). */
export function readStat(pid: number): ProcStat | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * Whether a process is alive: it exists, is not a zombie, and (when given) started at `starttime`,
 * so a recycled pid is not mistaken for the original process.
 */
export function isAlive(pid: number, starttime?: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const st = readStat(pid);
  if (!st || st.state === "Z" || st.state === "X") return false;
  return starttime === undefined || starttime === 0 || st.starttime === starttime;
}

/** Start time of a live process (0 when unknown), recorded next to pids in the state file. */
export function startTimeOf(pid: number): number {
  return readStat(pid)?.starttime ?? 0;
}

/** Every live (non-zombie) process on the host. */
export function listStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (st && st.state !== "Z" && st.state !== "X") out.push(st);
  }
  return out;
}

/**
 * The pids of a container: each root (the init process and exec processes, all session leaders because
 * they are spawned detached), every process still in one of their sessions (daemons that re-parented),
 * and every descendant of those. Sorted ascending.
 */
export function containerTree(roots: readonly number[]): number[] {
  const live = roots.filter((p) => p > 0);
  if (live.length === 0) return [];
  const stats = listStats();
  const members = new Set<number>();
  const sessions = new Set(live);
  for (const st of stats) {
    if (sessions.has(st.pid) || sessions.has(st.session)) members.add(st.pid);
  }
  // Close over parent links until nothing new is added (descendants that called setsid themselves).
  let grew = true;
  while (grew) {
    grew = false;
    for (const st of stats) {
      if (!members.has(st.pid) && members.has(st.ppid)) {
        members.add(st.pid);
        grew = true;
      }
    }
  }
  return [...members].sort((a, b) => a - b);
}

/** Sends a signal to each pid, ignoring processes that are already gone. */
export function signalEach(pids: readonly number[], signal: number | NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // ESRCH: exited meanwhile.
    }
  }
}
