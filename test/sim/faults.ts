/**
 * Fault injection for the fault suite (test/faults): `$RUNHCS_SIM_FAULTS` names a JSON file, read on every
 * invocation, that makes chosen subcommands misbehave the way a broken runhcs or a stuck HCS call would:
 *
 * ```json
 * { "create": { "fault": "hang" }, "ps": { "fault": "slow", "ms": 300 }, "start": { "fault": "fail", "id": "c1" } }
 * ```
 *
 * - `hang`: never answers (blocks until killed), before doing anything;
 * - `fail`: exits 1 with `simulated <subcommand> failure` on stderr (and in `--log`), doing nothing;
 * - `garbage`: prints bytes that are neither JSON nor text on stdout and stderr, then exits `code` (default 0);
 * - `slow`: waits `ms` milliseconds, then runs normally.
 *
 * `id` limits a fault to one container. The file is re-read each time, so a test changes faults while
 * containerd and the shim run; a missing file or variable means no faults. The hidden `shim` helper is
 * never faulted (runhcs's helper is not a CLI call).
 */
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { writeAll } from "./write-all.js";

export const FAULTS_ENV = "RUNHCS_SIM_FAULTS";

export type FaultKind = "hang" | "fail" | "garbage" | "slow";

export interface Fault {
  fault: FaultKind;
  /** Only for this container id. */
  id?: string;
  /** `slow`: the delay. */
  ms?: number;
  /** `garbage`: the exit code. */
  code?: number;
}

/** Subcommand name → its fault. */
export type FaultPlan = Record<string, Fault>;

function plan(): FaultPlan {
  const file = process.env[FAULTS_ENV];
  if (!file) return {};
  try {
    return JSON.parse(readFileSync(file, "utf8")) as FaultPlan;
  } catch {
    return {};
  }
}

/**
 * Applies the fault planned for `subcommand` on container `id`: resolves to carry on normally, resolves
 * with an exit code to end the call with, throws the simulated failure, or never settles (hang).
 */
export async function applyFault(subcommand: string, id: string | undefined): Promise<number | undefined> {
  const f = plan()[subcommand];
  if (!f || (f.id !== undefined && f.id !== id)) return undefined;
  switch (f.fault) {
    case "hang":
      setInterval(() => {}, 1 << 30); // keep the process alive: a pending promise alone would not
      return new Promise<never>(() => {});
    case "fail":
      throw new Error(`simulated ${subcommand} failure`);
    case "garbage": {
      const junk = Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22, 0x0a, 0x1b, 0x5b, 0x32, 0x4a, 0x80, 0x7d]);
      writeAll(1, junk);
      writeAll(2, junk);
      return f.code ?? 0;
    }
    case "slow":
      await sleep(f.ms ?? 1_000);
      return undefined;
  }
}
