/**
 * How far V8 lets the JavaScript heap grow past what is live before a full collection.
 *
 * A CDF holds state in proportion to its open sessions (about 1 KB each, src/cdf/session-manager.ts),
 * and every STOP turns a session's state, and the CDR built from it, into old-generation garbage. V8's
 * own heuristic lets that garbage grow to 1.5–4× the live heap before collecting it: with 200,000 open
 * sessions closed in a burst, the server's RSS rose from 395 to 645–959 MiB and stayed at 512–758 MiB
 * once idle. Capping the growth at 20 % of the live heap gave a peak of 429 MiB (docs/perf.md, "memory"),
 * at the cost of more frequent full collections.
 *
 * Those cost CPU while the heap is small, and buy nothing there: with a few thousand sessions open (the
 * load benchmark) the cap took ~6 µs per ACR (12 %) for a heap of 60 MB. So the cap applies only while
 * the live heap is large (LARGE_HEAP_BYTES), checked once a second; below it V8 decides.
 * `--heap-growing-percent` is read each time V8 sets its next limit, so changing it at run time takes
 * effect at the next collection.
 */
import v8 from 'node:v8';

/** The default cap: the old generation may grow 20 % past the live heap. */
export const DEFAULT_HEAP_GROWTH_PERCENT = 20;

/** The live heap from which the cap applies. */
export const LARGE_HEAP_BYTES = 256 * 1024 * 1024;

export interface HeapGrowthOptions {
  /** Whole percent; 0 leaves V8's own heuristic at every size. */
  percent?: number;
  /** Live heap bytes (default: v8.getHeapStatistics().used_heap_size). */
  used?: () => number;
  /** Sets the V8 flag (default: v8.setFlagsFromString). */
  setFlag?: (flag: string) => void;
}

/** Turns the cap on above LARGE_HEAP_BYTES of live heap and off below it. */
export class HeapGrowthLimit {
  readonly percent: number;
  #capped = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: HeapGrowthOptions = {}) {
    const percent = opts.percent ?? DEFAULT_HEAP_GROWTH_PERCENT;
    if (!Number.isInteger(percent) || percent < 0) throw new RangeError(`heap growth: expected a whole percent >= 0, got ${percent}`);
    this.percent = percent;
  }

  /** Whether the cap is in force now. */
  get capped(): boolean {
    return this.#capped;
  }

  /** One check (the timer's; public so tests drive it). */
  check(): void {
    if (this.percent === 0) return;
    const used = (this.opts.used ?? (() => v8.getHeapStatistics().used_heap_size))();
    const large = used >= LARGE_HEAP_BYTES;
    if (large === this.#capped) return;
    this.#capped = large;
    // 0 is V8's "not set": its own heuristic again.
    (this.opts.setFlag ?? v8.setFlagsFromString)(`--heap-growing-percent=${large ? this.percent : 0}`);
  }

  start(everyMs = 1000): void {
    if (this.#timer || this.percent === 0) return;
    this.check();
    this.#timer = setInterval(() => this.check(), everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
