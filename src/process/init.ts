import { initState } from "./init-state.js";
import type { ProcessState } from "./phase.js";
import { BaseProcess } from "./process.js";
import { type ExitResult, type InitOps, type ProcessStatus, signalExitStatus } from "./types.js";

/**
 * The container's init process. Its pid is runhcs's helper (which exits with the container's exit code);
 * signals reach the container by its id (runhcs kill), so a reaped helper pid is no hazard to it.
 */
export class InitProcess extends BaseProcess {
  readonly kind = "init";
  readonly noun = "task";
  readonly signalledByPid = false;
  readonly ops: InitOps;
  killedBeforeStart: number | undefined;

  constructor(id: string, pid: number, ops: InitOps) {
    super(id, pid);
    this.ops = ops;
    this.state = initState("created", this);
  }

  makeState(status: ProcessStatus): ProcessState {
    return initState(status, this);
  }

  pause(): Promise<void> {
    return this.mutex.run(() => this.state.pause());
  }

  resume(): Promise<void> {
    return this.mutex.run(() => this.state.resume());
  }

  /** The first exit counts; 128 + signal when Kill ended the process before it started. */
  override setExited(result: ExitResult): boolean {
    const signal = this.killedBeforeStart;
    return super.setExited(
      signal === undefined ? result : { ...result, exitStatus: signalExitStatus(signal) },
    );
  }
}
