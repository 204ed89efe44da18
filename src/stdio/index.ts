/**
 * Container stdio relay: containerd's stdio endpoints (FIFOs / named pipes / files) ⇄ the anonymous pipes
 * given to `runhcs create|exec`. Entry point: {@link createProcessIO}; the platform pieces are chosen once
 * by {@link defaultStdioPlatform}.
 */
import { type Platform, platform } from "../platform/index.js";
import type { ChildPipeFactory } from "./child-pipes.js";
import { createPosixOpener } from "./posix-opener.js";
import { createPosixPipes } from "./posix-pipes.js";
import type { UpstreamOpener } from "./upstream.js";
import { createWindowsOpener } from "./windows-opener.js";
import { createWindowsPipes } from "./windows-pipes.js";

export type { ChildPipeFactory, ChildPipes, ChildStdio, PipeUse } from "./child-pipes.js";
export { createPosixOpener } from "./posix-opener.js";
export { createPosixPipes } from "./posix-pipes.js";
export {
  createProcessIO,
  type ProcessIO,
  type ProcessIOOptions,
  type ProcessIORequest,
} from "./process-io.js";
export { type PathFlavor, parseStdioTarget, type StdioRole, type StdioTarget } from "./target.js";
export {
  UPSTREAM_OPEN_TIMEOUT_MS,
  type UpstreamOpener,
  type UpstreamOpenerOptions,
  type UpstreamTarget,
} from "./upstream.js";
export { createWindowsOpener } from "./windows-opener.js";
export { createWindowsPipes } from "./windows-pipes.js";

/** The opener and pipe factory for this platform. */
export interface StdioPlatform {
  readonly opener: UpstreamOpener;
  readonly pipes: ChildPipeFactory;
}

/**
 * The stdio implementation for a platform's way of handing over stdio (default: the running platform's, as
 * selected once by `src/platform/index.ts`, the one place that looks at the OS).
 */
export function defaultStdioPlatform(host: Pick<Platform, "pickStdio"> = platform): StdioPlatform {
  return host.pickStdio({
    fifos: () => ({ opener: createPosixOpener(), pipes: createPosixPipes() }),
    namedPipes: () => ({ opener: createWindowsOpener(), pipes: createWindowsPipes() }),
  });
}
