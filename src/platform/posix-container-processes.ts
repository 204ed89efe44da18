/**
 * posix {@link ContainerProcesses}: the runhcs simulator's container processes are descendants of the
 * `runhcs shim` helper, so a Kill signals the helper's process tree — every descendant, or the helper
 * itself when it has none (what the Task service's kill did before this seam existed).
 */
import type {
  ContainerProcesses,
  ContainerProcessTarget,
  ContainerSignalOptions,
  ProcessTree,
  Signals,
} from "./types.js";

export class PosixContainerProcesses implements ContainerProcesses {
  readonly #tree: ProcessTree;
  readonly #signals: Signals;

  constructor(tree: ProcessTree, signals: Signals) {
    this.#tree = tree;
    this.#signals = signals;
  }

  async signal(
    target: ContainerProcessTarget,
    signal: number,
    options?: ContainerSignalOptions,
  ): Promise<void> {
    // Validate before looking at the tree: a bad signal is refused even when nothing would be signalled.
    this.#signals.toRunhcsSignal(signal);
    const pid = target.helperPid;
    if (!Number.isInteger(pid) || pid <= 0) return;
    const below = await this.#tree.descendants(pid).catch((): number[] => []);
    for (const p of below) this.#signals.kill(p, signal);
    if (below.length === 0 && (options?.helperFallback ?? true)) this.#signals.kill(pid, signal);
  }
}
