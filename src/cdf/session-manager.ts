/**
 * Accounting sessions of the simulated CDF (accounting-rf.md §5; RFC 6733 §9 stateless accounting server):
 * START opens, INTERIM updates, STOP closes, EVENT makes a one-off record. Record numbers are checked
 * (§5.3): a duplicate replays the original answer; a gap, an out-of-order number, INTERIM/STOP without
 * START, or a START for an open session are accepted, recorded on the CDR as anomalies, and counted.
 * Supervision (§5.5) closes sessions that go silent; partial CDRs (§5.4) cut long sessions.
 *
 * Processing is synchronous and in memory (so ACRs of one session apply in arrival order); what it changes
 * goes to the store as one batch, and the ACA is sent once that batch committed (GroupCommitter).
 */
import type { Message } from '../codec/types.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { RecordType, type AcrFields } from './acr.js';
import { buildCdr, imsCauseCode, type SessionData } from './cdr-builder.js';
import type { AccountingSession, Cdr, JsonObject, StoreBatch } from './store.js';
import { Cause, DEFAULT_CDF_SETTINGS, partialCause, type CdfSettings } from './cdf-settings.js';
import { ClosedKeys } from './closed-keys.js';
import { DeadlineIndex } from './deadlines.js';
import { KeptData, NO_CONTAINERS, NO_MISSING } from './kept-data.js';
import {
  AVP_PS_INFORMATION,
  absorbServiceInformation,
  acrJson,
  child,
  expand,
  keptOf,
  rawBinary,
} from './record-data.js';
import { ownText } from './own-text.js';
import { newCdrId } from './store-records.js';

export { Cause, DEFAULT_CDF_SETTINGS, type CdfSettings } from './cdf-settings.js';

export interface Outcome {
  batch: StoreBatch;
  /** Acct-Interim-Interval for the ACA. */
  interimInterval?: number;
  duplicate: boolean;
  anomalies: string[];
}

export interface CdfCounters {
  acrs: number;
  duplicates: number;
  cdrs: number;
  anomalies: Record<string, number>;
  supervisionClosed: number;
  /** Sessions closed because their CTF restarted (a higher Origin-State-Id, §5.5). */
  restartClosed: number;
  partials: number;
}

function keyOf(sessionId: string, sub?: bigint): string {
  return sub === undefined ? sessionId : `${sessionId}\u0000${sub}`;
}

/** CTFs whose Origin-State-Id is remembered at most (one entry per Origin-Host that sends one). */
const MAX_ORIGIN_STATES = 100_000;

/** Shared empty lists (a session copies on its first write): most sessions never need their own. */
const NO_ANOMALIES: readonly string[] = Object.freeze([]);

export class SessionManager {
  readonly sessions = new Map<string, AccountingSession>();
  readonly counters: CdfCounters = { acrs: 0, duplicates: 0, cdrs: 0, anomalies: {}, supervisionClosed: 0, restartClosed: 0, partials: 0 };
  /** localRecordSequenceNumbers: the current block [next, end) and the next block, from CdrStore.allocateSequence. */
  private seq = { next: 1, end: Number.POSITIVE_INFINITY, bounded: false };
  private spareSeq: { first: number; count: number } | undefined;
  /** Keys of closed sessions and EVENTs, for duplicate detection. */
  private readonly closed: ClosedKeys;
  /** The open sessions by supervision deadline (expiresAt): every change of `sessions` goes through track/untrack. */
  private readonly deadlines = new DeadlineIndex<AccountingSession>();
  /**
   * The keys of the open sessions that have an Accounting-Sub-Session-Id, by Session-Id: a STOP without one
   * closes them all (accounting-rf.md §5.1). Empty unless a CTF uses sub-sessions.
   */
  private readonly subSessions = new Map<string, Set<string>>();
  /** The highest Origin-State-Id each CTF told (by Origin-Host as sent), for restart detection (§5.5). */
  private readonly originStates = new Map<string, number>();

  constructor(
    readonly dict: Dictionary,
    readonly settings: CdfSettings = DEFAULT_CDF_SETTINGS,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.closed = new ClosedKeys(settings.closedKeyWindow, settings.closedKeyLimit);
  }

  /** Resumes open sessions loaded from the store after a restart. */
  restore(s: AccountingSession): void {
    const d = keptOf(s.data, this.dict);
    s.data = d as unknown as AccountingSession['data'];
    this.track(keyOf(s.sessionId, s.subSessionId), s);
    // What the CTF told before the restart: a higher Origin-State-Id from it now closes these sessions.
    const osi = d.originStateId;
    if (osi !== undefined && !((this.originStates.get(s.originHost) ?? -1) >= osi)) this.originStates.set(s.originHost, osi);
  }

  /** Makes `s` the open session of `key` (replacing any other) and files its supervision deadline. */
  private track(key: string, s: AccountingSession): void {
    const prev = this.sessions.get(key);
    if (prev && prev !== s && prev.expiresAt) this.deadlines.delete(prev, prev.expiresAt.getTime());
    this.sessions.set(key, s);
    if (s.expiresAt) this.deadlines.add(s, s.expiresAt.getTime());
    if (s.subSessionId !== undefined) {
      let keys = this.subSessions.get(s.sessionId);
      if (!keys) this.subSessions.set(s.sessionId, (keys = new Set()));
      keys.add(key);
    }
  }

  /** Forgets the open session of `key` and its deadline. */
  private untrack(key: string): void {
    const prev = this.sessions.get(key);
    if (!prev) return;
    if (prev.expiresAt) this.deadlines.delete(prev, prev.expiresAt.getTime());
    this.drop(key, prev);
  }

  /** Forgets the open session `s` of `key` (its deadline is the caller's). */
  private drop(key: string, s: AccountingSession): void {
    this.sessions.delete(key);
    if (s.subSessionId === undefined) return;
    const keys = this.subSessions.get(s.sessionId);
    if (keys?.delete(key) && keys.size === 0) this.subSessions.delete(s.sessionId);
  }

  /**
   * Gives the session manager `count` localRecordSequenceNumbers starting at `first`, reserved in the store
   * (CdrStore.allocateSequence) so that CDF instances sharing one database never hand out the same number.
   * The first block is used at once; a later one when the current block runs out.
   */
  addSequenceBlock(first: number, count: number): void {
    if (!this.seq.bounded) this.seq = { next: first, end: first + count, bounded: true };
    else this.spareSeq = { first, count };
  }

  /** Numbers left in the current and the spare block (Infinity before any block was given). */
  sequenceRemaining(): number {
    return this.seq.end - this.seq.next + (this.spareSeq?.count ?? 0);
  }

  /** Whether a spare block is already waiting. */
  get hasSpareSequence(): boolean {
    return this.spareSeq !== undefined;
  }

  private nextSequence(): number {
    if (this.seq.next >= this.seq.end && this.spareSeq) {
      this.seq = { next: this.spareSeq.first, end: this.spareSeq.first + this.spareSeq.count, bounded: true };
      this.spareSeq = undefined;
    }
    // Past the end with no spare block (the store did not answer in time): keep counting rather than fail.
    return this.seq.next++;
  }

  private rememberClosed(key: string, numbers: { max: number; missing: readonly number[] }, at: Date): void {
    this.closed.remember(ownText(key), numbers, at.getTime());
  }

  /**
   * After the commit of an ACR's batch failed (the CTF got 4002 and will send the record again): drop what
   * memory holds for the key and take what the store holds, so the retry is applied, not taken for a
   * duplicate. `stored` undefined: the store has no open session for the key.
   */
  rollback(sessionId: string, subSessionId: bigint | undefined, stored: AccountingSession | undefined): void {
    const key = keyOf(sessionId, subSessionId);
    this.closed.delete(key);
    if (stored && stored.state === 'open') {
      stored.data = keptOf(stored.data, this.dict) as unknown as AccountingSession['data'];
      this.track(key, stored);
    } else this.untrack(key);
  }

  /**
   * After a restart: the keys of sessions closed within the duplicate window, read back from their CDRs,
   * so a STOP stored before the crash but never acknowledged, sent again with the T flag, is a duplicate
   * (RFC 6733 §9.6; accounting-rf.md §1.6) and not a second CDR. Keys of sessions still open are skipped.
   */
  restoreClosed(sessionId: string, subSessionId: bigint | undefined, maxRecordNumber: number, closedAt: Date): void {
    const key = keyOf(sessionId, subSessionId);
    if (this.sessions.has(key)) return;
    const prev = this.closed.get(key);
    if (prev && prev.max >= maxRecordNumber) return;
    this.rememberClosed(key, { max: maxRecordNumber, missing: [] }, closedAt);
  }

  /** After a failed commit when the store cannot even be read: at least do not swallow the retry. */
  forgetClosed(sessionId: string, subSessionId: bigint | undefined): void {
    this.closed.delete(keyOf(sessionId, subSessionId));
  }

  /** §5.3 / RFC 6733 §9.6: a record number already seen for a closed session or EVENT key. */
  private closedDuplicate(key: string, n: number, at: Date): boolean {
    return this.closed.isDuplicate(key, n, at.getTime());
  }

  private count(anomaly: string): void {
    this.counters.anomalies[anomaly] = (this.counters.anomalies[anomaly] ?? 0) + 1;
  }

  private supervisionDeadline(s: AccountingSession, at: Date): Date {
    return this.deadline(s.interimInterval, at);
  }

  private deadline(interval: number | undefined, at: Date): Date {
    const secs = interval ? interval * this.settings.supervisionFactor : this.settings.maxInactivity;
    return this.shared(new Date(at.getTime() + secs * 1000));
  }

  /**
   * One Date object per instant: the sessions opened or updated in the same millisecond (or with the same
   * Event-Timestamp) share it rather than holding a copy each. Nothing mutates a session's Dates.
   */
  private readonly lastDates: Date[] = [];
  private shared(d: Date): Date {
    const t = d.getTime();
    const c = this.lastDates;
    for (let i = 0; i < c.length; i++) if (c[i]!.getTime() === t) return c[i]!;
    if (c.length >= 4) c.shift();
    c.push(d);
    return d;
  }

  /** Applies one ACR. */
  apply(req: Message, acr: AcrFields): Outcome {
    this.counters.acrs++;
    return this.applyOne(req, acr);
  }

  private applyOne(req: Message, acr: AcrFields): Outcome {
    // `at`: when the CDF received the record (supervision runs on this clock). `t`: when the event happened
    // per the CTF (Event-Timestamp, else `at`); CDR times come from it, so a record's times share one clock.
    const at = this.shared(this.now());
    const t = acr.eventTimestamp === undefined ? at : this.shared(acr.eventTimestamp);
    const key = keyOf(acr.sessionId, acr.subSessionId);
    const s = this.sessions.get(key);
    const interim = this.settings.interimInterval;
    // Acct-Interim-Interval only in the ACA of records that leave a session open (RFC 6733 §9.8.2).
    const keepsOpen = acr.recordType === RecordType.START || acr.recordType === RecordType.INTERIM;
    const out: Outcome = { batch: {}, duplicate: false, anomalies: [], interimInterval: keepsOpen ? interim : undefined };

    if ((!s || s.state !== 'open') && this.closedDuplicate(key, acr.recordNumber, at)) {
      // A copy of a STOP or EVENT already turned into a CDR: answer again, write nothing.
      this.counters.duplicates++;
      out.duplicate = true;
      return out;
    }

    if (acr.recordType === RecordType.EVENT) {
      const data = expand(this.dict, this.newKept(req, acr), acrJson(req, acr.serviceInformation));
      const cause = imsCauseCode(data.info) >= 1 ? Cause.IMS_UNSUCCESSFUL : Cause.IMS_NORMAL;
      const cdr = this.close(data, acr, t, t, cause, [], undefined, acr.retransmitted);
      const prev = this.closed.get(key);
      this.rememberClosed(key, { max: Math.max(acr.recordNumber, prev?.max ?? -1), missing: (prev?.missing ?? []) as number[] }, at);
      out.batch.cdrs = [cdr];
      return out;
    }

    if (s && s.state === 'open') {
      const d = s.data as unknown as KeptData;
      const rn = d.recordNumbers;
      // §5.3: the same number again is a duplicate: answer again, change nothing.
      if (acr.recordNumber === s.lastRecordNumber || (acr.recordNumber < rn.max && !rn.missing.includes(acr.recordNumber))) {
        this.counters.duplicates++;
        out.duplicate = true;
        return out;
      }
      if (d.stopped) {
        // §5.3: its STOP came while INTERIMs were missing, and waits for them (stopGraceSeconds).
        if (acr.recordType === RecordType.INTERIM) {
          // A late one: its number and containers join the record; the STOP stays its last ACR.
          this.trackNumber(out, s, d, acr.recordNumber);
          absorbServiceInformation(d, acr.serviceInformation, this.dict);
          s.lastSeenAt = at;
          s.counters.acrs = (s.counters.acrs ?? 0n) + 1n;
          if (d.recordNumbers.missing.length > 0) {
            out.batch.sessionUpserts = [s];
            return out;
          }
          this.untrack(key);
          this.rememberClosed(key, d.recordNumbers, at);
          out.batch.cdrs = [this.stoppedCdr(s)];
          out.batch.sessionDeletes = [{ sessionId: s.sessionId, subSessionId: s.subSessionId }];
          return out;
        }
        // Anything else ends the wait: the record closes as its STOP said, then this ACR is taken on its own
        // (a START opens the key again, so its row is rewritten rather than deleted).
        this.untrack(key);
        const stopped = this.stoppedCdr(s);
        if (acr.recordType !== RecordType.START) this.rememberClosed(key, d.recordNumbers, at);
        const next = this.applyOne(req, acr);
        next.batch.cdrs = [stopped, ...(next.batch.cdrs ?? [])];
        if (!next.batch.sessionUpserts?.some((u) => u === this.sessions.get(key))) {
          next.batch.sessionDeletes = [{ sessionId: s.sessionId, subSessionId: s.subSessionId }, ...(next.batch.sessionDeletes ?? [])];
        }
        return next;
      }
      if (acr.recordType === RecordType.START) {
        // START for a session already open: close the old record as incomplete, open a new one (§5.2 impl).
        this.note(out, s, 'startForOpenSession');
        this.count('aCRStopLost');
        const old = this.close(expand(this.dict, d), acr, s.openedAt, lastEventTime(s, d), this.causeAbnormal(d, acr), [...s.anomalies, 'aCRStopLost', 'startForOpenSession'], s);
        const fresh = this.open(req, acr, at, ['startForOpenSession']);
        out.batch.cdrs = [old];
        out.batch.sessionUpserts = [fresh];
        return out;
      }
      this.trackNumber(out, s, d, acr.recordNumber);
      d.lastEventAt = t.getTime();
      absorbServiceInformation(d, acr.serviceInformation, this.dict);
      s.lastRecordNumber = Math.max(s.lastRecordNumber, acr.recordNumber);
      s.recordType = acr.recordType as AccountingSession['recordType'];
      s.lastSeenAt = at;
      s.counters.acrs = (s.counters.acrs ?? 0n) + 1n;
      if (acr.interimInterval !== undefined && interim === undefined) s.interimInterval = acr.interimInterval;
      if (acr.recordType === RecordType.STOP) {
        const grace = this.settings.stopGraceSeconds;
        if (grace > 0 && d.recordNumbers.missing.length > 0) {
          // §5.3: INTERIMs are still missing: the record waits a little for them (late ones are merged),
          // then closes as this STOP says. It is stored with the STOP as its last ACR, so the wait survives
          // a restart; supervision ends it (supervise).
          d.last = rawBinary(req);
          d.stopped = { at: t.getTime(), retransmitted: acr.retransmitted };
          const expiresAt = new Date(at.getTime() + grace * 1000);
          this.deadlines.move(s, s.expiresAt?.getTime(), expiresAt.getTime());
          s.expiresAt = expiresAt;
          out.batch.sessionUpserts = [s];
          if (acr.subSessionId === undefined && this.subSessions.size > 0) this.stopSubSessions(req, acr, t, at, out);
          return out;
        }
        const anomalies = [...s.anomalies];
        if (d.recordNumbers.missing.length) anomalies.push('aCRInterimLost');
        if (anomalies.includes('aCRInterimLost')) this.count('aCRInterimLost');
        // The STOP is the last ACR of the record: its JSON form is made here, not kept.
        const cdr = this.close(expand(this.dict, d, undefined, acrJson(req, acr.serviceInformation)), acr, s.openedAt, t, Cause.PGW_NORMAL, anomalies, s, acr.retransmitted, { byStop: true });
        this.untrack(key);
        this.rememberClosed(key, d.recordNumbers, at);
        out.batch.cdrs = [cdr];
        out.batch.sessionDeletes = [{ sessionId: s.sessionId, subSessionId: s.subSessionId }];
        if (acr.subSessionId === undefined && this.subSessions.size > 0) this.stopSubSessions(req, acr, t, at, out);
        return out;
      }
      d.last = rawBinary(req);
      const expiresAt = this.supervisionDeadline(s, at);
      this.deadlines.move(s, s.expiresAt?.getTime(), expiresAt.getTime());
      s.expiresAt = expiresAt;
      const partial = this.partialDue(s, d, t);
      if (partial) {
        out.batch.cdrs = [partial];
        this.counters.partials++;
      }
      out.batch.sessionUpserts = [s];
      return out;
    }

    // No open session for the key.
    if (acr.recordType === RecordType.START) {
      const fresh = this.open(req, acr, at, []);
      out.batch.sessionUpserts = [fresh];
      return out;
    }
    if (acr.recordType === RecordType.INTERIM) {
      // §5.2: stateless rule — accept; open a record from this INTERIM with aCRStartLost.
      const fresh = this.open(req, acr, at, ['aCRStartLost']);
      this.note(out, fresh, 'aCRStartLost');
      out.batch.sessionUpserts = [fresh];
      return out;
    }
    if (acr.subSessionId === undefined && this.subSessions.has(acr.sessionId)) {
      // §5.1: a STOP without Accounting-Sub-Session-Id ends the sub-sessions of its Session-Id; a copy of it
      // is then a duplicate of this key.
      this.stopSubSessions(req, acr, t, at, out);
      this.rememberClosed(key, { max: acr.recordNumber, missing: NO_MISSING }, at);
      return out;
    }
    // STOP without START: a CDR built only from the STOP, aCRStartLost.
    this.count('aCRStartLost');
    out.anomalies.push('aCRStartLost');
    const kept = this.newKept(req, acr);
    const data = expand(this.dict, kept, acrJson(req, acr.serviceInformation));
    const cdr = this.close(data, acr, t, t, Cause.PGW_NORMAL, ['aCRStartLost'], undefined, acr.retransmitted, { byStop: true, stopOnly: true });
    this.rememberClosed(key, kept.recordNumbers, at);
    out.batch.cdrs = [cdr];
    return out;
  }

  /**
   * accounting-rf.md §5.1: a STOP without Accounting-Sub-Session-Id closes every open sub-session of its
   * Session-Id, each with a CDR closed by that STOP (normal release, the STOP as its last ACR). The STOP's
   * service data containers are not added to them: which sub-session they belong to is unknown, and adding
   * them to each would count their volumes several times.
   */
  private stopSubSessions(req: Message, acr: AcrFields, t: Date, at: Date, out: Outcome): void {
    const keys = this.subSessions.get(acr.sessionId);
    if (!keys) return;
    const stop = acrJson(req, acr.serviceInformation);
    const cdrs = (out.batch.cdrs ??= []);
    const deletes = (out.batch.sessionDeletes ??= []);
    for (const key of [...keys]) {
      const s = this.sessions.get(key)!;
      const d = s.data as unknown as KeptData;
      const anomalies = d.recordNumbers.missing.length ? [...s.anomalies, 'aCRInterimLost'] : [...s.anomalies];
      if (d.recordNumbers.missing.length) this.count('aCRInterimLost');
      cdrs.push(this.close(expand(this.dict, d, undefined, stop), acr, s.openedAt, t, Cause.PGW_NORMAL, anomalies, s, acr.retransmitted, { byStop: true }));
      deletes.push({ sessionId: s.sessionId, subSessionId: s.subSessionId });
      this.untrack(key);
      this.rememberClosed(key, d.recordNumbers, at);
    }
  }

  private note(out: Outcome, s: AccountingSession, anomaly: string): void {
    this.count(anomaly);
    out.anomalies.push(anomaly);
    if (!s.anomalies.includes(anomaly)) s.anomalies = [...s.anomalies, anomaly];
  }

  private trackNumber(out: Outcome, s: AccountingSession, d: KeptData, n: number): void {
    const rn = d.recordNumbers;
    if (n > rn.max + 1) {
      if (rn.missing === NO_MISSING) rn.missing = [];
      for (let i = rn.max + 1; i < n && rn.missing.length < 64; i++) rn.missing.push(i);
      this.note(out, s, 'recordNumberGap');
    } else if (n < rn.max) {
      rn.missing = rn.missing.filter((x) => x !== n);
      this.note(out, s, 'outOfOrder');
    }
    rn.max = Math.max(rn.max, n);
  }

  private causeAbnormal(d: KeptData, acr: AcrFields): number {
    return d.ps || acr.serviceContextId?.startsWith('32251') ? Cause.PGW_ABNORMAL : Cause.IMS_MANAGEMENT;
  }

  /** The state a record starts with, from the ACR that opens it. */
  private newKept(req: Message, acr: AcrFields): KeptData {
    const si = acr.serviceInformation;
    const d = new KeptData(rawBinary(req), acr.recordNumber, acr.eventTimestamp?.getTime());
    if (child(si, AVP_PS_INFORMATION)) d.ps = true;
    absorbServiceInformation(d, si, this.dict);
    return d;
  }

  private open(req: Message, acr: AcrFields, at: Date, anomalies: string[]): AccountingSession {
    const d = this.newKept(req, acr);
    d.originStateId = acr.originStateId ?? this.originStates.get(acr.originHost);
    const sessionId = ownText(acr.sessionId);
    const interimInterval = this.settings.interimInterval ?? acr.interimInterval;
    // Every property in the literal (expiresAt too), so the object keeps them all in one allocation.
    const s: AccountingSession = {
      sessionId,
      subSessionId: acr.subSessionId,
      originHost: this.intern(acr.originHost),
      originRealm: this.intern(acr.originRealm),
      state: 'open',
      recordType: acr.recordType as AccountingSession['recordType'],
      lastRecordNumber: acr.recordNumber,
      openedAt: acr.eventTimestamp === undefined ? at : this.shared(acr.eventTimestamp),
      lastSeenAt: at,
      expiresAt: this.deadline(interimInterval, at),
      interimInterval,
      serviceContextId: acr.serviceContextId === undefined ? undefined : this.intern(acr.serviceContextId),
      partialSequence: 0,
      counters: { acrs: 1n },
      anomalies: anomalies.length ? [...anomalies] : (NO_ANOMALIES as string[]),
      data: d as unknown as AccountingSession['data'],
    };
    this.track(keyOf(sessionId, s.subSessionId), s);
    return s;
  }

  /** Origin-Host, Origin-Realm and Service-Context-Id repeat across sessions: one copy of each is kept. */
  private readonly interned = new Map<string, string>();
  private intern(s: string): string {
    let v = this.interned.get(s);
    if (v === undefined) {
      v = ownText(s);
      if (this.interned.size < 10_000) this.interned.set(v, v);
    }
    return v;
  }

  /** §5.4: whether this INTERIM (event time `at`) closes a partial record; returns it. */
  private partialDue(s: AccountingSession, d: KeptData, at: Date): Cdr | undefined {
    // IMS records have no containers: only the time limit applies, with the IMS cause timeLimit (3).
    const pgw = this.causeAbnormal(d, { serviceContextId: s.serviceContextId } as AcrFields) === Cause.PGW_ABNORMAL;
    const cause = partialCause(this.settings, pgw, at.getTime() - s.openedAt.getTime(), d.volumes.length ? d.containers.concat(d.volumes) : d.containers);
    if (cause === undefined) return undefined;
    s.partialSequence++;
    const cdr = this.close(expand(this.dict, d), { recordType: RecordType.INTERIM, serviceContextId: s.serviceContextId } as AcrFields, s.openedAt, at, cause, [...s.anomalies], s);
    cdr.recordSequenceNumber = s.partialSequence;
    cdr.fields.recordSequenceNumber = s.partialSequence;
    // The next partial record continues the session from here.
    s.openedAt = at;
    d.containers = NO_CONTAINERS as JsonObject[];
    d.volumes = NO_CONTAINERS as JsonObject[];
    return cdr;
  }

  private close(
    d: SessionData,
    acr: AcrFields,
    openedAt: Date,
    closedAt: Date,
    cause: number,
    anomalies: string[],
    s?: AccountingSession,
    retransmission?: boolean,
    how: { byStop?: boolean; stopOnly?: boolean } = {},
  ): Cdr {
    this.counters.cdrs++;
    const partialSeq = s && s.partialSequence > 0 ? s.partialSequence + (acr.recordType === RecordType.INTERIM ? 0 : 1) : undefined;
    return buildCdr(
      { ...d, containers: d.containers.map(unkeyed), volumes: d.volumes?.map(unkeyed) },
      {
        id: newCdrId(),
        sessionId: s?.sessionId ?? acr.sessionId,
        subSessionId: s?.subSessionId ?? acr.subSessionId,
        originHost: s?.originHost ?? acr.originHost,
        originRealm: s?.originRealm ?? acr.originRealm,
        openedAt,
        closedAt,
        cause,
        anomalies,
        recordSequenceNumber: partialSeq,
        localRecordSequenceNumber: this.nextSequence(),
        serviceContextId: s?.serviceContextId ?? acr.serviceContextId,
        recordType: acr.recordType,
        retransmission,
        byStop: how.byStop,
        stopOnly: how.stopOnly,
      },
    );
  }

  /** Supervision (§5.5): closes every open session whose deadline passed; returns the batch to commit. */
  supervise(at: Date = this.now()): StoreBatch | undefined {
    const cdrs: Cdr[] = [];
    const deletes: { sessionId: string; subSessionId?: bigint }[] = [];
    const now = at.getTime();
    for (const s of this.deadlines.take(now)) {
      const deadline = s.expiresAt!.getTime();
      // Filed by the second: one of now's own second may be a few ms early; it waits for the next tick.
      if (deadline > now) {
        this.deadlines.add(s, deadline);
        continue;
      }
      const key = keyOf(s.sessionId, s.subSessionId);
      this.drop(key, s); // its deadline is gone already (take)
      if ((s.data as unknown as KeptData).stopped) {
        cdrs.push(this.stoppedCdr(s)); // §5.3: the grace after its STOP is over
      } else {
        cdrs.push(this.lostCdr(s, []));
        this.counters.supervisionClosed++;
      }
      this.rememberClosed(key, (s.data as unknown as KeptData).recordNumbers, at);
      deletes.push({ sessionId: s.sessionId, subSessionId: s.subSessionId });
    }
    return cdrs.length ? { cdrs, sessionDeletes: deletes } : undefined;
  }

  /**
   * §5.5, RFC 6733 §8.16: a CTF's Origin-State-Id, from an ACR or from the CER, CEA or DWR of its
   * connection. A value higher than the last one it told means the CTF restarted and lost its state: every
   * open session it opened under a lower value is closed now, as supervision would close it later
   * (aCRStopLost, closed at its last ACR's time), with `ctfRestarted` among its anomalies. Sessions opened
   * while no value was known for the CTF are left to supervision. Origin-Host is compared as sent. Their keys
   * are not remembered as closed: the restarted CTF cannot retransmit what it lost, so a record it sends
   * under a Session-Id it used before (test CTFs number their sessions) is new, not a duplicate. Returns
   * the batch to commit. A rare event: it walks all open sessions.
   */
  noteOriginState(originHost: string, originStateId: number): StoreBatch | undefined {
    if (!this.settings.closeOnCtfRestart || !Number.isInteger(originStateId)) return undefined;
    const prev = this.originStates.get(originHost);
    if (prev !== undefined && originStateId <= prev) return undefined;
    if (prev !== undefined || this.originStates.size < MAX_ORIGIN_STATES) this.originStates.set(ownText(originHost), originStateId);
    if (prev === undefined) return undefined;
    const cdrs: Cdr[] = [];
    const deletes: { sessionId: string; subSessionId?: bigint }[] = [];
    for (const [key, s] of this.sessions) {
      if (s.originHost !== originHost) continue;
      const osi = (s.data as unknown as KeptData).originStateId;
      if (osi === undefined || osi >= originStateId) continue;
      this.untrack(key);
      deletes.push({ sessionId: s.sessionId, subSessionId: s.subSessionId });
      if ((s.data as unknown as KeptData).stopped) {
        // Its STOP arrived before the restart: it closes as the STOP said, without waiting further.
        cdrs.push(this.stoppedCdr(s));
        continue;
      }
      cdrs.push(this.lostCdr(s, ['ctfRestarted']));
      this.counters.restartClosed++;
      this.count('ctfRestarted');
    }
    return cdrs.length ? { cdrs, sessionDeletes: deletes } : undefined;
  }

  /**
   * §5.3: the CDR of a session whose STOP waited for missing INTERIMs: closed by that STOP, at its time, with
   * aCRInterimLost if numbers are still missing. The caller has already stopped tracking it.
   */
  private stoppedCdr(s: AccountingSession): Cdr {
    const d = s.data as unknown as KeptData;
    const anomalies = [...s.anomalies];
    if (d.recordNumbers.missing.length) anomalies.push('aCRInterimLost');
    if (anomalies.includes('aCRInterimLost')) this.count('aCRInterimLost');
    const stop = { recordType: RecordType.STOP, serviceContextId: s.serviceContextId } as AcrFields;
    return this.close(expand(this.dict, d), stop, s.openedAt, new Date(d.stopped!.at), Cause.PGW_NORMAL, anomalies, s, d.stopped!.retransmitted, { byStop: true });
  }

  /**
   * §5.5: the CDR of an open session closed without its STOP (supervision, a CTF restart): incomplete
   * (aCRStopLost), IMS cause managementIntervention or P-GW abnormalRelease, closed at the time of the last
   * ACR received (its Event-Timestamp, on the CDR's clock). The caller has already stopped tracking it.
   */
  private lostCdr(s: AccountingSession, why: string[]): Cdr {
    const d = s.data as unknown as KeptData;
    const cause = this.causeAbnormal(d, { serviceContextId: s.serviceContextId } as AcrFields);
    this.count('aCRStopLost');
    return this.close(expand(this.dict, d), { recordType: RecordType.STOP, serviceContextId: s.serviceContextId } as AcrFields, s.openedAt, lastEventTime(s, d), cause, [...s.anomalies, 'aCRStopLost', ...why], s);
  }

  /** Open sessions filed by deadline and the seconds they are filed under (tests, diagnostics). */
  get supervisionIndex(): { sessions: number; seconds: number } {
    return { sessions: this.deadlines.size, seconds: this.deadlines.buckets };
  }
}

/** When the last ACR of the session happened: its Event-Timestamp, else when it was received. */
function lastEventTime(s: AccountingSession, d: KeptData): Date {
  return d.lastEventAt !== undefined ? new Date(d.lastEventAt) : s.lastSeenAt;
}

/** A kept container as the CDR lists it: without the key it was de-duplicated by. */
function unkeyed({ __key: _k, ...c }: JsonObject): JsonObject {
  return c;
}
