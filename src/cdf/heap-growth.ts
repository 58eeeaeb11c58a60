/**
 * How far V8 lets the JavaScript heap grow past what is live before a full collection.
 *
 * A CDF holds state in proportion to its open sessions (about 1 KB each, src/cdf/session-manager.ts),
 * and every STOP turns a session's state, and the CDR built from it, into old-generation garbage. V8's
 * own heuristic lets that garbage grow to 1.5–4× the live heap before collecting it: with 200,000 open
 * sessions closed in a burst, the server's RSS rose from 395 to 645–959 MiB and stayed at 512–758 MiB
 * once idle. Capping the growth at 20 % of the live heap gave a peak of 429 MiB and 242 MiB once idle
 * (docs/perf.md, "memory"), at the cost of more frequent full collections, which are cheap while the
 * live heap is small. `--heap-growing-percent` is read each time V8 sets its next limit, so setting it
 * at start-up, before the heap grows, is enough.
 */
import v8 from 'node:v8';

/** The default cap: the old generation may grow 20 % past the live heap. */
export const DEFAULT_HEAP_GROWTH_PERCENT = 20;

/** Applies the cap to this process; 0 leaves V8's own heuristic. */
export function limitHeapGrowth(percent: number = DEFAULT_HEAP_GROWTH_PERCENT): void {
  if (!Number.isInteger(percent) || percent < 0) throw new RangeError(`heap growth: expected a whole percent >= 0, got ${percent}`);
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
