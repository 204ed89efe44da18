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
import { type ExecutableLookup, platform } from "../platform/index.js";

/** Environment variable that overrides the binary (absolute path or a name looked up on PATH). */
export const RUNHCS_BINARY_ENV = "RUNHCS_BINARY";

/** Inputs of {@link resolveBinary}; each defaults to the current process's value. */
export interface ResolveBinaryOptions {
  /** Explicit binary from the caller (constructor option); wins over everything. */
  binary?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** How the OS names and finds executables (tests give the other platform's). */
  executables?: ExecutableLookup;
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
  const exes = opts.executables ?? platform.executables;
  const isFile = opts.isFile ?? regularFile;
  const dirs = exes.pathDirs(env);
  if (opts.besideDir) dirs.push(opts.besideDir);
  for (const dir of dirs) {
    const candidate = exes.join(dir, exes.runhcsName);
    if (isFile(candidate)) return candidate;
  }
  return exes.runhcsName;
}

function regularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
