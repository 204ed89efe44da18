/**
 * Container stdio relay: containerd's stdio endpoints (FIFOs / named pipes / files) ⇄ the anonymous pipes
 * given to `runhcs create|exec`. Entry point: {@link createProcessIO}; the platform pieces are chosen once
 * by {@link defaultStdioPlatform}.
 */
import type { ChildPipeFactory } from "./child-pipes.js";
import { createPosixOpener } from "./posix-opener.js";
import { createPosixPipes } from "./posix-pipes.js";
import type { UpstreamOpener } from "./upstream.js";
import { createWindowsOpener } from "./windows-opener.js";
import { createWindowsPipes } from "./windows-pipes.js";

export type { ChildPipeFactory, ChildPipes, ChildStdio, PipeUse } from "./child-pipes.js";
export { createPosixOpener, type PosixOpenerOptions } from "./posix-opener.js";
export { createPosixPipes } from "./posix-pipes.js";
export {
  createProcessIO,
  type ProcessIO,
  type ProcessIOOptions,
  type ProcessIORequest,
} from "./process-io.js";
export { type PathFlavor, parseStdioTarget, type StdioRole, type StdioTarget } from "./target.js";
export { UPSTREAM_OPEN_TIMEOUT_MS, type UpstreamOpener, type UpstreamTarget } from "./upstream.js";
export { createWindowsOpener, type WindowsOpenerOptions } from "./windows-opener.js";
export { createWindowsPipes } from "./windows-pipes.js";

/** The opener and pipe factory for this platform. */
export interface StdioPlatform {
  readonly opener: UpstreamOpener;
  readonly pipes: ChildPipeFactory;
}

/**
 * Picks the stdio implementation for `platform` (default: the running one). This is the only
 * platform check in `src/stdio`; it belongs with the other selections in `src/platform/index.ts` once
 * that exists.
 */
export function defaultStdioPlatform(platform: NodeJS.Platform = process.platform): StdioPlatform {
  return platform === "win32"
    ? { opener: createWindowsOpener(), pipes: createWindowsPipes() }
    : { opener: createPosixOpener(), pipes: createPosixPipes() };
}
