/**
 * Which runhcs executable to run.
 *
 * runhcs only exists on Windows (`runhcs.exe`); elsewhere a simulator named `runhcs` stands in.
 */
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
}

/**
 * The binary to spawn: the explicit option, else `$RUNHCS_BINARY`, else the platform's default name.
 * A bare name is resolved by the OS against the child's PATH at spawn time (like `exec.LookPath`).
 */
export function resolveBinary(opts: ResolveBinaryOptions = {}): string {
  if (opts.binary) return opts.binary;
  const fromEnv = (opts.env ?? process.env)[RUNHCS_BINARY_ENV];
  if (fromEnv) return fromEnv;
  return defaultBinaryName(opts.platform);
}
