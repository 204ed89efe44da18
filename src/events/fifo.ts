/**
 * A first-in first-out list with O(1) amortised push and shift, whose items may turn stale (delivered or
 * dropped) anywhere in the list: stale items are skipped at the front and swept out once they outnumber
 * the live ones, so the list never grows past about twice its live items.
 */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  constructor(
    readonly isStale: (item: T) => boolean,
    /** Most live items the list will ever hold (the queue's bound): sweeps are amortised against it. */
    readonly liveBound: number,
  ) {}

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
    if (this.length > 2 * this.liveBound + 64) this.#sweep();
  }

  /** The item `i` places from the front (stale or not). */
  at(i: number): T | undefined {
    return this.#items[this.#head + i];
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes the second item, keeping the first in place. */
  removeSecond(): void {
    if (this.length < 2) return;
    this.#items[this.#head + 1] = this.#items[this.#head];
    this.shift();
  }

  /**
   * The oldest item `usable` accepts, removing stale items on the way. Items it refuses (at most one:
   * the event in flight) are stepped over, not removed.
   */
  firstUsable(usable: (item: T) => boolean): T | undefined {
    for (;;) {
      const first = this.at(0);
      if (first === undefined) return undefined;
      if (this.isStale(first)) {
        this.shift();
        continue;
      }
      if (usable(first)) return first;
      const second = this.at(1);
      if (second === undefined) return undefined;
      if (this.isStale(second)) {
        this.removeSecond();
        continue;
      }
      return usable(second) ? second : undefined;
    }
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }

  #sweep(): void {
    const live: T[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i] as T;
      if (!this.isStale(item)) live.push(item);
    }
    this.#items = live;
    this.#head = 0;
  }
}
