/**
 * Supervision deadlines of the open sessions (accounting-rf.md §5.5), filed by the second they fall in, so
 * a supervision tick looks only at the sessions whose deadline has come instead of at every open session:
 * with a million open sessions a full scan took ~30 ms of every second (a core 3 % busy while idle).
 *
 * Each item is in at most one bucket, the one of the deadline it was filed with; the caller files it again
 * when the deadline moves (an INTERIM) and takes it out when the session ends, so the index holds no
 * closed session and a burst of STOPs leaves it empty.
 */

/** Seconds of the buckets, smallest first (a binary min-heap, one entry per bucket). */
class SecondHeap {
  readonly #a: number[] = [];

  get size(): number {
    return this.#a.length;
  }

  peek(): number | undefined {
    return this.#a[0];
  }

  push(v: number): void {
    const a = this.#a;
    let i = a.push(v) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= v) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = v;
  }

  pop(): void {
    const a = this.#a;
    const last = a.pop()!;
    if (a.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const c = l + 1 < a.length && a[l + 1]! < a[l]! ? l + 1 : l;
      if (a[c]! >= last) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
  }
}

export class DeadlineIndex<T> {
  readonly #buckets = new Map<number, Set<T>>();
  readonly #seconds = new SecondHeap();
  #size = 0;

  /** Items filed. */
  get size(): number {
    return this.#size;
  }

  /** Seconds with a bucket, emptied ones included until they come due. */
  get buckets(): number {
    return this.#buckets.size;
  }

  /** Files `item` under the deadline `ms` (ms since the epoch). */
  add(item: T, ms: number): void {
    const sec = Math.floor(ms / 1000);
    let b = this.#buckets.get(sec);
    if (!b) {
      b = new Set();
      this.#buckets.set(sec, b);
      this.#seconds.push(sec);
    }
    const before = b.size;
    b.add(item);
    this.#size += b.size - before;
  }

  /** Takes `item` out of the bucket of `ms`, the deadline it was filed with. */
  delete(item: T, ms: number): void {
    const sec = Math.floor(ms / 1000);
    const b = this.#buckets.get(sec);
    if (!b?.delete(item)) return;
    this.#size--;
    // An emptied bucket stays until its second comes due: deleting it would push its second on the heap
    // once more each time a session of that second opens again (a START and STOP in the same second, a
    // thousand times over). An empty Set is small: V8 shrinks its table as it empties.
  }

  /** Files `item` again when its deadline moves from `from` to `to` (either undefined: none). */
  move(item: T, from: number | undefined, to: number | undefined): void {
    if (from !== undefined && to !== undefined && Math.floor(from / 1000) === Math.floor(to / 1000)) return;
    if (from !== undefined) this.delete(item, from);
    if (to !== undefined) this.add(item, to);
  }

  /**
   * Takes out and returns every item filed up to now's second (`now` in ms). Those of now's own second may
   * still be a few ms early: the caller files again (add) any whose deadline is still ahead.
   */
  take(now: number): T[] {
    const nowSec = Math.floor(now / 1000);
    const out: T[] = [];
    for (let sec = this.#seconds.peek(); sec !== undefined && sec <= nowSec; sec = this.#seconds.peek()) {
      this.#seconds.pop();
      const b = this.#buckets.get(sec)!;
      this.#buckets.delete(sec);
      this.#size -= b.size;
      for (const item of b) out.push(item);
    }
    return out;
  }
}
