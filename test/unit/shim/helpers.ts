/** Shared helpers of the shim tests: a runnable copy of the shim entry over the compiled tree, temp dirs. */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The compiled tree (`<dist>/test/unit/shim/` → `<dist>`). */
export const DIST = fileURLToPath(new URL("../../../", import.meta.url));

/** A temp dir. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `shim-unit-${prefix}-`));
}

/**
 * `bin/containerd-shim-runhcs-v1` copied next to a `dist` link to the compiled tree under `root`, so it
 * loads the code under test (the entry resolves `../dist` from its real path).
 */
export function shimEntry(root: string): string {
  const entry = join(root, "bin", "containerd-shim-runhcs-v1");
  if (!existsSync(entry)) {
    mkdirSync(join(root, "bin"), { recursive: true });
    copyFileSync(join(process.cwd(), "bin", "containerd-shim-runhcs-v1"), entry);
    symlinkSync(DIST, join(root, "dist"));
  }
  return entry;
}

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the shim entry with `args`, stdin `input`, in `cwd`. */
export function runShim(
  entry: string,
  args: string[],
  opts: { cwd?: string; input?: Uint8Array; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [entry, ...args],
      { cwd: opts.cwd, env: opts.env ?? process.env, encoding: "buffer", timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
        resolve({ code, stdout, stderr: stderr.toString("utf8") });
      },
    );
    child.stdin?.end(opts.input ?? new Uint8Array());
  });
}

/** Whether pid is alive (and not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits (bounded) until `pid` is gone. */
export async function waitGone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}
