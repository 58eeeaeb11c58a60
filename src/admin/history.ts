/**
 * Traffic over the last minutes for the dashboard's charts: once a second the metrics' totals are read
 * and the difference with the previous reading becomes one sample (messages per second in and out,
 * answers per second by Result-Code, answer latency quantiles). The server keeps the samples so that a
 * page opened now draws the last ten minutes at once.
 */
import { LATENCY_BUCKETS, type AdminMetrics, type TrafficTotals } from './metrics.js';

export interface Sample {
  /** End of the interval, ms since the epoch. */
  t: number;
  /** Messages per second received and sent. */
  rx: number;
  tx: number;
  /** Answers sent per second, by Result-Code. */
  rc: Record<string, number>;
  /** Server-side answer latency of the interval, seconds (null: no answer in it). */
  p50: number | null;
  p99: number | null;
}

export interface HistoryOptions {
  intervalMs?: number;
  /** Samples kept (default 600: ten minutes at one a second). */
  keep?: number;
}

export class TrafficHistory {
  private readonly intervalMs: number;
  private readonly keep: number;
  private readonly ring: Sample[] = [];
  private last: TrafficTotals;
  private lastAt: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(s: Sample) => void>();

  constructor(
    private readonly metrics: AdminMetrics,
    opts: HistoryOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.keep = opts.keep ?? 600;
    this.last = metrics.totals();
    this.lastAt = Date.now();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  samples(): Sample[] {
    return [...this.ring];
  }

  onSample(fn: (s: Sample) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Takes one sample now (the timer calls this; tests may too). */
  sample(): Sample {
    const now = Date.now();
    const cur = this.metrics.totals();
    const secs = Math.max(0.001, (now - this.lastAt) / 1000);
    const rc: Record<string, number> = {};
    for (const [code, n] of cur.answersSent) {
      const d = n - (this.last.answersSent.get(code) ?? 0);
      if (d > 0) rc[String(code)] = round(d / secs);
    }
    const lat = new Float64Array(cur.latency.length);
    for (let i = 0; i < lat.length; i++) lat[i] = cur.latency[i]! - (this.last.latency[i] ?? 0);
    const s: Sample = {
      t: now,
      rx: round((cur.received - this.last.received) / secs),
      tx: round((cur.sent - this.last.sent) / secs),
      rc,
      p50: quantile(lat, 0.5),
      p99: quantile(lat, 0.99),
    };
    this.last = cur;
    this.lastAt = now;
    this.ring.push(s);
    if (this.ring.length > this.keep) this.ring.splice(0, this.ring.length - this.keep);
    for (const fn of this.listeners) fn(s);
    return s;
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * The q-quantile of observations counted per bucket (bounds LATENCY_BUCKETS, last slot +Inf), by linear
 * interpolation inside the bucket it falls in (as PromQL's histogram_quantile does).
 */
export function quantile(counts: Float64Array, q: number): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (total <= 0) return null;
  const rank = q * total;
  let acc = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (acc + c >= rank && c > 0) {
      if (i >= LATENCY_BUCKETS.length) return LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1]!;
      const lo = i === 0 ? 0 : LATENCY_BUCKETS[i - 1]!;
      const hi = LATENCY_BUCKETS[i]!;
      return lo + (hi - lo) * ((rank - acc) / c);
    }
    acc += c;
  }
  return LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1]!;
}
