/**
 * What a benchmark module hands back to bench/run.ts, and how it is printed: a table of measured cases,
 * the ratios that a requirement is judged on (each PASS or FAIL), and notes that explain the figures.
 */

export interface BenchOptions {
  sampleMs: number;
  warmupMs: number;
  repeats: number;
}

/** One benchmark that bench/run.ts can run: `--only <name>` selects it. */
export interface BenchModule {
  name: string;
  /** One line for `--help`. */
  description: string;
  run(opts: BenchOptions): Promise<BenchReport> | BenchReport;
}

export interface BenchReport {
  title: string;
  /** The table: a header row, then one row per case; cells are already formatted. */
  table: string[][];
  /** Requirements judged in this run. */
  checks: Check[];
  /** Free text printed under the table (what could not be measured, and why). */
  notes: string[];
}

export interface Check {
  label: string;
  /** The measured figure, e.g. a ratio. */
  value: number;
  /** The figure it must reach (value ≥ need passes). */
  need: number;
  unit: string;
  /** Printed after the verdict, e.g. the same ratio measured another way. */
  aside?: string;
}

export function passed(c: Check): boolean {
  return c.value >= c.need;
}

/** Right-aligns cells that look like numbers, left-aligns the rest. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const numeric = (s: string) => /^[-+]?[\d,.]+\s*[×%µa-z/]*$/i.test(s) || s === '—';
  return rows
    .map((r, ri) =>
      r
        .map((cell, i) => (ri > 0 && numeric(cell) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatCheck(c: Check): string {
  const aside = c.aside ? `; ${c.aside}` : '';
  return `${passed(c) ? 'PASS' : 'FAIL'}  ${c.label}: ${fmtRatio(c.value)}${c.unit} (need ≥ ${c.need}${c.unit}${aside})`;
}

/** 1234567 → "1,234,567". */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Three significant figures, no exponent. */
export function fmtRatio(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n >= 100) return fmtInt(n);
  return n.toPrecision(3);
}
