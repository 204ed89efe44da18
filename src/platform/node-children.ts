/**
 * Which of this process's children belong to Node (libuv): the pids the posix waiter must never reap.
 *
 * libuv reaps its children one by one (`waitpid(pid, WNOHANG)` for each process handle it owns, on SIGCHLD);
 * a child reaped by anyone else never gets its `exit` event, so its `ChildProcess` (a runhcs call, a
 * `containerd publish`) would hang until its deadline. libuv's handles are not reachable from JavaScript, so
 * the set is rebuilt from the `ChildProcess` objects themselves, which Node announces on the documented
 * built-in diagnostics channel `child_process` (Node >= 16.18 / 18.7; `doc/api/diagnostics_channel.md`,
 * "Built-in channels › Process"): published from the `ChildProcess` constructor, for `spawn`, `exec`,
 * `execFile` and `fork` alike. This is why no caller has to register its children: `src/runhcs/runner.ts`
 * and `src/events/sink.ts` both spawn, and a registry they had to call would be wrong the day a third
 * caller forgets.
 *
 * Why it is exact:
 * - the pid is set by `ChildProcess.spawn()`, synchronously after the constructor published the object, and
 *   the waiter reads pids only in its own callbacks: no sweep can see a Node child's pid before it is here;
 * - a child is Node's until `exitCode`/`signalCode` is set, which libuv's exit callback does synchronously
 *   right after its `waitpid` reaped it: from then on the pid may be reused and is no longer protected;
 * - `spawnSync`/`execSync` run and reap their child inside one synchronous call: no sweep can run meanwhile.
 *
 * Limits: the subscription is made when this module is imported (the platform layer is imported before the
 * shim spawns anything), so a `ChildProcess` created earlier is unknown; a child spawned from a worker thread
 * is published on that thread's channel, not ours (the shim has no workers).
 */
import type { ChildProcess } from "node:child_process";
import { subscribe } from "node:diagnostics_channel";

/** The live `ChildProcess` objects of this thread; entries leave on `exit`, or when a spawn failed. */
const live = new Set<ChildProcess>();
const exitListeners = new Set<() => void>();

function ended(cp: ChildProcess): boolean {
  // A failed spawn sets exitCode (a negative errno) and emits 'error', never 'exit'.
  return cp.exitCode !== null || cp.signalCode !== null;
}

function prune(): void {
  for (const cp of live) if (ended(cp)) live.delete(cp);
}

subscribe("child_process", (message: unknown) => {
  const cp = (message as { process?: ChildProcess } | null)?.process;
  if (!cp || typeof cp.once !== "function") return;
  prune();
  live.add(cp);
  cp.once("exit", () => {
    live.delete(cp);
    for (const listener of exitListeners) listener();
  });
});

/** The pids of Node's children that libuv has not reaped yet (a fresh set on every call). */
export function nodeChildPids(): Set<number> {
  prune();
  const pids = new Set<number>();
  for (const cp of live) if (cp.pid !== undefined) pids.add(cp.pid);
  return pids;
}

/** How many `ChildProcess` objects are tracked (diagnostics and tests: failed spawns must not pile up). */
export function trackedChildProcesses(): number {
  prune();
  return live.size;
}

/**
 * Calls `listener` after libuv reaped one of Node's children (from its `exit` event, before listeners
 * added later to that child). Returns the function that removes it.
 */
export function onNodeChildExit(listener: () => void): () => void {
  exitListeners.add(listener);
  return () => {
    exitListeners.delete(listener);
  };
}

/** What the posix waiter needs to know about Node's children (a fake in tests). */
export interface NodeChildren {
  pids(): ReadonlySet<number>;
  onExit(listener: () => void): () => void;
}

/** This process's Node children, as seen on the `child_process` channel. */
export const nodeChildren: NodeChildren = { pids: nodeChildPids, onExit: onNodeChildExit };
