/**
 * What both store backends share: checking records before a transaction touches them (store-checks.ts),
 * turning them into column values and back (JSON columns in store-json.ts), and putting a batch in the form
 * store.ts promises (one operation per session key); also the SQL conditions of their queries.
 */
import { randomFillSync } from 'node:crypto';
import { bad, checkCdr, checkDate, checkKey, checkSession } from './store-checks.js';
import { anomaliesJson, checkedJsonText, decodeCounters, encodeCounters, encodeJson } from './store-json.js';
import type {
  AccountingSession,
  Cdr,
  CdrFilter,
  OpenSessionQuery,
  JsonObject,
  JsonValue,
  KeptAcrsSource,
  SessionKey,
  StoreBatch,
  SubscriptionIdEntry,
} from './store.js';

export {
  checkCdr,
  checkPageSize,
  checkSequenceRequest,
  checkSession,
  clampLimit,
  storeError,
} from './store-checks.js';
export { decodeCounters, encodeCounters, encodeJson } from './store-json.js';

/** The sub-session column: '' when absent (a primary key cannot hold NULL), else the decimal Unsigned64. */
export function subKey(subSessionId: bigint | undefined): string {
  return subSessionId === undefined ? '' : subSessionId.toString();
}

export function parseSubKey(column: string): bigint | undefined {
  return column === '' ? undefined : BigInt(column);
}

/** Map key of a session: Session-Id and sub-session joined by NUL, which neither may contain. */
export function sessionMapKey(k: SessionKey): string {
  return `${k.sessionId}\u0000${subKey(k.subSessionId)}`;
}

// ---- CDR ids -------------------------------------------------------------------------------------------

/** Random bytes drawn 4 KiB at a time: one randomFillSync per 256 ids instead of one per id. */
const idRandom = Buffer.alloc(4096);
let idRandomAt = idRandom.length;

/**
 * A new CDR id (store.ts Cdr.id): an RFC 9562 §5.7 version 7 UUID, i.e. 48 bits of Unix time in ms, then
 * 74 random bits. Ids made later sort later, so each insert into the unique index on the id lands at its
 * right-hand end, where the previous inserts already are; with random (v4) ids every CDR dirties a leaf
 * page of its own, which a commit then writes whole to the WAL, and the index soon outgrows the cache.
 */
export function newCdrId(now: number = Date.now()): string {
  if (idRandomAt === idRandom.length) {
    randomFillSync(idRandom);
    idRandomAt = 0;
  }
  const b = idRandom.subarray(idRandomAt, idRandomAt + 16);
  idRandomAt += 16;
  b.writeUIntBE(now, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70; // version 7
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 10
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---- rows ---------------------------------------------------------------------------------------------

/** Session columns in one order both backends use: a Row holds the values in this order. */
export const SESSION_COLUMNS = [
  'session_id',
  'sub_session_id',
  'origin_host',
  'origin_realm',
  'state',
  'record_type',
  'last_record_number',
  'opened_at',
  'last_seen_at',
  'expires_at',
  'interim_interval',
  'service_context_id',
  'partial_sequence',
  'counters',
  'anomalies',
  'data',
  'acr_first',
  'acr_last',
] as const;

export type SessionColumn = (typeof SESSION_COLUMNS)[number];
export type ColumnValue = string | number | Date | null;
/** A value as a backend binds it: a time becomes what TimeValue makes of it. */
export type BoundValue = string | number | Uint8Array | null;
/**
 * A row to write: its values in SESSION_COLUMNS or CDR_COLUMNS order, ready to bind. Positional, because a
 * prepared INSERT binds by position and an array is cheaper to make and to read than a keyed object.
 */
export type Row = BoundValue[];
/** How a backend stores a time: SQLite as epoch milliseconds, PostgreSQL as ISO text (timestamptz). */
export type TimeValue = (d: Date) => number | string;

export const epochMs: TimeValue = (d) => d.getTime();

export function sessionToRow(s: AccountingSession, time: TimeValue): Row {
  return [
    s.sessionId,
    subKey(s.subSessionId),
    s.originHost,
    s.originRealm,
    s.state,
    s.recordType,
    s.lastRecordNumber,
    time(s.openedAt),
    time(s.lastSeenAt),
    s.expiresAt === undefined ? null : time(s.expiresAt),
    s.interimInterval ?? null,
    s.serviceContextId ?? null,
    s.partialSequence,
    encodeCounters(s.counters),
    anomaliesJson(s.anomalies),
    ...dataColumns(s.data),
  ];
}

function isKeptAcrsSource(v: unknown): v is KeptAcrsSource {
  return typeof v === 'object' && v !== null && typeof (v as Partial<KeptAcrsSource>).keptAcrs === 'function';
}

/** The data, acr_first and acr_last columns of a session row (store.ts KeptAcrsSource). */
function dataColumns(data: AccountingSession['data']): [string, Uint8Array | null, Uint8Array | null] {
  if (!isKeptAcrsSource(data)) return [encodeJson(data, 'data'), null, null];
  const acrs = data.keptAcrs();
  return [checkedJsonText(data.keptJsonText(), 'data'), acrs.first, acrs.last ?? null];
}

/** A session's data as read: the JSON, with the kept ACRs written beside it put back in, base64. */
function dataFromRow(r: ReadRow): JsonValue {
  const data = JSON.parse(r.data as string) as JsonValue;
  const first = r.acr_first;
  if (first === null || first === undefined) return data;
  const o = data as JsonObject;
  o.first = Buffer.from(first as Uint8Array).toString('base64');
  if (r.acr_last !== null && r.acr_last !== undefined) o.last = Buffer.from(r.acr_last as Uint8Array).toString('base64');
  return o;
}

/** A row as a backend reads it: times as Date or epoch milliseconds, integers maybe as strings (int8). */
export type ReadRow = Record<string, unknown>;

function toDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(Number(v));
}

export function sessionFromRow(r: ReadRow): AccountingSession {
  const s: AccountingSession = {
    sessionId: r.session_id as string,
    originHost: r.origin_host as string,
    originRealm: r.origin_realm as string,
    state: r.state as AccountingSession['state'],
    recordType: Number(r.record_type) as AccountingSession['recordType'],
    lastRecordNumber: Number(r.last_record_number),
    openedAt: toDate(r.opened_at),
    lastSeenAt: toDate(r.last_seen_at),
    partialSequence: Number(r.partial_sequence),
    counters: decodeCounters(r.counters as string),
    anomalies: JSON.parse(r.anomalies as string) as string[],
    data: dataFromRow(r),
  };
  const sub = parseSubKey(r.sub_session_id as string);
  if (sub !== undefined) s.subSessionId = sub;
  if (r.expires_at !== null && r.expires_at !== undefined) s.expiresAt = toDate(r.expires_at);
  if (r.interim_interval !== null && r.interim_interval !== undefined)
    s.interimInterval = Number(r.interim_interval);
  if (r.service_context_id !== null && r.service_context_id !== undefined) {
    s.serviceContextId = r.service_context_id as string;
  }
  return s;
}

export const CDR_COLUMNS = [
  'id',
  'kind',
  'record_type',
  'session_id',
  'sub_session_id',
  'record_sequence_number',
  'local_record_sequence_number',
  'record_opening_time',
  'record_closing_time',
  'duration',
  'cause_for_record_closing',
  'served_party',
  'origin_host',
  'origin_realm',
  'node_address',
  'anomalies',
  'fields',
  'raw_avps',
  'created_at',
] as const;

export type CdrColumn = (typeof CDR_COLUMNS)[number];

export function cdrToRow(c: Cdr, time: TimeValue): Row {
  return [
    c.id,
    c.kind,
    c.recordType ?? null,
    c.sessionId,
    subKey(c.subSessionId),
    c.recordSequenceNumber ?? null,
    c.localRecordSequenceNumber ?? null,
    time(c.recordOpeningTime),
    time(c.recordClosingTime),
    c.duration,
    c.causeForRecordClosing,
    JSON.stringify(c.servedParty.map((p) => ({ type: p.type, data: p.data }))),
    c.originHost,
    c.originRealm ?? null,
    c.nodeAddress ?? null,
    anomaliesJson(c.anomalies),
    encodeJson(c.fields, 'fields'),
    encodeJson(c.rawAvps, 'rawAvps'),
    time(c.createdAt),
  ];
}

export function cdrFromRow(r: ReadRow): Cdr {
  const c: Cdr = {
    id: r.id as string,
    kind: r.kind as string,
    sessionId: r.session_id as string,
    recordOpeningTime: toDate(r.record_opening_time),
    recordClosingTime: toDate(r.record_closing_time),
    duration: Number(r.duration),
    causeForRecordClosing: Number(r.cause_for_record_closing),
    servedParty: JSON.parse(r.served_party as string) as SubscriptionIdEntry[],
    originHost: r.origin_host as string,
    anomalies: JSON.parse(r.anomalies as string) as string[],
    fields: JSON.parse(r.fields as string) as JsonObject,
    rawAvps: JSON.parse(r.raw_avps as string) as JsonValue,
    createdAt: toDate(r.created_at),
    seq: Number(r.seq),
  };
  const sub = parseSubKey(r.sub_session_id as string);
  if (sub !== undefined) c.subSessionId = sub;
  if (r.record_type !== null && r.record_type !== undefined) c.recordType = Number(r.record_type);
  if (r.record_sequence_number !== null && r.record_sequence_number !== undefined) {
    c.recordSequenceNumber = Number(r.record_sequence_number);
  }
  if (r.local_record_sequence_number !== null && r.local_record_sequence_number !== undefined) {
    c.localRecordSequenceNumber = Number(r.local_record_sequence_number);
  }
  if (r.origin_realm !== null && r.origin_realm !== undefined) c.originRealm = r.origin_realm as string;
  if (r.node_address !== null && r.node_address !== undefined) c.nodeAddress = r.node_address as string;
  return c;
}

// ---- batches ------------------------------------------------------------------------------------------

export interface PreparedBatch {
  deletes: SessionKey[];
  upserts: Row[];
  cdrs: Row[];
}

/**
 * Checks every record and leaves one operation per session key, as store.ts defines a batch: deletes
 * first, then upserts with the last one of a key winning. PostgreSQL's ON CONFLICT DO UPDATE refuses to
 * touch one row twice in a statement, so this is also what makes a multi-row upsert possible.
 */
export function prepareBatch(batch: StoreBatch, time: TimeValue = epochMs): PreparedBatch {
  const upsertByKey = new Map<string, AccountingSession>();
  (batch.sessionUpserts ?? []).forEach((s, i) => {
    checkSession(s, i);
    upsertByKey.set(sessionMapKey(s), s);
  });
  const deleteByKey = new Map<string, SessionKey>();
  (batch.sessionDeletes ?? []).forEach((k, i) => {
    checkKey(k, `sessionDeletes[${i}]`);
    const mk = sessionMapKey(k);
    if (!upsertByKey.has(mk)) deleteByKey.set(mk, { sessionId: k.sessionId, subSessionId: k.subSessionId });
  });
  const cdrs = batch.cdrs ?? [];
  cdrs.forEach(checkCdr);
  return {
    deletes: [...deleteByKey.values()],
    upserts: [...upsertByKey.values()].map((s) => sessionToRow(s, time)),
    cdrs: cdrs.map((c) => cdrToRow(c, time)),
  };
}

export function batchSize(batch: StoreBatch): number {
  return (
    (batch.sessionUpserts?.length ?? 0) + (batch.sessionDeletes?.length ?? 0) + (batch.cdrs?.length ?? 0)
  );
}

/**
 * Joins batches submitted one after another into one batch with the same effect: for each session key the
 * last operation in submission order wins; CDRs keep their order.
 */
export function mergeBatches(parts: readonly StoreBatch[]): StoreBatch {
  if (parts.length === 1) return parts[0]!;
  const last = new Map<string, { upsert?: AccountingSession; del?: SessionKey }>();
  const cdrs: Cdr[] = [];
  for (const part of parts) {
    // Inside one part the deletes come before the upserts (store.ts StoreBatch).
    for (const k of part.sessionDeletes ?? []) last.set(sessionMapKey(k), { del: k });
    for (const s of part.sessionUpserts ?? []) last.set(sessionMapKey(s), { upsert: s });
    if (part.cdrs) for (const c of part.cdrs) cdrs.push(c);
  }
  const sessionUpserts: AccountingSession[] = [];
  const sessionDeletes: SessionKey[] = [];
  for (const op of last.values()) {
    if (op.upsert) sessionUpserts.push(op.upsert);
    else if (op.del) sessionDeletes.push(op.del);
  }
  return { sessionUpserts, sessionDeletes, cdrs };
}

/**
 * WHERE conditions for a CDR filter; `bind` returns the placeholder for a value (SQLite '?', PostgreSQL
 * '$n') and converts it as the backend needs.
 */
export function cdrConditions(f: CdrFilter, bind: (v: ColumnValue) => string): string[] {
  const out: string[] = [];
  const time = f.timeField === 'recordClosingTime' ? 'record_closing_time' : 'created_at';
  if (f.timeField !== undefined && f.timeField !== 'createdAt' && f.timeField !== 'recordClosingTime') {
    bad(`timeField ${String(f.timeField)} is not createdAt or recordClosingTime`);
  }
  checkDate(f.since, 'since', true);
  checkDate(f.until, 'until', true);
  if (f.since) out.push(`${time} >= ${bind(f.since)}`);
  if (f.until) out.push(`${time} < ${bind(f.until)}`);
  if (f.sessionId !== undefined) out.push(`session_id = ${bind(f.sessionId)}`);
  if (f.subSessionId !== undefined) out.push(`sub_session_id = ${bind(subKey(f.subSessionId))}`);
  if (f.kind !== undefined) out.push(`kind = ${bind(f.kind)}`);
  if (f.originHost !== undefined) out.push(`origin_host = ${bind(f.originHost)}`);
  return out;
}

export function openSessionConditions(q: OpenSessionQuery, bind: (v: ColumnValue) => string): string[] {
  const out = [`state = 'open'`];
  checkDate(q.expiredBefore, 'expiredBefore', true);
  if (q.originHost !== undefined) out.push(`origin_host = ${bind(q.originHost)}`);
  if (q.sessionId !== undefined) out.push(`session_id = ${bind(q.sessionId)}`);
  if (q.expiredBefore !== undefined) out.push(`expires_at < ${bind(q.expiredBefore)}`);
  return out;
}

/** ORDER BY for listOpenSessions: overdue first for a supervision query (its index), else key order. */
export function openSessionOrder(q: OpenSessionQuery): string {
  return q.expiredBefore !== undefined
    ? 'expires_at, session_id, sub_session_id'
    : 'session_id, sub_session_id';
}

/** The column exportCdrs walks: seq, or the filter's time column when the filter has a time bound. */
export function exportOrder(f: CdrFilter): 'seq' | 'created_at' | 'record_closing_time' {
  if (f.since === undefined && f.until === undefined) return 'seq';
  return f.timeField === 'recordClosingTime' ? 'record_closing_time' : 'created_at';
}

/**
 * WHERE and ORDER BY of one export page. `last` is the final row of the previous page (keyset paging: a
 * page continues where the last one ended, so an export of millions of rows reads each index entry once).
 */
export function exportPageSql(
  f: CdrFilter,
  last: ReadRow | undefined,
  bind: (v: ColumnValue) => string,
): { where: string[]; orderBy: string } {
  const col = exportOrder(f);
  const where = cdrConditions(f, bind);
  if (last && col === 'seq') where.push(`seq > ${bind(last.seq as ColumnValue)}`);
  // Bound in textual order: SQLite's '?' placeholders are positional.
  else if (last)
    where.push(`(${col}, seq) > (${bind(last[col] as ColumnValue)}, ${bind(last.seq as ColumnValue)})`);
  return { where, orderBy: col === 'seq' ? 'seq' : `${col}, seq` };
}
