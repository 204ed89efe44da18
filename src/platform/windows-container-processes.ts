/**
 * Windows {@link ContainerProcesses}: reaches a container process through HCS, as `runhcs kill` does for
 * the init (hcsshim cmd/runhcs/kill.go; getContainer in cmd/runhcs/container.go), for any process:
 *
 * 1. runhcs's registry state: `pid-<helperPid>` → the container pid (windows-registry.ts);
 * 2. HcsOpenComputeSystem(containerId) → HcsOpenProcess(pid);
 * 3. HcsTerminateProcess for 9 (and for a WCOW process with a console), else HcsSignalProcess with
 *    hcsshim's options JSON (container-signals.ts);
 * 4. close both handles.
 *
 * Errors are classified like hcsshim's internal/hcs/errors.go and Process.Kill (internal/hcs/process.go):
 * "already stopped" / "does not exist" → NotFoundError; access denied on terminate after the process
 * exited (TerminateProcess's documented behaviour, which Process.Kill ignores) → NotFoundError; anything
 * that keeps us from reaching the process → FailedPreconditionError naming the reason. It never falls back
 * to killing a host process (the helper is not the container's process).
 */
import { FailedPreconditionError, NotFoundError } from "../errdefs.js";
import { hcsSignalAction } from "./container-signals.js";
import type { ContainerProcesses, ContainerProcessTarget } from "./types.js";
import { type RegistryReader, RunhcsRegistryState } from "./windows-registry.js";
import { HCS, HcsError, type HcsHandle, type Vmcompute } from "./windows-vmcompute.js";

/** hcsshim IsAlreadyStopped (+ processSignalResult's "not delivered" codes and IsNotExist). */
const STOPPED_CODES: ReadonlySet<number> = new Set([
  HCS.VMCOMPUTE_ALREADY_STOPPED,
  HCS.VMCOMPUTE_SYSTEM_ALREADY_STOPPED,
  HCS.PROCESS_ALREADY_STOPPED,
  HCS.ELEMENT_NOT_FOUND,
  HCS.COMPUTE_SYSTEM_DOES_NOT_EXIST,
  HCS.OPERATION_INVALID_STATE,
]);

function isStopped(err: unknown): err is HcsError {
  return err instanceof HcsError && STOPPED_CODES.has(err.code);
}

export interface WindowsContainerProcessesDeps {
  /** Loaded on first use; a throw (vmcompute.dll missing) becomes FailedPreconditionError. */
  readonly vmcompute: () => Vmcompute;
  /** Loaded on first use. */
  readonly registry: () => RegistryReader;
}

export class WindowsContainerProcesses implements ContainerProcesses {
  readonly #deps: WindowsContainerProcessesDeps;
  #hcs: Vmcompute | undefined;
  #state: RunhcsRegistryState | undefined;

  constructor(deps: WindowsContainerProcessesDeps) {
    this.#deps = deps;
  }

  async signal(target: ContainerProcessTarget, signal: number): Promise<void> {
    const action = hcsSignalAction(signal, target.lcow, target.terminal);
    const what = `process of runhcs helper ${target.helperPid} in container ${target.containerId}`;
    const pid = this.#containerPid(target, what);
    const hcs = this.#vmcompute();
    const gone = (err: HcsError) =>
      new NotFoundError(`${what} (container pid ${pid}): process already finished (${err.message})`, {
        cause: err,
      });
    const cannot = (err: unknown, doing: string) =>
      new FailedPreconditionError(
        `${doing} ${what} (container pid ${pid}): ${err instanceof HcsError && err.code === HCS.ACCESS_DENIED ? "access denied: " : ""}${(err as Error).message}`,
        { cause: err },
      );

    let system: HcsHandle;
    try {
      system = hcs.openComputeSystem(target.containerId);
    } catch (err: unknown) {
      if (isStopped(err)) throw gone(err);
      throw cannot(err, "cannot open the compute system of");
    }
    try {
      let process: HcsHandle;
      try {
        process = hcs.openProcess(system, pid);
      } catch (err: unknown) {
        if (isStopped(err)) throw gone(err);
        throw cannot(err, "cannot open");
      }
      try {
        if (action.kind === "terminate") hcs.terminateProcess(process);
        else hcs.signalProcess(process, action.options);
      } catch (err: unknown) {
        if (isStopped(err)) throw gone(err);
        // Process.Kill: TerminateProcess on a process that already exited fails with access denied.
        if (action.kind === "terminate" && err instanceof HcsError && err.code === HCS.ACCESS_DENIED) {
          throw gone(err);
        }
        throw cannot(err, action.kind === "terminate" ? "cannot terminate" : "cannot signal");
      } finally {
        closeQuietly(() => hcs.closeProcess(process));
      }
    } finally {
      closeQuietly(() => hcs.closeComputeSystem(system));
    }
  }

  #containerPid(target: ContainerProcessTarget, what: string): number {
    let pid: number | undefined;
    try {
      this.#state ??= new RunhcsRegistryState(this.#deps.registry());
      pid = this.#state.containerPid(target.root, target.containerId, target.helperPid);
    } catch (err: unknown) {
      throw new FailedPreconditionError(`cannot read runhcs state for ${what}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (pid === undefined) {
      throw new NotFoundError(
        `${what}: process already finished (no pid-${target.helperPid} in runhcs state)`,
      );
    }
    return pid;
  }

  #vmcompute(): Vmcompute {
    try {
      this.#hcs ??= this.#deps.vmcompute();
      return this.#hcs;
    } catch (err: unknown) {
      throw new FailedPreconditionError(
        `the Host Compute Service is not usable (vmcompute.dll could not be loaded: ${(err as Error).message})`,
        { cause: err },
      );
    }
  }
}

/** A failed close must not hide the call's own outcome (hcsshim ignores Close errors here as well). */
function closeQuietly(close: () => void): void {
  try {
    close();
  } catch {}
}
