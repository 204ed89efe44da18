/**
 * Runs `scripts/build-exe.mjs` once per test run (every test file of this folder shares the promise).
 * The script itself skips targets whose inputs did not change, so a run after an unchanged tree costs
 * well under a second; a fresh build (both executables) takes ~15-30 s, plus a one-time download of the
 * Windows node.exe from the npm registry into .cache/.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";

/** Where the build puts its outputs (repo root = cwd, as the test runner guarantees). */
export const BUILD_DIR = join(process.cwd(), "build");
export const LINUX_EXE = join(BUILD_DIR, "containerd-shim-runhcs-v1");
export const WINDOWS_EXE = join(BUILD_DIR, "containerd-shim-runhcs-v1.exe");
/** What the build recorded per target (input key, output hash, the node binary and addon it used). */
export const BUILD_STAMP = join(BUILD_DIR, ".build-exe.json");
/** The blob injected into the Windows executable (kept by the build for inspection). */
export const WINDOWS_BLOB = join(BUILD_DIR, ".sea", "win32-x64.blob");
/** The fuse Node checks for an injected blob (postject turns `:0` into `:1`). */
export const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";
/** Generous: two cores shared with other test runs, and a possible first download. */
export const BUILD_TIMEOUT_MS = 10 * 60_000;

let built: Promise<void> | undefined;

/** Builds (or confirms up to date) both executables; rejects with the build's own message. */
export function buildOnce(): Promise<void> {
  built ??= new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [join(process.cwd(), "scripts", "build-exe.mjs"), "--quiet"],
      { cwd: process.cwd(), timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 << 20 },
      (err, _stdout, stderr) => {
        if (err) reject(new Error(`npm run build:exe failed: ${stderr.trim() || err.message}`));
        else resolve();
      },
    );
  });
  return built;
}
