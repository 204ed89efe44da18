/**
 * The one place that looks at `process.platform`: everything else imports {@link platform} (or the types)
 * from here, as containerd selects `shim_windows.go` or `shim_unix.go` at build time.
 */
import { posixPlatform } from "./posix.js";
import type { Platform } from "./types.js";
import { windowsPlatform } from "./windows.js";

/** The platform this process runs on. */
export const platform: Platform = process.platform === "win32" ? windowsPlatform : posixPlatform;

export { isSafeId, validateId } from "../ids.js";
export type {
  ContainerProcesses,
  ContainerProcessTarget,
  ContainerSignalOptions,
  ExecutableLookup,
  ExitInfo,
  Platform,
  ProcessTree,
  ProcessWaiter,
  ShimAddress,
  ShimAddressOptions,
  ShimIdentity,
  Signals,
  StreamListener,
} from "./types.js";
export { UNKNOWN_EXIT_CODE } from "./types.js";
