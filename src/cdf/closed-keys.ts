/**
 * The record numbers of closed sessions and EVENTs, remembered for duplicate detection (RFC 6733 §9.6,
 * accounting-rf.md §1.6, §5.2 "keep the duplicate key for the dedup window"): a STOP or EVENT sent again
 * after its CDR was written is answered again, not turned into a second CDR.
 *
 * Bounded both ways: a key is forgotten once older than the window, and the oldest go first past the limit.
 * What is forgotten is let go of, or a CDF that closed a million sessions holds a million keys (the
 * memory-after-stops bench line).
 */

/** What is remembered of one closed key. */
export interface ClosedKey {
  /** Highest Accounting-Record-Number seen. */
  max: number;
  /** Numbers below `max` never seen (a later copy of one is new, not a duplicate). */
  missing: readonly number[];
  /** ms since the epoch (CDF clock) when the key was closed. */
  at: number;
}

const NONE: readonly number[] = Object.freeze([]);

export class ClosedKeys {
  readonly #byKey = new Map<string, ClosedKey>();
  /**
   * Every key remembered, oldest first, read from `#head` (the DuplicateCache way: walking the Map from
   * its start would skip every hole its deletes left, on each close). A slot whose key was closed again,
   * or dropped, no longer matches the Map and is skipped.
   */
  #keys: (string | undefined)[] = [];
  #entries: (ClosedKey | undefined)[] = [];
  #head = 0;

  /**
   * @param windowSeconds how long a key is remembered
   * @param limit at most this many keys are remembered
   */
  constructor(
    private readonly windowSeconds: number,
    private readonly limit: number,
  ) {}

  get size(): number {
    return this.#byKey.size;
  }

  /** Slots of the eviction queue still holding a key (tests: what is forgotten is released). */
  get queued(): number {
    let n = 0;
    for (let i = this.#head; i < this.#keys.length; i++) if (this.#keys[i] !== undefined) n++;
    return n;
  }

  get(key: string): ClosedKey | undefined {
    return this.#byKey.get(key);
  }

  delete(key: string): void {
    this.#byKey.delete(key);
  }

  /** Remembers `key` as closed at `at` with these record numbers; forgets what is now too old or too many. */
  remember(key: string, numbers: { max: number; missing: readonly number[] }, at: number): void {
    const entry: ClosedKey = {
      max: numbers.max,
      missing: numbers.missing.length ? [...numbers.missing] : NONE,
      at,
    };
    this.#byKey.set(key, entry);
    this.#keys.push(key);
    this.#entries.push(entry);
    const windowMs = this.windowSeconds * 1000;
    let h = this.#head;
    while (h < this.#keys.length) {
      const k = this.#keys[h]!;
      const c = this.#entries[h]!;
      if (this.#byKey.get(k) === c) {
        if (this.#byKey.size > this.limit || at - c.at > windowMs) this.#byKey.delete(k);
        else break;
      }
      // Let go of what was passed at once: until the queue is next compacted (below) these slots would
      // otherwise keep up to as many forgotten keys alive as the limit allows remembered ones.
      this.#keys[h] = undefined;
      this.#entries[h] = undefined;
      h++;
    }
    this.#head = h;
    if (h > 1024 && h * 2 > this.#keys.length) {
      this.#keys = this.#keys.slice(h);
      this.#entries = this.#entries.slice(h);
      this.#head = 0;
    }
  }

  /** §5.3 / RFC 6733 §9.6: whether record number `n` was already seen for the closed key (at time `at`, ms). */
  isDuplicate(key: string, n: number, at: number): boolean {
    const c = this.#byKey.get(key);
    if (!c) return false;
    if (at - c.at > this.windowSeconds * 1000) {
      this.#byKey.delete(key);
      return false;
    }
    return n <= c.max && !c.missing.includes(n);
  }
}
