/**
 * What both store backends share: checking records before a transaction touches them, turning them into
 * column values and back, and putting a batch in the form store.ts promises (one operation per session key).
 * Checking here, not in the database, makes SQLite (which would take 'abc' in an INTEGER column) and
 * PostgreSQL refuse exactly the same records.
 */
import { randomFillSync } from 'node:crypto';
import { DiameterError, type ErrorCodeName } from '../codec/errors.js';
import { JsonText } from './json-text.js';
import type {
  AccountingSession,
  Cdr,
  CdrFilter,
  OpenSessionQuery,
  JsonObject,
  JsonTextSource,
  JsonValue,
  KeptAcrsSource,
  SessionKey,
  StoreBatch,
  SubscriptionIdEntry,
} from './store.js';

const MAX_U64 = (1n << 64n) - 1n;

export function storeError(code: ErrorCodeName, detail: string, cause?: unknown): DiameterError {
  if (cause instanceof DiameterError) return cause;
  const reason = cause instanceof Error ? cause.message : cause === undefined ? '' : String(cause);
  const err = new DiameterError(code, reason ? `${detail}: ${reason}` : detail);
  if (cause !== undefined) err.cause = cause;
  return err;
}

function bad(what: string): never {
  throw new DiameterError('STORE_BAD_RECORD', what);
}

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

// ---- checks -------------------------------------------------------------------------------------------

function checkText(v: unknown, what: string, optional = false): void {
  if (v === undefined && optional) return;
  if (typeof v !== 'string') bad(`${what} must be a string`);
  // PostgreSQL text cannot hold NUL; refuse it in both backends.
  if (v.includes('\u0000')) bad(`${what} contains NUL`);
}

function checkInt(v: unknown, what: string, optional = false): void {
  if (v === undefined && optional) return;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) bad(`${what} must be an integer`);
}

function checkNumber(v: unknown, what: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(`${what} must be a finite number`);
}

function checkDate(v: unknown, what: string, optional = false): void {
  if (v === undefined && optional) return;
  if (!(v instanceof Date) || Number.isNaN(v.getTime())) bad(`${what} must be a valid Date`);
}

function checkKey(k: SessionKey, what: string): void {
  checkText(k.sessionId, `${what}.sessionId`);
  if (k.sessionId.length === 0) bad(`${what}.sessionId is empty`);
  const sub = k.subSessionId;
  if (sub !== undefined && (typeof sub !== 'bigint' || sub < 0n || sub > MAX_U64)) {
    bad(`${what}.subSessionId must be an Unsigned64 bigint`);
  }
}

function checkTextArray(v: unknown, what: string): void {
  if (!Array.isArray(v)) bad(`${what} must be an array`);
  v.forEach((x, i) => checkText(x, `${what}[${i}]`));
}

export function checkSession(s: AccountingSession, i: number): void {
  const w = `sessionUpserts[${i}]`;
  checkKey(s, w);
  checkText(s.originHost, `${w}.originHost`);
  checkText(s.originRealm, `${w}.originRealm`);
  if (s.state !== 'open' && s.state !== 'closed') bad(`${w}.state must be 'open' or 'closed'`);
  if (![1, 2, 3, 4].includes(s.recordType)) bad(`${w}.recordType must be 1..4`);
  checkInt(s.lastRecordNumber, `${w}.lastRecordNumber`);
  checkDate(s.openedAt, `${w}.openedAt`);
  checkDate(s.lastSeenAt, `${w}.lastSeenAt`);
  checkDate(s.expiresAt, `${w}.expiresAt`, true);
  checkInt(s.interimInterval, `${w}.interimInterval`, true);
  checkText(s.serviceContextId, `${w}.serviceContextId`, true);
  checkInt(s.partialSequence, `${w}.partialSequence`);
  if (typeof s.counters !== 'object' || s.counters === null) bad(`${w}.counters must be an object`);
  for (const [name, v] of Object.entries(s.counters)) {
    checkText(name, `${w}.counters name`);
    if (typeof v !== 'bigint') bad(`${w}.counters.${name} must be a bigint`);
  }
  checkTextArray(s.anomalies, `${w}.anomalies`);
}

export function checkCdr(c: Cdr, i: number): void {
  const w = `cdrs[${i}]`;
  checkText(c.id, `${w}.id`);
  if (c.id.length === 0) bad(`${w}.id is empty`);
  checkText(c.kind, `${w}.kind`);
  checkInt(c.recordType, `${w}.recordType`, true);
  checkKey(c, w);
  checkInt(c.recordSequenceNumber, `${w}.recordSequenceNumber`, true);
  checkInt(c.localRecordSequenceNumber, `${w}.localRecordSequenceNumber`, true);
  checkDate(c.recordOpeningTime, `${w}.recordOpeningTime`);
  checkDate(c.recordClosingTime, `${w}.recordClosingTime`);
  checkNumber(c.duration, `${w}.duration`);
  checkInt(c.causeForRecordClosing, `${w}.causeForRecordClosing`);
  if (!Array.isArray(c.servedParty)) bad(`${w}.servedParty must be an array`);
  c.servedParty.forEach((p: SubscriptionIdEntry, j) => {
    checkInt(p?.type, `${w}.servedParty[${j}].type`);
    checkText(p.data, `${w}.servedParty[${j}].data`);
  });
  checkText(c.originHost, `${w}.originHost`);
  checkText(c.originRealm, `${w}.originRealm`, true);
  checkText(c.nodeAddress, `${w}.nodeAddress`, true);
  checkTextArray(c.anomalies, `${w}.anomalies`);
  if (typeof c.fields !== 'object' || c.fields === null || Array.isArray(c.fields)) {
    bad(`${w}.fields must be an object`);
  }
  checkDate(c.createdAt, `${w}.createdAt`);
}

// ---- JSON ---------------------------------------------------------------------------------------------

// An escaped NUL that is not itself an escaped backslash followed by "u0000".
const ESCAPED_NUL = /(^|[^\\])(\\\\)*\\u0000/;

/**
 * True when JSON.stringify alone writes `x` faithfully: plain objects, arrays, strings, booleans, null and
 * finite numbers. Checking first lets the common case skip a replacer function, which halves
 * JSON.stringify's speed.
 */
function isPlainJson(x: unknown): boolean {
  switch (typeof x) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(x);
    case 'object': {
      if (x === null) return true;
      if (Array.isArray(x)) {
        for (const e of x) if (!isPlainJson(e)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(x) as unknown;
      if (proto !== Object.prototype && proto !== null) return false;
      for (const k in x) if (!isPlainJson((x as Record<string, unknown>)[k])) return false;
      return true;
    }
    default:
      return false;
  }
}

function replacer(this: Record<string, unknown>, key: string, v: unknown): unknown {
  const raw = this[key];
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`${key}: ${v} is not JSON`);
  if (raw instanceof Uint8Array) throw new Error(`${key}: bytes must be given as hex text`);
  return v;
}

/**
 * The JSON text of a value that already has it: a JsonText (the CDR builder's raw AVPs), or an object that
 * writes its own text (store.ts JsonTextSource, e.g. the session manager's kept data). Writing that text as
 * it is skips JSON.stringify scanning it again, the largest cost of a commit's preparation. Its producer
 * vouches that it is JSON; the NUL check in encodeJson still applies.
 */
function ownJsonText(value: unknown): string | undefined {
  if (value instanceof JsonText) return value.text;
  if (typeof value === 'object' && value !== null) {
    const own = (value as Partial<JsonTextSource>).toJsonText;
    if (typeof own === 'function') return own.call(value);
  }
  return undefined;
}

/** JSON text for a blob column; bigint becomes its decimal string (store.ts JsonValue). */
export function encodeJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text =
      ownJsonText(value) ?? (isPlainJson(value) ? JSON.stringify(value) : JSON.stringify(value, replacer));
  } catch (e) {
    bad(`${what}: ${(e as Error).message}`);
  }
  if (typeof text !== 'string') bad(`${what} is not JSON`);
  // PostgreSQL jsonb refuses \u0000; refuse it in both backends.
  if (text.includes('\\u0000') && ESCAPED_NUL.test(text)) bad(`${what} contains NUL`);
  return text;
}

/** Anomaly names (checked to be strings) as JSON; most records have none. */
function anomaliesJson(anomalies: string[]): string {
  return anomalies.length === 0 ? '[]' : encodeJson(anomalies, 'anomalies');
}

export function encodeCounters(counters: Record<string, bigint>): string {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(counters)) out[k] = v.toString();
  return JSON.stringify(out);
}

export function decodeCounters(text: string): Record<string, bigint> {
  const parsed = JSON.parse(text) as Record<string, string>;
  const out: Record<string, bigint> = {};
  for (const [k, v] of Object.entries(parsed)) out[k] = BigInt(v);
  return out;
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
  return [encodeJson(new JsonText(data.keptJsonText()), 'data'), acrs.first, acrs.last ?? null];
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

export function clampLimit(v: number | undefined, dflt: number, max: number): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < 0)
    throw new DiameterError('STORE_BAD_RECORD', `limit ${v} is not a count`);
  return Math.min(v, max);
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

export function checkSequenceRequest(name: string, count: number): void {
  checkText(name, 'sequence name');
  if (!Number.isSafeInteger(count) || count < 1) bad(`sequence count ${count} must be a positive integer`);
}

export function checkPageSize(v: number | undefined): number {
  if (v === undefined) return 1000;
  if (!Number.isSafeInteger(v) || v < 1) bad(`pageSize ${v} must be a positive integer`);
  return v;
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
