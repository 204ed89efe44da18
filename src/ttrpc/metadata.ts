/**
 * ttrpc request metadata: an ordered multimap of string headers.
 *
 * On the wire metadata is a list of `KeyValue` entries where one key may repeat (Go's `MD` is
 * `map[string][]string` and sends each value as its own entry). Keys are lower-cased like Go's MD
 * helpers so lookups are case-insensitive; entry order is preserved both ways.
 */
export class Metadata {
  readonly #entries: [string, string][] = [];

  constructor(init?: Iterable<readonly [string, string]>) {
    if (init) for (const [k, v] of init) this.#entries.push([k.toLowerCase(), v]);
  }

  /** The first value for `key`, if any. */
  get(key: string): string | undefined {
    const k = key.toLowerCase();
    for (const e of this.#entries) if (e[0] === k) return e[1];
    return undefined;
  }

  /** Every value for `key`, in order. */
  getAll(key: string): string[] {
    const k = key.toLowerCase();
    const out: string[] = [];
    for (const e of this.#entries) if (e[0] === k) out.push(e[1]);
    return out;
  }

  /** Replaces all values for `key` with `value`. */
  set(key: string, value: string): void {
    this.delete(key);
    this.#entries.push([key.toLowerCase(), value]);
  }

  /** Adds a value for `key` after the existing ones. */
  append(key: string, value: string): void {
    this.#entries.push([key.toLowerCase(), value]);
  }

  /** Removes every value for `key`. */
  delete(key: string): void {
    const k = key.toLowerCase();
    const es = this.#entries;
    let w = 0;
    for (let r = 0; r < es.length; r++) if (es[r]![0] !== k) es[w++] = es[r]!;
    es.length = w;
  }

  /** Number of entries (values), not distinct keys. */
  get size(): number {
    return this.#entries.length;
  }

  /** Entries in order, as fresh `[key, value]` pairs. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (const [k, v] of this.#entries) yield [k, v];
  }
}
