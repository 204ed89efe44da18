/**
 * What the fault suite needs besides the integration harness: a private containerd whose runhcs is the
 * simulator behind a fault plan (test/sim/faults.ts) and a removable link, a direct ttrpc client to a live
 * shim (to reach it while containerd is away), and measurements of a shim process (fds, RSS, zombies,
 * runhcs children at once).
 */
import { readdirSync, readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Task as TaskV2 } from "../../src/gen/containerd/task/v2/shim_pb.js";
import { RUNHCS_BINARY_ENV, RUNHCS_TIMEOUT_ENV } from "../../src/runhcs/index.js";
import { Client, createClient } from "../../src/ttrpc/index.js";
import { PrivateContainerd, REPO, sleep } from "../integration/containerd-harness.js";
import { FAULTS_ENV, type FaultPlan } from "../sim/faults.js";

/** Deadline of runhcs calls in the fault suite (`$RUNHCS_TIMEOUT`): a hung runhcs fails this fast. */
export const RUNHCS_TIMEOUT_S = 8;

export class FaultyContainerd {
  readonly c: PrivateContainerd;
  readonly #plan: string;
  readonly #link: string;

  private constructor(c: PrivateContainerd, plan: string, link: string) {
    this.c = c;
    this.#plan = plan;
    this.#link = link;
  }

  static async start(): Promise<FaultyContainerd> {
    const dir = `/tmp/shim-faults-${process.pid}-${Date.now().toString(36)}`;
    const plan = `${dir}.plan.json`;
    const link = `${dir}.runhcs`;
    writeFileSync(plan, "{}");
    symlinkSync(join(REPO, "test/sim/bin/runhcs"), link);
    const c = await PrivateContainerd.start({
      prefix: "shim-faults",
      env: { [FAULTS_ENV]: plan, [RUNHCS_BINARY_ENV]: link, [RUNHCS_TIMEOUT_ENV]: String(RUNHCS_TIMEOUT_S) },
    });
    return new FaultyContainerd(c, plan, link);
  }

  /** Replaces the fault plan (atomically: runhcs calls read it at any time). */
  faults(plan: FaultPlan): void {
    writeFileSync(`${this.#plan}.tmp`, JSON.stringify(plan));
    renameSync(`${this.#plan}.tmp`, this.#plan);
  }

  /** Makes `$RUNHCS_BINARY` point at nothing (false) or at the simulator again (true). */
  runhcsPresent(present: boolean): void {
    unlinkSync(this.#link);
    symlinkSync(present ? join(REPO, "test/sim/bin/runhcs") : `${this.#link}.missing`, this.#link);
  }

  async stop(): Promise<void> {
    await this.c.stop();
    for (const f of [this.#plan, this.#link]) {
      try {
        unlinkSync(f);
      } catch {
        // already gone
      }
    }
  }
}

/** A ttrpc Task client on the shim of task `id` (its socket, as containerd dials it). */
export async function shimClient(c: PrivateContainerd, id: string) {
  const socket = c.shimSocketOf(id);
  const client = await Client.connect(socket, { timeoutMs: 5_000 });
  return { client, socket, api: createClient(client, TaskV2) };
}

function statusField(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${field}:`));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? Number.NaN);
}

/** Open fds and resident memory (bytes) of a process. */
export function footprint(pid: number): { fds: number; rss: number } {
  return { fds: readdirSync(`/proc/${pid}/fd`).length, rss: statusField(pid, "VmRSS") * 1024 };
}

/** Children of `pid` that are zombies (exited, not reaped). */
export function zombieChildren(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z" && Number(fields[1]) === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Samples, until `done` settles, how many processes of `c` run `runhcs <sub>` at once; the maximum. */
export async function maxConcurrent(
  c: PrivateContainerd,
  sub: string,
  done: Promise<unknown>,
): Promise<number> {
  let max = 0;
  let finished = false;
  done.then(
    () => (finished = true),
    () => (finished = true),
  );
  while (!finished) {
    const n = c
      .markedProcesses()
      .filter((p) => p.cmd.includes("runhcs") && p.cmd.split(" ").includes(sub)).length;
    max = Math.max(max, n);
    await sleep(20);
  }
  return max;
}

/** Calls State on `id` every `everyMs` until `done` settles; the slowest answer in ms (Infinity on error). */
export async function stateLatency(
  api: Awaited<ReturnType<typeof shimClient>>["api"],
  id: string,
  done: Promise<unknown>,
  everyMs = 50,
): Promise<{ calls: number; worstMs: number }> {
  let finished = false;
  done.then(
    () => (finished = true),
    () => (finished = true),
  );
  let calls = 0;
  let worstMs = 0;
  while (!finished) {
    const t0 = performance.now();
    try {
      await api.state({ id }, { timeoutMs: 10_000 });
      worstMs = Math.max(worstMs, performance.now() - t0);
    } catch {
      worstMs = Number.POSITIVE_INFINITY;
    }
    calls++;
    await sleep(everyMs);
  }
  return { calls, worstMs };
}
