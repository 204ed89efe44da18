import type { Member } from "./members.js";

/**
 * The execs of a task by exec id. An Exec takes its id at once (`reserve`, before any await), so a second
 * Exec of the same id is refused while the first still writes its spec and opens its stdio; lookups and
 * iteration see an exec only once it is added.
 */
export class ExecTable {
  // Guarded by the event loop: ids are reserved synchronously before any await.
  readonly #added = new Map<string, Member>();
  readonly #reserved = new Set<string>();

  /** Whether `execId` is taken: by an exec, or by an Exec in progress. */
  has(execId: string): boolean {
    return this.#added.has(execId) || this.#reserved.has(execId);
  }

  reserve(execId: string): void {
    this.#reserved.add(execId);
  }

  /** The Exec in progress failed: its id is free again. */
  unreserve(execId: string): void {
    this.#reserved.delete(execId);
  }

  /** The Exec in progress succeeded. */
  add(member: Member): void {
    this.#reserved.delete(member.execId);
    this.#added.set(member.execId, member);
  }

  get(execId: string): Member | undefined {
    return this.#added.get(execId);
  }

  remove(execId: string): void {
    this.#added.delete(execId);
  }

  values(): Member[] {
    return [...this.#added.values()];
  }
}
