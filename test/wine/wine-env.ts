/**
 * Runs the Wine lane's drivers. On Linux: prepares Wine once per run (test/wine/setup.sh), runs a compiled
 * driver script with the Windows node.exe under wine64 and returns what it reported. On Windows (the hosted
 * CI job, or this whole mocha run hosted under Wine by `scripts/run-tests.mjs --selection windows`): a driver
 * is `process.execPath <driver.js>`, and only the runhcs simulator's executable is prepared
 * (test/wine/build-runhcs.mjs; setup.sh needs bash and wine).
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
import { pathToFileURL } from "node:url";

/** This test process runs on Windows (natively, or itself under Wine): drivers need no wine64. */
const WINDOWS = process.platform === "win32";
/** Debian's 64-bit Wine loader. */
export const WINE = "/usr/lib/wine/wine64";
const CACHE = path.resolve(".cache/wine");
/** The private prefix setup.sh creates (win10). */
export const WINEPREFIX = path.join(CACHE, "prefix");
/** The Windows node that runs drivers: this one on Windows, else the one setup.sh fetched. */
const NODE_EXE = WINDOWS ? process.execPath : path.join(CACHE, "node", "node.exe");
/** The runhcs stand-in setup.sh builds (a Node single-executable running test/wine/runhcs/main.js). */
export const RUNHCS_EXE = path.join(CACHE, "runhcs", "runhcs.exe");

/** A path as the Windows processes see it: on Linux an absolute path on Wine's `Z:` drive. */
export function winPath(p: string): string {
  return WINDOWS ? path.resolve(p) : `Z:${path.resolve(p).replaceAll("/", "\\")}`;
}

/** Environment for every Windows process of the lane (NODE_PATH lets koffi find its Windows module). */
export function wineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // On Windows the environment is already the Windows one (under Wine: set by scripts/run-tests/wine-host.mjs).
  const hcs = { WINE_LANE_FAKE_HCS: FAKE_HCS ? "1" : "0" };
  if (WINDOWS) return { ...process.env, ...hcs, ...extra };
  return {
    ...process.env,
    ...hcs,
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
 * On Windows: builds (or finds current) the runhcs simulator's executable with this node.
 */
export function ensureWine(): Promise<string | undefined> {
  ready ??= WINDOWS ? buildRunhcsHere() : setupWine();
  return ready;
}

async function buildRunhcsHere(): Promise<undefined> {
  const script = pathToFileURL(path.resolve("test", "wine", "build-runhcs.mjs")).href;
  const { buildRunhcs } = (await import(script)) as {
    buildRunhcs: (nodeExe: string, outDir: string) => Promise<string>;
  };
  await buildRunhcs(process.execPath, path.dirname(RUNHCS_EXE));
  return undefined;
}

function setupWine(): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    execFile("bash", ["test/wine/setup.sh"], { timeout: 600_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve(undefined);
      if ((err as { code?: unknown }).code === 3) return resolve(`Wine is not available: ${stderr.trim()}`);
      reject(new Error(`test/wine/setup.sh failed: ${err.message}\n${stderr}`));
    });
  });
}

/** For a suite's `before`: prepares Wine, or skips the suite saying why (only where Wine cannot be installed). */
export async function skipUnlessWine(this: Mocha.Context): Promise<void> {
  const skip = await ensureWine();
  if (skip) {
    console.log(`    skipping the Wine lane: ${skip}`);
    this.skip();
  }
}

/**
 * Whether the shim's HCS calls reach the lane's fake vmcompute.dll (setup.sh puts it in the Wine prefix's
 * System32): under Wine, yes; on real Windows (the hosted job) the System32 one is the real HCS, which
 * knows nothing of the simulator's containers, so tests of exec Kill through HCS skip there (the Hyper-V
 * job is where real HCS is exercised). Drivers see it as `WINE_LANE_FAKE_HCS=1`.
 */
export const FAKE_HCS = !WINDOWS || Boolean(process.env["WINEPREFIX"]);

/** For a test that needs the fake vmcompute.dll: skips on real Windows, saying why. */
export function skipUnlessFakeHcs(this: Mocha.Context): void {
  if (!FAKE_HCS) {
    console.log("    skipping: needs the Wine lane's fake vmcompute.dll (real HCS is the Hyper-V job's)");
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
 * Runs `node.exe <dist>/test/wine/drivers/<name>.js <result file> ...args` (under Wine from Linux; this
 * node on Windows) and reads the result file. The driver must clean up every Windows process it started; on timeout the wine process
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
    const argv = [script, winPath(resultFile), ...args];
    const child = WINDOWS
      ? spawn(NODE_EXE, argv, { stdio: ["ignore", out, out], env: wineEnv(env), windowsHide: true })
      : spawn(WINE, [NODE_EXE, ...argv], { stdio: ["ignore", out, out], env: wineEnv(env) });
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
