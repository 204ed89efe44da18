/**
 * The Windows {@link Platform}: same shape as `posix.ts`; `index.ts` chooses between them.
 * Importing this module loads nothing native: kernel32 is bound on `ProcessWaiter.init()` or the first
 * `ProcessTree.startedAt()`, vmcompute.dll and advapi32 on the first `ContainerProcesses.signal()`, the optional `@vscode/windows-process-tree` (or the Toolhelp fallback) on the
 * first `descendants()` call.
 */

import { win32 } from "node:path";
import { WindowsSignals } from "./signals.js";
import {
  type ContainerProcesses,
  type ExecutableLookup,
  type Platform,
  type ProcessTree,
  type ProcessWaiter,
  type ShimAddress,
  type ShimAddressOptions,
  type Signals,
  type StreamListener,
  UNKNOWN_EXIT_CODE,
} from "./types.js";
import { WindowsShimAddress } from "./windows-address.js";
import { WindowsContainerProcesses } from "./windows-container-processes.js";
import { loadKernel32 } from "./windows-kernel32.js";
import { loadPipeApi } from "./windows-pipe-api.js";
import { SecurePipeServer, SHIM_PIPE_SDDL } from "./windows-pipe-server.js";
import { loadRegistry } from "./windows-registry.js";
import { withStartLock } from "./windows-start-lock.js";
import { toolhelpProcessTree } from "./windows-toolhelp.js";
import { loadWindowsProcessTree, WindowsProcessTree } from "./windows-tree.js";
import { loadVmcompute } from "./windows-vmcompute.js";
import { WindowsProcessWaiter } from "./windows-waiter.js";

/** OpenProcess + RegisterWaitForSingleObject waiter. */
export function createProcessWaiter(): ProcessWaiter {
  return new WindowsProcessWaiter({ kernel32: loadKernel32 });
}

/**
 * Process tree through the optional `@vscode/windows-process-tree` when it is installed, else through a
 * kernel32 Toolhelp snapshot (koffi), so the shim can always list a helper's descendants; start times
 * (`startedAt`) from kernel32's `GetProcessTimes` either way.
 */
export function createProcessTree(): ProcessTree {
  return new WindowsProcessTree(() => {
    try {
      return loadWindowsProcessTree();
    } catch {
      return toolhelpProcessTree();
    }
  }, loadKernel32);
}

/** Signal range 0..64 passed through; host processes are terminated. */
export function createSignals(): Signals {
  return new WindowsSignals();
}

/**
 * Container processes through HCS (vmcompute.dll, bound on first use) and runhcs's registry state, as
 * `runhcs kill` reaches the init process.
 */
export function createContainerProcesses(): ContainerProcesses {
  return new WindowsContainerProcesses({ vmcompute: loadVmcompute, registry: loadRegistry });
}

/** hcsshim's named pipe naming; `socketDir` does not apply to pipes and is ignored. */
export function createShimAddress(_options?: ShimAddressOptions): ShimAddress {
  return new WindowsShimAddress();
}

/** A named pipe only SYSTEM and Administrators may open (instances created by us, not by libuv). */
export function listenPipe(name: string): StreamListener {
  return new SecurePipeServer(name, SHIM_PIPE_SDDL, { api: loadPipeApi, kernel32: loadKernel32 });
}

/** `Path` in any case of its name, `;`-separated; drive or UNC directories only. */
export const executables: ExecutableLookup = {
  runhcsName: "runhcs.exe",
  pathDirs: (env) => {
    const key = Object.keys(env).find((k) => k.toUpperCase() === "PATH");
    const value = key === undefined ? "" : (env[key] ?? "");
    return value.split(win32.delimiter).filter((d) => win32.isAbsolute(d));
  },
  join: (dir, name) => win32.join(dir, name),
};

/** All Windows concerns. */
export const windowsPlatform: Platform = {
  name: "windows",
  createProcessWaiter,
  createProcessTree,
  createSignals,
  createContainerProcesses,
  createShimAddress,
  listenPipe,
  listenTaskApi: async (listenPath, server) => server.serve(listenPipe(listenPath)),
  openShimLog: (endpoint, ways) => ways.pipeServer(listenPipe(endpoint)),
  endStrayServer: (ways) => ways.nothingLeft(),
  withStartLock,
  pickStdio: (ways) => ways.namedPipes(),
  requiresLayerFolders: true,
  killedExitStatus: UNKNOWN_EXIT_CODE,
  executables,
};
