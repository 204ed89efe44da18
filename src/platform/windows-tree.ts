/**
 * Windows {@link ProcessTree} through `@vscode/windows-process-tree`, an OPTIONAL native dependency
 * (not installed by default): it is loaded on the first call, and a missing module gives a clear
 * `UnavailableError` instead of breaking the import of the platform layer.
 *
 * Limits, from the library: the list is a Toolhelp snapshot filtered to 10 levels below the root, and
 * Windows parent pids are not reference-counted, so a reused pid could make an unrelated process look like
 * a child: `descendants` checks creation times against that. Kill-all on Windows is runhcs's job; this serves diagnostics and host-side helper cleanup.
 */
import { createRequire } from "node:module";
import { UnavailableError } from "../errdefs.js";
import { collectDescendants } from "./tree-walk.js";
import type { ProcessTree } from "./types.js";
import { type Kernel32, loadKernel32 } from "./windows-kernel32.js";

/** The module name of the optional dependency. */
export const WINDOWS_PROCESS_TREE_MODULE = "@vscode/windows-process-tree";

/** One row of `getProcessList` (the subset we use). */
export interface ProcessListEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly name: string;
}

/** The part of `@vscode/windows-process-tree`'s documented API we use. */
export interface WindowsProcessTreeModule {
  /** Calls back with the root and all its descendants, or `undefined` when the root does not exist. */
  getProcessList(
    rootPid: number,
    callback: (list: ProcessListEntry[] | undefined) => void,
    flags?: number,
  ): void;
}

/** Loads the optional module, or throws `UnavailableError` naming it. */
export function loadWindowsProcessTree(name = WINDOWS_PROCESS_TREE_MODULE): WindowsProcessTreeModule {
  try {
    return createRequire(import.meta.url)(name) as WindowsProcessTreeModule;
  } catch (err: unknown) {
    throw new UnavailableError(`optional dependency ${name} is not installed (npm install ${name})`, {
      cause: err,
    });
  }
}

/** Largest Win32 process id (a DWORD). */
const MAX_PID = 0xffff_ffff;

/**
 * Descendants from the library's process list; creation times from kernel32 (`GetProcessTimes`), which
 * the library does not report, both for `startedAt` and to drop children of a recycled parent pid.
 */
export class WindowsProcessTree implements ProcessTree {
  readonly #load: () => WindowsProcessTreeModule;
  readonly #loadKernel32: () => Kernel32;
  #module: WindowsProcessTreeModule | undefined;
  #k32: Kernel32 | undefined;

  /** Both are loaded on first use: importing the platform layer loads nothing native. */
  constructor(
    load: () => WindowsProcessTreeModule = loadWindowsProcessTree,
    kernel32: () => Kernel32 = loadKernel32,
  ) {
    this.#load = load;
    this.#loadKernel32 = kernel32;
  }

  /**
   * The creation time of the process `pid` names now, or `undefined`: no such process, one we may not
   * open, or kernel32 unusable (never throws: `shim delete` then just kills nothing from pid files).
   */
  async startedAt(pid: number): Promise<Date | undefined> {
    if (!Number.isInteger(pid) || pid <= 0 || pid > MAX_PID) return undefined;
    try {
      this.#k32 ??= this.#loadKernel32();
      return this.#k32.processCreationTime(pid);
    } catch {
      return undefined;
    }
  }

  /**
   * Every process below `pid`. Windows parent pids go stale: when a parent exits its pid may be reused by
   * an unrelated process, whose "children" by parent pid would then look like ours. So a process counts
   * as a child only when it was created no earlier than its parent (kernel32 `GetProcessTimes`, as
   * Process Explorer and `ProcessHacker` check it); one whose creation time cannot be read (it exited, or
   * may not be opened) is left out, as is a parent's whole subtree then.
   */
  async descendants(pid: number): Promise<number[]> {
    this.#module ??= this.#load();
    const mod = this.#module;
    const list = await new Promise<ProcessListEntry[] | undefined>((resolve) =>
      mod.getProcessList(pid, resolve),
    );
    if (!list) return [];
    this.#k32 ??= this.#loadKernel32();
    const k32 = this.#k32;
    const created = new Map<number, Date | undefined>();
    const createdAt = (p: number): Date | undefined => {
      if (!created.has(p)) created.set(p, k32.processCreationTime(p));
      return created.get(p);
    };
    const byParent = new Map<number, number[]>();
    for (const p of list) {
      const siblings = byParent.get(p.ppid) ?? [];
      siblings.push(p.pid);
      byParent.set(p.ppid, siblings);
    }
    return collectDescendants(pid, (parent) => {
      const candidates = byParent.get(parent) ?? [];
      if (candidates.length === 0) return [];
      const parentCreated = createdAt(parent);
      if (parentCreated === undefined) return [];
      return candidates.filter((child) => {
        const childCreated = createdAt(child);
        return childCreated !== undefined && childCreated.getTime() >= parentCreated.getTime();
      });
    });
  }
}
