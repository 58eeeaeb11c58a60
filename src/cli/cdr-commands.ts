/**
 * `diamkit cdrs list`, `diamkit cdrs export`, `diamkit cdrs summary` and `diamkit sessions`: read the store
 * that `diamkit serve` writes (a SQLite file, or PostgreSQL with a postgres:// URL; src/cdf/open-store.ts)
 * and print CDRs, their summary (cdr-summary.ts) or open accounting sessions. Thin: the store does the
 * querying; this file only formats. The CDR filter options are cdr-filter-options.ts.
 * docs/cdr.md describes every CDR field these commands print.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { DiameterError } from '../codec/errors.js';
import { DEFAULT_STORE_PATH, isPostgresUrl, openStore } from '../cdf/open-store.js';
import type { AccountingSession, Cdr, CdrStore } from '../cdf/store.js';
import { addCdrFilterOptions, cdrFilter, type CdrFilterOptions } from './cdr-filter-options.js';
import { summarize, summaryTable } from './cdr-summary.js';
import { CliError } from './io.js';
import { oneOf, positiveInt } from './option-values.js';
import { isoCell as iso, textTable } from './text-table.js';

const RECORD_TYPE_NAMES: Record<number, string> = { 1: 'EVENT', 2: 'START', 3: 'INTERIM', 4: 'STOP' };

/** JSON text of a store record: Dates as ISO 8601, bigint as its decimal string. */
export function recordJson(v: unknown, indent?: number): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), indent);
}

/**
 * Opens the store for reading. A SQLite path that does not exist is refused rather than created empty:
 * the user most likely meant another file (or the server has not run yet).
 */
async function withStore<T>(location: string, fn: (s: CdrStore) => Promise<T>): Promise<T> {
  if (
    !isPostgresUrl(location) &&
    location !== ':memory:' &&
    !location.startsWith('file:') &&
    !existsSync(location)
  ) {
    throw new CliError(
      `--store: no CDR store at ${location} (run \`diamkit serve --store ${location}\` first, or give --store PATH|postgres://URL)`,
    );
  }
  const store = await openStore(location);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// plain-text tables

function served(c: Cdr): string {
  return c.servedParty.map((p) => p.data).join(',');
}

export function cdrTable(cdrs: Cdr[]): string {
  return textTable(
    ['SEQ', 'CLOSED', 'KIND', 'TYPE', 'SESSION-ID', 'PART', 'DURATION', 'CAUSE', 'SERVED', 'ANOMALIES'],
    cdrs.map((c) => [
      String(c.seq ?? ''),
      iso(c.recordClosingTime),
      c.kind,
      c.recordType === undefined ? '' : String(c.recordType),
      c.subSessionId === undefined ? c.sessionId : `${c.sessionId} [${c.subSessionId}]`,
      c.recordSequenceNumber === undefined ? '' : String(c.recordSequenceNumber),
      String(c.duration),
      String(c.causeForRecordClosing),
      served(c),
      c.anomalies.join(','),
    ]),
  );
}

export function sessionTable(sessions: AccountingSession[]): string {
  return textTable(
    [
      'SESSION-ID',
      'ORIGIN-HOST',
      'OPENED',
      'LAST-SEEN',
      'EXPIRES',
      'LAST-RECORD',
      'ACRS',
      'PARTIAL',
      'ANOMALIES',
    ],
    sessions.map((s) => [
      s.subSessionId === undefined ? s.sessionId : `${s.sessionId} [${s.subSessionId}]`,
      s.originHost,
      iso(s.openedAt),
      iso(s.lastSeenAt),
      iso(s.expiresAt),
      `${RECORD_TYPE_NAMES[s.recordType] ?? s.recordType} ${s.lastRecordNumber}`,
      String(s.counters.acrs ?? ''),
      String(s.partialSequence),
      s.anomalies.join(','),
    ]),
  );
}

// ---------------------------------------------------------------------------------------------------
// CSV (RFC 4180: CRLF line ends; a field with a comma, quote or line break is quoted, quotes doubled)

export const CSV_COLUMNS = [
  'seq',
  'id',
  'kind',
  'recordType',
  'sessionId',
  'subSessionId',
  'recordSequenceNumber',
  'localRecordSequenceNumber',
  'recordOpeningTime',
  'recordClosingTime',
  'duration',
  'causeForRecordClosing',
  'servedParty',
  'originHost',
  'originRealm',
  'anomalies',
  'createdAt',
  'fields',
] as const;

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function csvRow(c: Cdr): string {
  const cells: Record<(typeof CSV_COLUMNS)[number], string> = {
    seq: String(c.seq ?? ''),
    id: c.id,
    kind: c.kind,
    recordType: c.recordType === undefined ? '' : String(c.recordType),
    sessionId: c.sessionId,
    subSessionId: c.subSessionId === undefined ? '' : c.subSessionId.toString(),
    recordSequenceNumber: c.recordSequenceNumber === undefined ? '' : String(c.recordSequenceNumber),
    localRecordSequenceNumber:
      c.localRecordSequenceNumber === undefined ? '' : String(c.localRecordSequenceNumber),
    recordOpeningTime: c.recordOpeningTime.toISOString(),
    recordClosingTime: c.recordClosingTime.toISOString(),
    duration: String(c.duration),
    causeForRecordClosing: String(c.causeForRecordClosing),
    // TS 32.298 SubscriptionID as type:data, several separated by ';'.
    servedParty: c.servedParty.map((p) => `${p.type}:${p.data}`).join(';'),
    originHost: c.originHost,
    originRealm: c.originRealm ?? '',
    anomalies: c.anomalies.join(';'),
    createdAt: c.createdAt.toISOString(),
    fields: recordJson(c.fields),
  };
  return CSV_COLUMNS.map((k) => csvCell(cells[k])).join(',') + '\r\n';
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

// ---------------------------------------------------------------------------------------------------
// the commands

interface StoreOpt {
  store: string;
}

export type ListOptions = StoreOpt & CdrFilterOptions & { limit: string; format: string };

export async function listCdrs(opts: ListOptions): Promise<string> {
  const limit = positiveInt(opts.limit, '--limit');
  const format = oneOf(opts.format, ['table', 'json'] as const, '--format');
  const filter = cdrFilter(opts);
  // The newest `limit` matching CDRs, shown oldest first (as `tail` does).
  const cdrs = (
    await withStore(opts.store, (s) => s.listCdrs({ ...filter, limit, order: 'desc' }))
  ).reverse();
  return format === 'json' ? recordJson(cdrs, 2) + '\n' : cdrTable(cdrs);
}

export type SummaryOptions = StoreOpt & CdrFilterOptions & { format: string };

/** Counts every matching CDR, streamed page by page (cdr-summary.ts). */
export async function summarizeCdrs(opts: SummaryOptions): Promise<string> {
  const format = oneOf(opts.format, ['table', 'json'] as const, '--format');
  const filter = cdrFilter(opts);
  const summary = await withStore(opts.store, (s) => summarize(s.exportCdrs(filter)));
  return format === 'json' ? recordJson(summary, 2) + '\n' : summaryTable(summary);
}

export interface ExportOptions extends StoreOpt, CdrFilterOptions {
  format: string;
  out?: string;
}

/** Streams every matching CDR, page by page, to --out or stdout; returns how many were written. */
export async function exportCdrs(opts: ExportOptions, stdout: Writable = process.stdout): Promise<number> {
  const format = oneOf(opts.format, ['jsonl', 'csv'] as const, '--format');
  const filter = cdrFilter(opts);
  return withStore(opts.store, async (store) => {
    const out = opts.out ? createWriteStream(opts.out) : stdout;
    if (opts.out) await once(out, 'open');
    let n = 0;
    try {
      if (format === 'csv') await write(out, CSV_COLUMNS.join(',') + '\r\n');
      for await (const c of store.exportCdrs(filter)) {
        await write(out, format === 'csv' ? csvRow(c) : recordJson(c) + '\n');
        n++;
      }
    } finally {
      if (opts.out) {
        out.end();
        await once(out, 'finish');
      }
    }
    return n;
  });
}

export interface SessionListOptions extends StoreOpt {
  limit: string;
  format: string;
  /** Only this Session-Id (its sub-sessions too). */
  session?: string;
  /** Only sessions this CTF opened. */
  originHost?: string;
}

export async function listSessions(opts: SessionListOptions): Promise<string> {
  const limit = positiveInt(opts.limit, '--limit');
  const format = oneOf(opts.format, ['table', 'json'] as const, '--format');
  const query = { limit, sessionId: opts.session, originHost: opts.originHost };
  const sessions = await withStore(opts.store, (s) => s.listOpenSessions(query));
  // The session manager's own state (data) is internal; the rest is what an operator looks at.
  const shown = sessions.map(({ data: _data, ...s }) => s);
  return format === 'json' ? recordJson(shown, 2) + '\n' : sessionTable(sessions);
}

/** One line, exit status 2 (as the other subcommands do). */
async function run(fn: () => Promise<string | void>): Promise<void> {
  try {
    const text = await fn();
    if (text) process.stdout.write(text);
  } catch (e) {
    const msg =
      e instanceof CliError
        ? e.message
        : e instanceof DiameterError
          ? `store: ${e.message}`
          : ((e as Error)?.message ?? String(e));
    process.stderr.write(`diamkit: ${msg}\n`);
    process.exitCode = 2;
  }
}

const STORE_HELP = `CDR store: SQLite file or postgres:// URL (default ${DEFAULT_STORE_PATH})`;

export function registerCdrCommands(program: Command): void {
  const cdrs = program.command('cdrs').description('read the CDRs that `diamkit serve` wrote (docs/cdr.md)');
  addCdrFilterOptions(
    cdrs
      .command('list')
      .description('print the newest matching CDRs, oldest first')
      .option('--store <path|url>', STORE_HELP, DEFAULT_STORE_PATH)
      .option('-n, --limit <n>', 'how many', '20')
      .option('-f, --format <format>', 'table or json', 'table'),
  ).action((opts: ListOptions) => run(() => listCdrs(opts)));
  addCdrFilterOptions(
    cdrs
      .command('summary')
      .description('count the matching CDRs by kind, record type, closing cause and anomaly')
      .option('--store <path|url>', STORE_HELP, DEFAULT_STORE_PATH)
      .option('-f, --format <format>', 'table or json', 'table'),
  ).action((opts: SummaryOptions) => run(() => summarizeCdrs(opts)));
  addCdrFilterOptions(
    cdrs
      .command('export')
      .description('write every matching CDR as JSON lines or CSV, in the order they were written')
      .option('--store <path|url>', STORE_HELP, DEFAULT_STORE_PATH)
      .option('-f, --format <format>', 'jsonl or csv', 'jsonl'),
  )
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .action((opts: ExportOptions) =>
      run(async () => {
        const n = await exportCdrs(opts);
        if (opts.out) process.stderr.write(`diamkit: ${n} CDR(s) written to ${opts.out}\n`);
      }),
    );
  program
    .command('sessions')
    .description('print the accounting sessions the CDF holds open')
    .option('--store <path|url>', STORE_HELP, DEFAULT_STORE_PATH)
    .option('-n, --limit <n>', 'how many', '100')
    .option('-f, --format <format>', 'table or json', 'table')
    .option('--session <id>', 'only this Session-Id (with its sub-sessions)')
    .option('--origin-host <host>', 'only sessions this CTF (Origin-Host) opened')
    .action((opts: SessionListOptions) => run(() => listSessions(opts)));
}
