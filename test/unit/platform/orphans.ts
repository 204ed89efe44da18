/**
 * Test helper: real processes that are NOT spawned by libuv, as runhcs leaves them behind.
 *
 * `spawnOrphan(cmd)` runs `sh -c cmd` as a grandchild: an intermediate `sh` starts it in the background,
 * prints its pid and exits at once, so (with the test process as child subreaper) the grandchild is
 * reparented to us. The grandchild gets a FIFO as fd 3 (opened read-write by us, unlinked at once), so
 * `read x <&3` makes it wait until `release()` writes a line: the test decides when it exits. (Not a
 * child_process pipe: Node destroys those when the intermediate shell exits.)
 *
 * `spawnForeign(cmd)` keeps the intermediate shell alive as the grandchild's parent (it `wait`s), so the
 * grandchild is never our child: the case the pidfd fallback handles.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A process started through an intermediate shell. */
export interface Orphan {
  readonly pid: number;
  /** Lets the grandchild run on from `read x <&3` (closes the pipe it reads). */
  release(): void;
  /** The intermediate shell (exited for orphans, alive for foreign processes). */
  readonly parent: ChildProcess;
}

/** An unlinked FIFO held open read-write (so opening it never blocks and writes never fail). */
function gateFd(): number {
  const dir = mkdtempSync(join(tmpdir(), "h7-gate-"));
  try {
    const path = join(dir, "gate");
    execFileSync("mkfifo", [path]);
    return openSync(path, constants.O_RDWR);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function start(script: string): Promise<Orphan> {
  const gate = gateFd();
  let open = true;
  const parent = spawn("sh", ["-c", script], { stdio: ["ignore", "pipe", "ignore", gate] });
  let out = "";
  parent.stdout?.setEncoding("utf8");
  parent.stdout?.on("data", (d: string) => {
    out += d;
  });
  while (!out.includes("\n")) await once(parent.stdout!, "data");
  const pid = Number(out.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`bad pid line ${JSON.stringify(out)}`);
  return {
    pid,
    parent,
    release: () => {
      if (!open) return;
      open = false;
      writeSync(gate, "go\n");
      closeSync(gate);
    },
  };
}

/** A grandchild running `cmd` whose parent has exited (reparented to the subreaper). */
export async function spawnOrphan(cmd: string): Promise<Orphan> {
  const o = await start(`sh -c '${cmd}' </dev/null >/dev/null 2>&1 & echo $!`);
  if (o.parent.exitCode === null) await once(o.parent, "exit");
  return o;
}

/** A grandchild running `cmd` whose parent stays alive and reaps it (never our child). */
export function spawnForeign(cmd: string): Promise<Orphan> {
  return start(`sh -c '${cmd}' </dev/null >/dev/null 2>&1 & echo $!; wait $!`);
}

/** Parent pid and state letter of a process, from `/proc/<pid>/stat`. */
export function procStat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "?", ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/**
 * Waits until `pid` has exited: a zombie, or already reaped (the waiter reaps orphans as they exit). Test-only
 * polling; prefer a pidfd where the caller has one.
 */
export async function untilExited(pid: number): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    const stat = procStat(pid);
    if (stat === undefined || stat.state === "Z") return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`process ${pid} did not exit`);
}

/** Pids of this process's children (every thread's), from `/proc/self/task/<tid>/children`. */
export function childPids(): number[] {
  const pids: number[] = [];
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const text = readFileSync(`/proc/self/task/${tid}/children`, "utf8").trim();
      if (text !== "") pids.push(...text.split(/\s+/).map(Number));
    } catch {
      // the thread ended while we looked
    }
  }
  return pids;
}

/** This process's zombie children. */
export function zombieChildren(): number[] {
  return childPids().filter((pid) => procStat(pid)?.state === "Z");
}
