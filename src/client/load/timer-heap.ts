/**
 * A binary min-heap of items keyed by a time, for the sessions waiting for their next record: one heap
 * and one timer for the whole generator instead of a timer per session.
 */
export class TimerHeap<T> {
  private readonly items: T[] = [];
  private readonly keys: number[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The earliest time, or Infinity when empty. */
  peekTime(): number {
    return this.keys.length ? this.keys[0]! : Infinity;
  }

  push(item: T, at: number): void {
    const items = this.items;
    const keys = this.keys;
    let i = items.length;
    items.push(item);
    keys.push(at);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent]! <= at) break;
      items[i] = items[parent]!;
      keys[i] = keys[parent]!;
      i = parent;
    }
    items[i] = item;
    keys[i] = at;
  }

  /** Removes and returns the earliest item (the caller checked size or peekTime). */
  pop(): T {
    const items = this.items;
    const keys = this.keys;
    const top = items[0]!;
    const lastItem = items.pop()!;
    const lastKey = keys.pop()!;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && keys[r]! < keys[l]! ? r : l;
        if (keys[c]! >= lastKey) break;
        items[i] = items[c]!;
        keys[i] = keys[c]!;
        i = c;
      }
      items[i] = lastItem;
      keys[i] = lastKey;
    }
    return top;
  }

  /** Removes every item, earliest first. */
  drain(): T[] {
    const out: T[] = [];
    while (this.items.length) out.push(this.pop());
    return out;
  }
}
