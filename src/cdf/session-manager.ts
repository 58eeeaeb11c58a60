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
import { randomUUID } from 'node:crypto';
import type { Message } from '../codec/types.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { avpToJson, type JsonValue as MsgJson } from '../dictionary/message-format.js';
import { RecordType, type AcrFields } from './acr.js';
import { buildCdr, containerKey, imsCauseCode, mapContainer, mergeIms, namedAvps, type Named, type SessionData } from './cdr-builder.js';
import type { AccountingSession, Cdr, StoreBatch } from './store.js';

export interface CdfSettings {
  /** Acct-Interim-Interval the CDF imposes in ACA START/INTERIM (seconds); undefined = none. */
  interimInterval?: number;
  /** Supervision: close a silent session after interval × factor (accounting-rf.md §5.5). */
  supervisionFactor: number;
  /** Without any interim interval: maximum inactivity before supervision closes a session (seconds). */
  maxInactivity: number;
  /** Partial CDR limits (§5.4); 0 = off. */
  partialTimeLimit: number;
  partialVolumeLimit: number;
  partialMaxContainers: number;
  /**
   * How long the (Session-Id, Accounting-Record-Number) keys of closed sessions and EVENTs are remembered
   * (seconds), so a duplicate STOP or EVENT is answered again without a second CDR (RFC 6733 §9.6,
   * accounting-rf.md §1.6, §5.2 "keep the duplicate key for the dedup window").
   */
  closedKeyWindow: number;
  /** At most this many closed keys are remembered (oldest forgotten first). */
  closedKeyLimit: number;
}

export const DEFAULT_CDF_SETTINGS: CdfSettings = {
  interimInterval: undefined,
  supervisionFactor: 2,
  maxInactivity: 3600,
  partialTimeLimit: 0,
  partialVolumeLimit: 0,
  partialMaxContainers: 0,
  closedKeyWindow: 600,
  closedKeyLimit: 100_000,
};

/** TS 32.298 closing causes used here (accounting-rf.md §6.4). */
export const Cause = {
  IMS_NORMAL: 0,
  IMS_UNSUCCESSFUL: 1,
  IMS_TIME_LIMIT: 3,
  IMS_MANAGEMENT: 5,
  PGW_NORMAL: 0,
  PGW_ABNORMAL: 4,
  PGW_VOLUME_LIMIT: 16,
  PGW_TIME_LIMIT: 17,
  PGW_MAX_CHANGE_COND: 19,
} as const;

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
  partials: number;
}

function keyOf(sessionId: string, sub?: bigint): string {
  return sub === undefined ? sessionId : `${sessionId}\u0000${sub}`;
}

/** The record numbers of a closed session (or an EVENT's key), kept for duplicate detection. */
interface ClosedKey {
  max: number;
  missing: number[];
  /** ms since the epoch (CDF clock) when the key was closed. */
  at: number;
}

export class SessionManager {
  readonly sessions = new Map<string, AccountingSession>();
  readonly counters: CdfCounters = { acrs: 0, duplicates: 0, cdrs: 0, anomalies: {}, supervisionClosed: 0, partials: 0 };
  /** localRecordSequenceNumbers: the current block [next, end) and the next block, from CdrStore.allocateSequence. */
  private seq = { next: 1, end: Number.POSITIVE_INFINITY, bounded: false };
  private spareSeq: { first: number; count: number } | undefined;
  /** Closed keys, oldest first (Map insertion order). */
  private readonly closed = new Map<string, ClosedKey>();

  constructor(
    readonly dict: Dictionary,
    readonly settings: CdfSettings = DEFAULT_CDF_SETTINGS,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Resumes open sessions loaded from the store after a restart. */
  restore(s: AccountingSession): void {
    this.sessions.set(keyOf(s.sessionId, s.subSessionId), s);
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

  private rememberClosed(key: string, numbers: { max: number; missing: number[] }, at: Date): void {
    const now = at.getTime();
    this.closed.delete(key);
    this.closed.set(key, { max: numbers.max, missing: [...numbers.missing], at: now });
    const windowMs = this.settings.closedKeyWindow * 1000;
    for (const [k, c] of this.closed) {
      if (this.closed.size > this.settings.closedKeyLimit || now - c.at > windowMs) this.closed.delete(k);
      else break;
    }
  }

  /**
   * After the commit of an ACR's batch failed (the CTF got 4002 and will send the record again): drop what
   * memory holds for the key and take what the store holds, so the retry is applied, not taken for a
   * duplicate. `stored` undefined: the store has no open session for the key.
   */
  rollback(sessionId: string, subSessionId: bigint | undefined, stored: AccountingSession | undefined): void {
    const key = keyOf(sessionId, subSessionId);
    this.closed.delete(key);
    if (stored && stored.state === 'open') this.sessions.set(key, stored);
    else this.sessions.delete(key);
  }

  /** After a failed commit when the store cannot even be read: at least do not swallow the retry. */
  forgetClosed(sessionId: string, subSessionId: bigint | undefined): void {
    this.closed.delete(keyOf(sessionId, subSessionId));
  }

  /** §5.3 / RFC 6733 §9.6: a record number already seen for a closed session or EVENT key. */
  private closedDuplicate(key: string, n: number, at: Date): boolean {
    const c = this.closed.get(key);
    if (!c) return false;
    if (at.getTime() - c.at > this.settings.closedKeyWindow * 1000) {
      this.closed.delete(key);
      return false;
    }
    return n <= c.max && !c.missing.includes(n);
  }

  private count(anomaly: string): void {
    this.counters.anomalies[anomaly] = (this.counters.anomalies[anomaly] ?? 0) + 1;
  }

  private supervisionDeadline(s: AccountingSession, at: Date): Date {
    const interval = s.interimInterval;
    const secs = interval ? interval * this.settings.supervisionFactor : this.settings.maxInactivity;
    return new Date(at.getTime() + secs * 1000);
  }

  /** Applies one ACR. */
  apply(req: Message, acr: AcrFields): Outcome {
    this.counters.acrs++;
    // `at`: when the CDF received the record (supervision runs on this clock). `t`: when the event happened
    // per the CTF (Event-Timestamp, else `at`); CDR times come from it, so a record's times share one clock.
    const at = this.now();
    const t = acr.eventTimestamp ?? at;
    const key = keyOf(acr.sessionId, acr.subSessionId);
    const s = this.sessions.get(key);
    const interim = this.settings.interimInterval;
    // Acct-Interim-Interval only in the ACA of records that leave a session open (RFC 6733 §9.8.2).
    const keepsOpen = acr.recordType === RecordType.START || acr.recordType === RecordType.INTERIM;
    const out: Outcome = { batch: {}, duplicate: false, anomalies: [], interimInterval: keepsOpen ? interim : undefined };
    const info = (): Named => {
      if (!acr.serviceInformation) return {};
      const j = avpToJson(acr.serviceInformation, this.dict);
      return namedAvps((j['Service-Information'] ?? j.avps ?? []) as MsgJson);
    };

    if ((!s || s.state !== 'open') && this.closedDuplicate(key, acr.recordNumber, at)) {
      // A copy of a STOP or EVENT already turned into a CDR: answer again, write nothing.
      this.counters.duplicates++;
      out.duplicate = true;
      return out;
    }

    if (acr.recordType === RecordType.EVENT) {
      const si = info();
      const data = this.newData(req, acr, si);
      const cause = imsCauseCode(si) >= 1 ? Cause.IMS_UNSUCCESSFUL : Cause.IMS_NORMAL;
      const cdr = this.close(data, acr, t, t, cause, [], undefined, acr.retransmitted);
      const prev = this.closed.get(key);
      this.rememberClosed(key, { max: Math.max(acr.recordNumber, prev?.max ?? -1), missing: prev?.missing ?? [] }, at);
      out.batch.cdrs = [cdr];
      return out;
    }

    if (s && s.state === 'open') {
      const d = s.data as unknown as SessionData;
      const rn = d.recordNumbers;
      // §5.3: the same number again is a duplicate: answer again, change nothing.
      if (acr.recordNumber === s.lastRecordNumber || (acr.recordNumber < rn.max && !rn.missing.includes(acr.recordNumber))) {
        this.counters.duplicates++;
        out.duplicate = true;
        return out;
      }
      if (acr.recordType === RecordType.START) {
        // START for a session already open: close the old record as incomplete, open a new one (§5.2 impl).
        this.note(out, s, 'startForOpenSession');
        this.count('aCRStopLost');
        const old = this.close(d, acr, s.openedAt, lastEventTime(s, d), this.causeAbnormal(d, acr), [...s.anomalies, 'aCRStopLost', 'startForOpenSession'], s);
        const fresh = this.open(req, acr, info(), at, ['startForOpenSession']);
        out.batch.cdrs = [old];
        out.batch.sessionUpserts = [fresh];
        return out;
      }
      this.trackNumber(out, s, d, acr.recordNumber);
      const si = info();
      d.lastInfo = si;
      d.rawLast = avpsJson(req, this.dict);
      d.lastEventTime = t.toISOString();
      mergeIms(d, si);
      this.addContainers(d, si);
      s.lastRecordNumber = Math.max(s.lastRecordNumber, acr.recordNumber);
      s.recordType = acr.recordType as AccountingSession['recordType'];
      s.lastSeenAt = at;
      s.counters.acrs = (s.counters.acrs ?? 0n) + 1n;
      if (acr.interimInterval !== undefined && interim === undefined) s.interimInterval = acr.interimInterval;
      if (acr.recordType === RecordType.STOP) {
        const anomalies = [...s.anomalies];
        if (d.recordNumbers.missing.length) anomalies.push('aCRInterimLost');
        if (anomalies.includes('aCRInterimLost')) this.count('aCRInterimLost');
        const cdr = this.close(d, acr, s.openedAt, t, Cause.PGW_NORMAL, anomalies, s, acr.retransmitted, { byStop: true });
        this.sessions.delete(key);
        this.rememberClosed(key, d.recordNumbers, at);
        out.batch.cdrs = [cdr];
        out.batch.sessionDeletes = [{ sessionId: s.sessionId, subSessionId: s.subSessionId }];
        return out;
      }
      s.expiresAt = this.supervisionDeadline(s, at);
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
      const fresh = this.open(req, acr, info(), at, []);
      out.batch.sessionUpserts = [fresh];
      return out;
    }
    if (acr.recordType === RecordType.INTERIM) {
      // §5.2: stateless rule — accept; open a record from this INTERIM with aCRStartLost.
      const fresh = this.open(req, acr, info(), at, ['aCRStartLost']);
      this.note(out, fresh, 'aCRStartLost');
      out.batch.sessionUpserts = [fresh];
      return out;
    }
    // STOP without START: a CDR built only from the STOP, aCRStartLost.
    this.count('aCRStartLost');
    out.anomalies.push('aCRStartLost');
    const data = this.newData(req, acr, info());
    const cdr = this.close(data, acr, t, t, Cause.PGW_NORMAL, ['aCRStartLost'], undefined, acr.retransmitted, { byStop: true, stopOnly: true });
    this.rememberClosed(key, data.recordNumbers, at);
    out.batch.cdrs = [cdr];
    return out;
  }

  private note(out: Outcome, s: AccountingSession, anomaly: string): void {
    this.count(anomaly);
    out.anomalies.push(anomaly);
    if (!s.anomalies.includes(anomaly)) s.anomalies.push(anomaly);
  }

  private trackNumber(out: Outcome, s: AccountingSession, d: SessionData, n: number): void {
    const rn = d.recordNumbers;
    if (n > rn.max + 1) {
      for (let i = rn.max + 1; i < n && rn.missing.length < 64; i++) rn.missing.push(i);
      this.note(out, s, 'recordNumberGap');
    } else if (n < rn.max) {
      rn.missing = rn.missing.filter((x) => x !== n);
      this.note(out, s, 'outOfOrder');
    }
    rn.max = Math.max(rn.max, n);
  }

  private causeAbnormal(d: SessionData, acr: AcrFields): number {
    return d.info['PS-Information'] !== undefined || acr.serviceContextId?.startsWith('32251') ? Cause.PGW_ABNORMAL : Cause.IMS_MANAGEMENT;
  }

  private newData(req: Message, acr: AcrFields, si: Named): SessionData {
    const d: SessionData = {
      info: si,
      top: namedAvps(avpsJson(req, this.dict)),
      containers: [],
      rawFirst: avpsJson(req, this.dict),
      recordNumbers: { max: acr.recordNumber, missing: [] },
      lastEventTime: acr.eventTimestamp?.toISOString(),
    };
    this.addContainers(d, si);
    return d;
  }

  private open(req: Message, acr: AcrFields, si: Named, at: Date, anomalies: string[]): AccountingSession {
    const d = this.newData(req, acr, si);
    const s: AccountingSession = {
      sessionId: acr.sessionId,
      subSessionId: acr.subSessionId,
      originHost: acr.originHost,
      originRealm: acr.originRealm,
      state: 'open',
      recordType: acr.recordType as AccountingSession['recordType'],
      lastRecordNumber: acr.recordNumber,
      openedAt: acr.eventTimestamp ?? at,
      lastSeenAt: at,
      interimInterval: this.settings.interimInterval ?? acr.interimInterval,
      serviceContextId: acr.serviceContextId,
      partialSequence: 0,
      counters: { acrs: 1n },
      anomalies: [...anomalies],
      data: d as unknown as AccountingSession['data'],
    };
    s.expiresAt = this.supervisionDeadline(s, at);
    this.sessions.set(keyOf(s.sessionId, s.subSessionId), s);
    return s;
  }

  private addContainers(d: SessionData, si: Named): void {
    const ps = si['PS-Information']?.[0] as Named | undefined;
    if (!ps) return;
    const seen = new Set(d.containers.map((c) => String(c.__key)));
    for (const c of ps['Service-Data-Container'] ?? []) {
      const k = containerKey(c as Named);
      if (seen.has(k)) continue; // never count the same container twice (§5.2)
      seen.add(k);
      d.containers.push({ ...mapContainer(c as Named), __key: k });
    }
  }

  /** §5.4: whether this INTERIM (event time `at`) closes a partial record; returns it. */
  private partialDue(s: AccountingSession, d: SessionData, at: Date): Cdr | undefined {
    const st = this.settings;
    // IMS records have no containers: only the time limit applies, with the IMS cause timeLimit (3).
    const pgw = this.causeAbnormal(d, { serviceContextId: s.serviceContextId } as AcrFields) === Cause.PGW_ABNORMAL;
    let cause: number | undefined;
    if (st.partialTimeLimit && at.getTime() - s.openedAt.getTime() >= st.partialTimeLimit * 1000) cause = pgw ? Cause.PGW_TIME_LIMIT : Cause.IMS_TIME_LIMIT;
    else if (!pgw) return undefined;
    else if (st.partialMaxContainers && d.containers.length >= st.partialMaxContainers) cause = Cause.PGW_MAX_CHANGE_COND;
    else if (st.partialVolumeLimit) {
      let vol = 0n;
      for (const c of d.containers) vol += BigInt(String(c.datavolumeFBCUplink ?? 0)) + BigInt(String(c.datavolumeFBCDownlink ?? 0));
      if (vol >= BigInt(st.partialVolumeLimit)) cause = Cause.PGW_VOLUME_LIMIT;
    }
    if (cause === undefined) return undefined;
    s.partialSequence++;
    const cdr = this.close(d, { recordType: RecordType.INTERIM, serviceContextId: s.serviceContextId } as AcrFields, s.openedAt, at, cause, [...s.anomalies], s);
    cdr.recordSequenceNumber = s.partialSequence;
    cdr.fields.recordSequenceNumber = s.partialSequence;
    // The next partial record continues the session from here.
    s.openedAt = at;
    d.containers = [];
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
      { ...d, containers: d.containers.map(({ __key: _k, ...c }) => c) },
      {
        id: randomUUID(),
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
    for (const [key, s] of this.sessions) {
      if (!s.expiresAt || s.expiresAt.getTime() > at.getTime()) continue;
      const d = s.data as unknown as SessionData;
      const cause = this.causeAbnormal(d, { serviceContextId: s.serviceContextId } as AcrFields);
      // §5.5: recordClosureTime = time of the last ACR received (its Event-Timestamp, on the CDR's clock).
      cdrs.push(this.close(d, { recordType: RecordType.STOP, serviceContextId: s.serviceContextId } as AcrFields, s.openedAt, lastEventTime(s, d), cause, [...s.anomalies, 'aCRStopLost'], s));
      deletes.push({ sessionId: s.sessionId, subSessionId: s.subSessionId });
      this.sessions.delete(key);
      this.rememberClosed(key, d.recordNumbers, at);
      this.counters.supervisionClosed++;
      this.count('aCRStopLost');
    }
    return cdrs.length ? { cdrs, sessionDeletes: deletes } : undefined;
  }
}

/** When the last ACR of the session happened: its Event-Timestamp, else when it was received. */
function lastEventTime(s: AccountingSession, d: SessionData): Date {
  return d.lastEventTime ? new Date(d.lastEventTime) : s.lastSeenAt;
}

function avpsJson(req: Message, dict: Dictionary): MsgJson {
  return req.avps.map((a) => avpToJson(a, dict));
}
