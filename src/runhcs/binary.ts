/**
 * Which runhcs executable to run, as hcsshim's go-runhcs finds it (`pkg/go-runhcs/runhcs.go`,
 * `getCommandPath`): `runhcs.exe` on PATH, else the one beside the calling executable (the usual layout
 * under a Windows service, whose PATH may not hold it), else the bare name for the loader. Before
 * that, `$RUNHCS_BINARY` when set (ours: tests and unusual installs). The current directory is never
 * searched (go-runhcs accepts `exec.ErrDot` matches; a shim running as SYSTEM should not).
 *
 * runhcs only exists on Windows (`runhcs.exe`); elsewhere a simulator named `runhcs` stands in.
 */
import { statSync } from "node:fs";
import { posix, win32 } from "node:path";
import { platform as currentPlatform, type Platform } from "../platform/index.js";

/** Environment variable that overrides the binary (absolute path or a name looked up on PATH). */
export const RUNHCS_BINARY_ENV = "RUNHCS_BINARY";

/** The executable name for a platform: `runhcs.exe` on Windows, `runhcs` elsewhere. */
export function defaultBinaryName(platform: Platform["name"] = currentPlatform.name): string {
  return platform === "windows" ? "runhcs.exe" : "runhcs";
}

/** Inputs of {@link resolveBinary}; each defaults to the current process's value. */
export interface ResolveBinaryOptions {
  /** Explicit binary from the caller (constructor option); wins over everything. */
  binary?: string | undefined;
  env?: NodeJS.ProcessEnv;
  platform?: Platform["name"];
  /** Searched after PATH: the directory of the shim's own executable. */
  besideDir?: string | undefined;
  /** Whether a path is a regular file (tests substitute it). */
  isFile?: (path: string) => boolean;
}

/**
 * The binary to spawn: the explicit option, else `$RUNHCS_BINARY`, else the platform's name found in a
 * PATH directory, else in `besideDir`, else the bare name (spawn then fails with a clear ENOENT).
 */
export function resolveBinary(opts: ResolveBinaryOptions = {}): string {
  if (opts.binary) return opts.binary;
  const env = opts.env ?? process.env;
  const fromEnv = env[RUNHCS_BINARY_ENV];
  if (fromEnv) return fromEnv;
  const platform = opts.platform ?? currentPlatform.name;
  const name = defaultBinaryName(platform);
  const path = platform === "windows" ? win32 : posix;
  const isFile = opts.isFile ?? regularFile;
  const dirs = (pathVariable(env, platform) ?? "").split(path.delimiter).filter((d) => path.isAbsolute(d));
  if (opts.besideDir) dirs.push(opts.besideDir);
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (isFile(candidate)) return candidate;
  }
  return name;
}

/** PATH; on Windows the variable's name is case-insensitive (`Path` is common). */
function pathVariable(env: NodeJS.ProcessEnv, platform: Platform["name"]): string | undefined {
  if (platform !== "windows") return env["PATH"];
  const key = Object.keys(env).find((k) => k.toUpperCase() === "PATH");
  return key === undefined ? undefined : env[key];
}

function regularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
