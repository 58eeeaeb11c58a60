/**
 * Checks both store backends run on records and query arguments before a transaction touches them.
 * Checking here, not in the database, makes SQLite (which would take 'abc' in an INTEGER column) and
 * PostgreSQL refuse exactly the same records.
 */
import { DiameterError, type ErrorCodeName } from '../codec/errors.js';
import type { AccountingSession, Cdr, SessionKey, SubscriptionIdEntry } from './store.js';

const MAX_U64 = (1n << 64n) - 1n;

export function storeError(code: ErrorCodeName, detail: string, cause?: unknown): DiameterError {
  if (cause instanceof DiameterError) return cause;
  const reason = cause instanceof Error ? cause.message : cause === undefined ? '' : String(cause);
  const err = new DiameterError(code, reason ? `${detail}: ${reason}` : detail);
  if (cause !== undefined) err.cause = cause;
  return err;
}

export function bad(what: string): never {
  throw new DiameterError('STORE_BAD_RECORD', what);
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

export function checkDate(v: unknown, what: string, optional = false): void {
  if (v === undefined && optional) return;
  if (!(v instanceof Date) || Number.isNaN(v.getTime())) bad(`${what} must be a valid Date`);
}

export function checkKey(k: SessionKey, what: string): void {
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

// ---- query arguments ----------------------------------------------------------------------------------

export function clampLimit(v: number | undefined, dflt: number, max: number): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < 0)
    throw new DiameterError('STORE_BAD_RECORD', `limit ${v} is not a count`);
  return Math.min(v, max);
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
