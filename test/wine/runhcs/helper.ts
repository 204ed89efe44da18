/**
 * The `runhcs shim` helper of the Wine simulator: the process whose pid goes into the pid file and whose
 * exit code IS the container process's exit code (full 32 bits on Windows). It holds the stdio handles
 * runhcs create/exec got (inherited), reports readiness on fd 3 (`OK` / `ERR <text>`), and the init
 * helper serves start/state/kill on its control pipe.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import { type Reply, readRecord, serve } from "./state.js";

/** The process part of an OCI spec (what the simulator uses of it). */
export interface ProcessSpec {
  args: string[];
  cwd?: string;
  env?: string[];
}

/** Validates `process` of a spec or a process.json. */
export function parseProcess(value: unknown): ProcessSpec {
  const p = value as Partial<ProcessSpec> | undefined;
  if (!p || !Array.isArray(p.args) || p.args.length === 0 || !p.args.every((a) => typeof a === "string")) {
    throw new Error("process.args must be a non-empty array of strings");
  }
  return p as ProcessSpec;
}

/** Spawns a container process with the helper's own stdio. */
function startProcess(spec: ProcessSpec, bundle: string): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const kv of spec.env ?? []) {
    const eq = kv.indexOf("=");
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const cwd = spec.cwd && fs.existsSync(spec.cwd) ? spec.cwd : bundle;
  const [file, ...args] = spec.args as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: "inherit", windowsHide: true });
    child.once("spawn", () => resolve(child));
    child.once("error", reject);
  });
}

/** Exit code of a finished child as Windows reports it (unsigned 32 bits). */
function exitCodeOf(code: number | null): number {
  return code === null ? 1 : code >>> 0;
}

/** Runs a helper; ends the process with the container process's exit code. */
export async function runHelper(opts: { dir: string; bundle: string; processFile?: string }): Promise<void> {
  const ready = new net.Socket({ fd: 3, readable: true, writable: true });
  ready.on("error", () => {});
  try {
    if (opts.processFile) {
      const spec = parseProcess(JSON.parse(fs.readFileSync(opts.processFile, "utf8")));
      const child = await startProcess(spec, opts.bundle);
      child.once("exit", (code) => process.exit(exitCodeOf(code)));
      ready.end("OK\n");
      return;
    }
    await runInit(opts.dir, opts.bundle, ready);
  } catch (err: unknown) {
    ready.end(`ERR ${err instanceof Error ? err.message : String(err)}\n`, () => process.exit(1));
  }
}

async function runInit(dir: string, bundle: string, ready: net.Socket): Promise<void> {
  const spec = parseProcess(JSON.parse(fs.readFileSync(`${bundle}\\config.json`, "utf8")).process);
  let child: ChildProcess | undefined;
  const handler = async (req: { op: string }): Promise<Reply> => {
    switch (req.op) {
      case "state":
        return { ok: true, status: child ? "running" : "created" };
      case "ps":
        return { ok: true, pids: child?.pid ? [child.pid] : [] };
      case "start": {
        if (child) return { ok: false, error: "cannot start an already running container" };
        child = await startProcess(spec, bundle);
        child.once("exit", (code) => process.exit(exitCodeOf(code)));
        return { ok: true };
      }
      case "kill":
        if (child)
          child.kill(); // TerminateProcess(1), as runhcs's hard kill of a host process
        else setImmediate(() => process.exit(1)); // a created container that is killed never runs
        return { ok: true };
      default:
        return { ok: false, error: `unknown request ${req.op}` };
    }
  };
  await serve(pipeName(dir, process.pid), handler);
  ready.write("OK\n");
  // `runhcs create` is gone: it must have registered us, or it failed and we must not linger.
  ready.on("close", () => {
    if (readRecord(dir)?.helperPid !== process.pid) process.exit(1);
  });
  ready.resume();
}

/** The control pipe of helper `pid` for container directory `dir`. */
export function pipeName(dir: string, pid: number): string {
  const tag = createHash("sha256").update(dir.toLowerCase()).digest("hex").slice(0, 16);
  return `\\\\.\\pipe\\runhcs-wine-sim-${tag}-${pid}`;
}
