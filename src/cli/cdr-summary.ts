/**
 * `diamkit cdrs summary`: what the CDF made of the traffic a tester sent, on one screen — how many
 * records, of which kind and RecordType, closed for which cause (named in the numbering of the record's
 * kind), carrying which anomalies (docs/cdr.md, "Record numbers, duplicates and anomalies"), and the span
 * of their closing times. Counted over a stream of CDRs (the store's exportCdrs), so memory holds only the
 * counters, whatever the number of rows.
 */
import type { Cdr, CdrKind } from '../cdf/store.js';
import { closingCauseName, recordTypeName } from './cdr-code-names.js';
import { isoCell, textTable } from './text-table.js';

export interface CdrSummary {
  total: number;
  /** Records whose `anomalies` is empty. */
  withoutAnomalies: number;
  /** Earliest and latest recordClosingTime; null without records. */
  firstClosing: Date | null;
  lastClosing: Date | null;
  byKind: { kind: CdrKind; recordType: number | null; recordTypeName: string | null; records: number }[];
  byCause: { kind: CdrKind; cause: number; causeName: string | null; records: number }[];
  /** Each anomaly and the number of records that carry it (a record counts once per name). */
  byAnomaly: { anomaly: string; records: number }[];
}

/** Increments the count under `key`, creating the entry with `init` the first time. */
function bump<T extends { records: number }>(m: Map<string, T>, key: string, init: () => T): void {
  const e = m.get(key);
  if (e) e.records++;
  else m.set(key, { ...init(), records: 1 });
}

const byKindThen =
  <T extends { kind: string }>(n: (x: T) => number) =>
  (a: T, b: T) =>
    a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : n(a) - n(b);

export async function summarize(cdrs: AsyncIterable<Cdr>): Promise<CdrSummary> {
  let total = 0;
  let withoutAnomalies = 0;
  let first: Date | null = null;
  let last: Date | null = null;
  const kinds = new Map<string, CdrSummary['byKind'][number]>();
  const causes = new Map<string, CdrSummary['byCause'][number]>();
  const anomalies = new Map<string, CdrSummary['byAnomaly'][number]>();
  for await (const c of cdrs) {
    total++;
    const closed = c.recordClosingTime;
    if (first === null || closed < first) first = closed;
    if (last === null || closed > last) last = closed;
    const recordType = c.recordType ?? null;
    bump(kinds, `${c.kind}\0${recordType}`, () => ({
      kind: c.kind,
      recordType,
      recordTypeName: recordTypeName(c.recordType) ?? null,
      records: 0,
    }));
    const cause = c.causeForRecordClosing;
    bump(causes, `${c.kind}\0${cause}`, () => ({
      kind: c.kind,
      cause,
      causeName: closingCauseName(c.kind, cause) ?? null,
      records: 0,
    }));
    if (c.anomalies.length === 0) withoutAnomalies++;
    for (const a of new Set(c.anomalies)) bump(anomalies, a, () => ({ anomaly: a, records: 0 }));
  }
  return {
    total,
    withoutAnomalies,
    firstClosing: first,
    lastClosing: last,
    byKind: [...kinds.values()].sort(byKindThen((x) => x.recordType ?? -1)),
    byCause: [...causes.values()].sort(byKindThen((x) => x.cause)),
    // The most frequent first: what went wrong most is what the tester looks at.
    byAnomaly: [...anomalies.values()].sort(
      (a, b) => b.records - a.records || (a.anomaly < b.anomaly ? -1 : a.anomaly > b.anomaly ? 1 : 0),
    ),
  };
}

const numbered = (n: number | null, name: string | null) =>
  n === null ? '-' : name === null ? String(n) : `${n} ${name}`;

export function summaryTable(s: CdrSummary): string {
  const parts = [
    textTable(
      ['CDRs', String(s.total)],
      [
        ['with anomalies', String(s.total - s.withoutAnomalies)],
        ['without anomalies', String(s.withoutAnomalies)],
        ['first closed', isoCell(s.firstClosing ?? undefined) || '-'],
        ['last closed', isoCell(s.lastClosing ?? undefined) || '-'],
      ],
    ),
  ];
  if (s.total > 0) {
    parts.push(
      textTable(
        ['KIND', 'RECORD TYPE', 'RECORDS'],
        s.byKind.map((k) => [k.kind, numbered(k.recordType, k.recordTypeName), String(k.records)]),
      ),
      textTable(
        ['KIND', 'CLOSING CAUSE', 'RECORDS'],
        s.byCause.map((c) => [c.kind, numbered(c.cause, c.causeName), String(c.records)]),
      ),
    );
  }
  if (s.byAnomaly.length > 0)
    parts.push(
      textTable(
        ['ANOMALY', 'RECORDS'],
        s.byAnomaly.map((a) => [a.anomaly, String(a.records)]),
      ),
    );
  return parts.join('\n');
}
