import { execState } from "./exec-state.js";
import type { ProcessState } from "./phase.js";
import { BaseProcess } from "./process.js";
import type { ExecOps, ProcessStatus } from "./types.js";

/**
 * An extra process in the container (Exec RPC). Its pid (runhcs's helper for it, 0 until started) is how
 * signals reach it, so once its exit is observed it is signalled no more.
 */
export class ExecProcess extends BaseProcess {
  readonly kind = "exec";
  readonly noun = "process";
  readonly signalledByPid = true;
  readonly ops: ExecOps;

  constructor(id: string, ops: ExecOps) {
    super(id, 0);
    this.ops = ops;
    this.state = execState("created", this);
  }

  makeState(status: ProcessStatus): ProcessState {
    return execState(status, this);
  }

  /** Kill; a created exec whose start is in flight is killed once that start has settled. */
  override kill(signal: number, all = false): Promise<void> {
    if (this.state.status === "created") return this.mutex.run(() => this.state.kill(signal, all));
    return super.kill(signal, all);
  }
}
