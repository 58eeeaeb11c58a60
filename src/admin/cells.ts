/**
 * Label cells: the per-message metrics keep plain numbers in objects the hot path holds on to, and
 * prom-client reads them only when /metrics is scraped. prom-client's own label children hash and check
 * their labels on every inc()/observe() (about 0.7 µs and 1 µs here), a tenth of the CPU a whole ACR may
 * cost (DESIGN.md, performance habits); a cell increment is a property write.
 */
import { Counter, Histogram, type MetricType, type Registry } from 'prom-client';

export type Labels = Record<string, string>;

export interface CountCell {
  readonly labels: Labels;
  n: number;
}

export interface HistogramCell {
  readonly labels: Labels;
  /** Observations per bucket (not cumulative); the last slot is above the highest bound (+Inf). */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** Cells by a key the caller builds; at most `limit` distinct ones, then everything new shares `overflow`. */
class CellTable<C extends { labels: Labels }> {
  readonly cells = new Map<string, C>();
  private overflowCell: C | undefined;

  constructor(
    private readonly make: (labels: Labels) => C,
    private readonly limit: number,
    private readonly overflowLabels: Labels,
  ) {}

  get(key: string, labels: () => Labels): C {
    let c = this.cells.get(key);
    if (c) return c;
    if (this.cells.size >= this.limit) {
      // A peer inventing Origin-Hosts or Result-Codes must not grow the scrape without bound.
      return (this.overflowCell ??= this.make(this.overflowLabels));
    }
    c = this.make(labels());
    this.cells.set(key, c);
    return c;
  }

  *all(): IterableIterator<C> {
    yield* this.cells.values();
    if (this.overflowCell) yield this.overflowCell;
  }
}

/** A Prometheus counter whose series are count cells. */
export class CellCounter {
  private readonly table: CellTable<CountCell>;

  constructor(registry: Registry, name: string, help: string, labelNames: string[], limit: number) {
    const overflow = Object.fromEntries(labelNames.map((l) => [l, 'other']));
    this.table = new CellTable((labels) => ({ labels, n: 0 }), limit, overflow);
    const table = this.table;
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      // Runs on each scrape: the series are rebuilt from the cells (reset + inc is prom-client's public way).
      collect() {
        this.reset();
        for (const c of table.all()) this.inc(c.labels, c.n);
      },
    });
  }

  cell(key: string, labels: () => Labels): CountCell {
    return this.table.get(key, labels);
  }

  cells(): IterableIterator<CountCell> {
    return this.table.all();
  }
}

/**
 * A Prometheus histogram whose series are histogram cells. prom-client has no public way to hand it
 * bucket counts, so this subclass answers the registry's read itself, in the shape Histogram.get()
 * documents (`{ labels, value, metricName }` per line); test/admin/metrics.test.ts parses the result.
 */
export class CellHistogram extends Histogram<string> {
  readonly bounds: number[];
  private readonly table: CellTable<HistogramCell>;

  constructor(
    registry: Registry,
    private readonly metricName: string,
    private readonly metricHelp: string,
    labelNames: string[],
    buckets: number[],
    limit: number,
  ) {
    super({ name: metricName, help: metricHelp, labelNames, buckets, registers: [registry] });
    this.bounds = [...buckets].sort((a, b) => a - b);
    const n = this.bounds.length + 1;
    const overflow = Object.fromEntries(labelNames.map((l) => [l, 'other']));
    this.table = new CellTable(
      (labels) => ({ labels, counts: new Float64Array(n), sum: 0, count: 0 }),
      limit,
      overflow,
    );
  }

  cell(key: string, labels: () => Labels): HistogramCell {
    return this.table.get(key, labels);
  }

  cells(): IterableIterator<HistogramCell> {
    return this.table.all();
  }

  /** Records one value (seconds) in a cell. */
  record(c: HistogramCell, v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    c.counts[i]!++;
    c.sum += v;
    c.count++;
  }

  override async get(): Promise<Awaited<ReturnType<Histogram<string>['get']>>> {
    return this.read();
  }

  /** What prom-client's Registry calls when it has it (instead of get()). */
  async getForPromString(): Promise<Awaited<ReturnType<Histogram<string>['get']>>> {
    return this.read();
  }

  private read(): Awaited<ReturnType<Histogram<string>['get']>> {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const c of this.table.all()) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += c.counts[i]!;
        values.push({
          labels: { ...c.labels, le: this.bounds[i]! },
          value: acc,
          metricName: `${this.metricName}_bucket`,
        });
      }
      values.push({
        labels: { ...c.labels, le: '+Inf' },
        value: c.count,
        metricName: `${this.metricName}_bucket`,
      });
      values.push({ labels: c.labels, value: c.sum, metricName: `${this.metricName}_sum` });
      values.push({ labels: c.labels, value: c.count, metricName: `${this.metricName}_count` });
    }
    return {
      name: this.metricName,
      help: this.metricHelp,
      type: 'histogram' as unknown as MetricType,
      values,
      aggregator: 'sum',
      collect: undefined as never,
    };
  }
}
