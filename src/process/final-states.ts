import { NotFoundError } from "../errdefs.js";
import { Phase } from "./phase.js";

/**
 * The phases after a recorded exit, the same for the init and for an exec (containerd's runc shim shares
 * its `deletedState` the same way, `deleted_state.go`): what differs by kind is only the noun of the
 * refusals ("cannot start a stopped task" / "process"), which the host gives.
 */

/** Exited and reported: Wait returns, State shows the exit; only Delete moves on. */
export class StoppedState extends Phase {
  readonly status = "stopped";
  override readonly live = false;
  protected readonly next = ["deleted"] as const;
  kill(): Promise<void> {
    return Promise.reject(new NotFoundError("process already finished"));
  }
  override delete(): Promise<void> {
    return this.deleteFromHere();
  }
  override exitObserved(): void {}
  override exited(): void {}
}

/** Deleted: gone for every operation. */
export class DeletedState extends Phase {
  readonly status = "deleted";
  override readonly live = false;
  protected readonly next = [] as const;
  kill(): Promise<void> {
    return Promise.reject(new NotFoundError("cannot kill a deleted process"));
  }
  override delete(): Promise<void> {
    return Promise.reject(new NotFoundError("cannot delete a deleted process"));
  }
  override exitObserved(): void {}
  override exited(): void {}
}
