/**
 * Shared by the Wine drivers that run the shim binary: the shim entry under this node.exe, and waiting for a
 * process to be gone.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The containerd namespace every Wine driver uses. */
export const NS = "wine";
const SHIM = path.join(path.dirname(fileURLToPath(import.meta.url)), "shim-entry.js");

export interface ShimRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * The shim binary: `$WINE_SHIM_EXE` (the single executable from `npm run build:exe`) when set, else this
 * node.exe running the compiled entry.
 */
export const SHIM_COMMAND: readonly string[] = process.env.WINE_SHIM_EXE
  ? [process.env.WINE_SHIM_EXE]
  : [process.execPath, SHIM];

/** Runs the shim binary (`-namespace wine` + `args`) in `cwd`; resolves with its exit code and output. */
export function runShim(args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<ShimRun> {
  return new Promise((resolve, reject) => {
    const c = spawn(SHIM_COMMAND[0]!, [...SHIM_COMMAND.slice(1), "-namespace", NS, ...args], {
      cwd,
      ...(env ? { env } : {}),
      stdio: ["ignore", "pipe", "pipe"],
      windowsHide: true,
    });
    const out: Buffer[] = [];
    let err = "";
    c.stdout.on("data", (d: Buffer) => out.push(d));
    c.stderr.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    c.once("error", reject);
    c.once("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
  });
}

/** Whether `pid` names a live process. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (polling, bounded by `ms`) until `pid` is gone; false when it is still there. */
export async function gone(pid: number, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}
