import { AssertionError } from "node:assert";
import { DeletedState, StoppedState } from "./final-states.js";
import { Phase, type ProcessState, type StateHost } from "./phase.js";
import {
  type ExecOps,
  type ExitResult,
  type ProcessStatus,
  signalExitStatus,
  UNKNOWN_EXIT_STATUS,
} from "./types.js";

/** What an exec phase needs from its process, beyond what every phase needs. */
export interface ExecHost extends StateHost {
  readonly ops: ExecOps;
  /** Records the exit (the first one counts), releasing the waiters. */
  setExited(result: ExitResult): boolean;
}

/**
 * A created exec never ran, so no exit of its own will ever come: whatever ends it here records its exit,
 * or a Wait on it would never return.
 */
class ExecCreatedState extends Phase<ExecHost> {
  readonly status = "created";
  protected readonly next = ["running", "stopped", "deleted"] as const;
  /** A failed runhcs exec ends the exec with 255 (containerd's runc shim closes its waitBlock then). */
  override async start(): Promise<number> {
    let pid: number;
    try {
      pid = await this.host.ops.start();
    } catch (err: unknown) {
      this.host.setExited({ exitStatus: UNKNOWN_EXIT_STATUS, exitedAt: new Date() });
      throw err;
    }
    this.transition("running");
    return pid;
  }
  /** Nothing to signal: the exec ends as killed by `signal` (it can no longer be started). */
  async kill(signal: number): Promise<void> {
    this.host.setExited({ exitStatus: signalExitStatus(signal), exitedAt: new Date() });
  }
  override delete(): Promise<void> {
    this.host.setExited({ exitStatus: UNKNOWN_EXIT_STATUS, exitedAt: new Date() });
    return this.deleteFromHere();
  }
}

class ExecRunningState extends Phase<ExecHost> {
  readonly status = "running";
  protected readonly next = ["stopped"] as const;
  kill(signal: number): Promise<void> {
    return this.host.ops.kill(signal);
  }
}

/** The phase object of `status` for an exec process (which cannot be paused on its own). */
export function execState(status: ProcessStatus, host: ExecHost): ProcessState {
  switch (status) {
    case "created":
      return new ExecCreatedState(host);
    case "running":
      return new ExecRunningState(host);
    case "stopped":
      return new StoppedState(host);
    case "deleted":
      return new DeletedState(host);
    case "paused":
      throw new AssertionError({ message: "exec: an exec process has no paused phase" });
  }
}
