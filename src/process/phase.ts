import { AssertionError } from "node:assert";
import { FailedPreconditionError } from "../errdefs.js";

/** What a phase needs from its process: the current phase, and the side effect of deleting it. */
export interface PhaseHost<P> {
  state: P;
  readonly ops: { delete(): Promise<void> };
}

/** How a family of phases names itself and makes its phase objects. */
export interface PhaseFamily<S extends string, P, H> {
  /** `init` or `exec`, in assertion messages. */
  readonly kind: string;
  /** `task` or `process`, in the errors containerd sees ("cannot pause a created task"). */
  readonly noun: string;
  make(status: S, host: H): P;
}

/**
 * The mechanics every phase shares (containerd's `init_state.go` / `exec_state.go`): a whitelist of next
 * phases, refusal of the operations a phase does not allow, and deletion.
 */
export abstract class Phase<S extends string, P extends { readonly status: S }, H extends PhaseHost<P>> {
  abstract readonly status: S;
  /** The phases this one may move to. */
  protected abstract readonly next: readonly S[];

  constructor(
    protected readonly host: H,
    private readonly family: PhaseFamily<S, P, H>,
  ) {}

  /**
   * Moves the process on, unless an exit already did while the operation awaited runhcs (then the
   * exit's phase stands). An illegal target is a bug, not a user error.
   */
  protected transition(to: S): void {
    if (this.host.state !== (this as unknown)) return;
    if (!this.next.includes(to)) {
      throw new AssertionError({ message: `${this.family.kind}: ${this.status} -> ${to}` });
    }
    this.host.state = this.family.make(to, this.host);
  }

  protected refuse(op: string): Promise<never> {
    return Promise.reject(new FailedPreconditionError(`cannot ${op} a ${this.status} ${this.family.noun}`));
  }

  /** Deletion is terminal and also follows an exit that happened while runhcs deleted. */
  protected async deleteFromHere(deleted: S, stopped: S): Promise<void> {
    await this.host.ops.delete();
    if (this.host.state === (this as unknown) || this.host.state.status === stopped) {
      this.host.state = this.family.make(deleted, this.host);
    }
  }
}
