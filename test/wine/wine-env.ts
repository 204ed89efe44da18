/**
 * The Linux side of the Wine lane: prepares Wine once per run (test/wine/setup.sh), runs a compiled
 * driver script with the Windows node.exe under wine64 and returns what it reported.
 *
 * Why drivers run entirely under Wine: a Wine named pipe exists only inside wineserver, so no Linux
 * process can dial the shim's `\\.\pipe\...`; the driver (a Windows node program) does the talking and
 * writes one JSON result file that the mocha test reads. The Windows node's stdout/stderr go to a file:
 * node.exe cannot use a Unix pipe handed over by Wine as stdio (EBADF).
 */
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Debian's 64-bit Wine loader. */
export const WINE = "/usr/lib/wine/wine64";
const CACHE = path.resolve(".cache/wine");
/** The private prefix setup.sh creates (win10). */
export const WINEPREFIX = path.join(CACHE, "prefix");
const NODE_EXE = path.join(CACHE, "node", "node.exe");
/** The runhcs stand-in setup.sh builds (a Node single-executable running test/wine/runhcs/main.js). */
export const RUNHCS_EXE = path.join(CACHE, "runhcs", "runhcs.exe");

/** A Linux absolute path as Wine's `Z:` drive sees it. */
export function winPath(p: string): string {
  return `Z:${path.resolve(p).replaceAll("/", "\\")}`;
}

/** Environment for every Windows process of the lane (NODE_PATH lets koffi find its Windows module). */
export function wineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WINEPREFIX,
    WINEDEBUG: "-all",
    WINEDLLOVERRIDES: "mscoree,mshtml=",
    NODE_PATH: winPath(path.join(CACHE, "node_modules")),
    ...extra,
  };
}

let ready: Promise<string | undefined> | undefined;

/**
 * Runs setup.sh once per test process. Resolves `undefined` when the lane can run, or the reason to skip
 * (only when Wine cannot be installed here: setup.sh exits 3). Any other setup failure rejects.
 */
export function ensureWine(): Promise<string | undefined> {
  ready ??= new Promise((resolve, reject) => {
    execFile("bash", ["test/wine/setup.sh"], { timeout: 600_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve(undefined);
      if ((err as { code?: unknown }).code === 3) return resolve(`Wine is not available: ${stderr.trim()}`);
      reject(new Error(`test/wine/setup.sh failed: ${err.message}\n${stderr}`));
    });
  });
  return ready;
}

/** For a suite's `before`: prepares Wine, or skips the suite saying why (only where Wine cannot be installed). */
export async function skipUnlessWine(this: Mocha.Context): Promise<void> {
  const skip = await ensureWine();
  if (skip) {
    console.log(`    skipping the Wine lane: ${skip}`);
    this.skip();
  }
}

/** What a driver run produced. */
export interface DriverRun<T> {
  /** The driver's JSON result (undefined if it wrote none). */
  readonly result: T | undefined;
  readonly exitCode: number | null;
  /** The driver's stdout+stderr, for assertion messages. */
  readonly output: string;
}

/**
 * Runs `node.exe <dist>/test/wine/drivers/<name>.js <result file> ...args` under Wine and reads the
 * result file. The driver must clean up every Windows process it started; on timeout the wine process
 * is killed and the run fails.
 */
export async function runDriver<T>(
  dist: string,
  name: string,
  args: readonly string[],
  timeoutMs: number,
  env: Record<string, string> = {},
): Promise<DriverRun<T>> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wine-lane-"));
  try {
    const resultFile = path.join(tmp, "result.json");
    const outFile = path.join(tmp, "output.txt");
    const out = fs.openSync(outFile, "w");
    const script = winPath(path.join(dist, "test", "wine", "drivers", `${name}.js`));
    const child = spawn(WINE, [NODE_EXE, script, winPath(resultFile), ...args], {
      stdio: ["ignore", out, out],
      env: wineEnv(env),
    });
    fs.closeSync(out);
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`driver ${name} timed out after ${timeoutMs} ms:\n${readOr(outFile)}`));
      }, timeoutMs);
      child.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    const text = readOr(resultFile, "");
    return { result: text ? (JSON.parse(text) as T) : undefined, exitCode, output: readOr(outFile) };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function readOr(file: string, fallback = "(no output)"): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return fallback;
  }
}

/** The compiled tree these tests run from (`DIST`, else dist), as scripts/run-tests.mjs selects it. */
export function distDir(): string {
  return path.resolve(process.env.DIST ?? "dist");
}
