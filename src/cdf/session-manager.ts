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
import { imsCauseCode } from './cdr-builder.js';
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
import { RecordCloser, lastEventTime } from './record-closer.js';
import { publishAnomaly, type AnomalyDetail, type AnomalySubject } from './anomaly-events.js';
import { OriginStates } from './origin-states.js';
import { SequenceBlocks } from './sequence-blocks.js';
import { SharedValues } from './shared-values.js';
import { SubSessionIndex } from './sub-sessions.js';

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

/** Shared empty lists (a session copies on its first write): most sessions never need their own. */
const NO_ANOMALIES: readonly string[] = Object.freeze([]);

export class SessionManager {
  readonly sessions = new Map<string, AccountingSession>();
  readonly counters: CdfCounters = { acrs: 0, duplicates: 0, cdrs: 0, anomalies: {}, supervisionClosed: 0, restartClosed: 0, partials: 0 };
  /** localRecordSequenceNumbers, from blocks the store reserves (RfApplication asks for them). */
  readonly sequence = new SequenceBlocks();
  /** What a closed record holds: the CDR of each way a record ends. */
  private readonly closer: RecordCloser;
  /** Keys of closed sessions and EVENTs, for duplicate detection. */
  private readonly closed: ClosedKeys;
  /** The open sessions by supervision deadline (expiresAt): every change of `sessions` goes through track/untrack. */
  private readonly deadlines = new DeadlineIndex<AccountingSession>();
  /** Open sessions with an Accounting-Sub-Session-Id, by Session-Id (§5.1). */
  private readonly subSessions = new SubSessionIndex();
  /** The highest Origin-State-Id each CTF told, for restart detection (§5.5). */
  private readonly originStates = new OriginStates();
  /** Origin-Hosts, realms, Service-Context-Ids and instants, kept once across sessions. */
  private readonly values = new SharedValues();

  constructor(
    readonly dict: Dictionary,
    readonly settings: CdfSettings = DEFAULT_CDF_SETTINGS,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.closed = new ClosedKeys(settings.closedKeyWindow, settings.closedKeyLimit);
    this.closer = new RecordCloser(dict, this.counters, this.sequence);
  }

  /** Resumes open sessions loaded from the store after a restart. */
  restore(s: AccountingSession): void {
    const d = keptOf(s.data, this.dict);
    s.data = d as unknown as AccountingSession['data'];
    this.track(keyOf(s.sessionId, s.subSessionId), s);
    // What the CTF told before the restart: a higher Origin-State-Id from it now closes these sessions.
    const osi = d.originStateId;
    if (osi !== undefined) this.originStates.seed(s.originHost, osi);
  }

  /** Makes `s` the open session of `key` (replacing any other) and files its supervision deadline. */
  private track(key: string, s: AccountingSession): void {
    const prev = this.sessions.get(key);
    if (prev && prev !== s && prev.expiresAt) this.deadlines.delete(prev, prev.expiresAt.getTime());
    this.sessions.set(key, s);
    if (s.expiresAt) this.deadlines.add(s, s.expiresAt.getTime());
    if (s.subSessionId !== undefined) this.subSessions.add(s.sessionId, key);
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
    if (s.subSessionId !== undefined) this.subSessions.delete(s.sessionId, key);
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

  private count(anomaly: string, on: AnomalySubject, detail?: AnomalyDetail): void {
    this.closer.count(anomaly, on, detail);
  }

  private supervisionDeadline(s: AccountingSession, at: Date): Date {
    return this.deadline(s.interimInterval, at);
  }

  private deadline(interval: number | undefined, at: Date): Date {
    const secs = interval ? interval * this.settings.supervisionFactor : this.settings.maxInactivity;
    return this.values.date(new Date(at.getTime() + secs * 1000));
  }

  /** Applies one ACR. */
  apply(req: Message, acr: AcrFields): Outcome {
    this.counters.acrs++;
    return this.applyOne(req, acr);
  }

  private applyOne(req: Message, acr: AcrFields): Outcome {
    // `at`: when the CDF received the record (supervision runs on this clock). `t`: when the event happened
    // per the CTF (Event-Timestamp, else `at`); CDR times come from it, so a record's times share one clock.
    const at = this.values.date(this.now());
    const t = acr.eventTimestamp === undefined ? at : this.values.date(acr.eventTimestamp);
    const key = keyOf(acr.sessionId, acr.subSessionId);
    const s = this.sessions.get(key);
    const interim = this.settings.interimInterval;
    // Acct-Interim-Interval only in the ACA of records that leave a session open (RFC 6733 §9.8.2).
    const keepsOpen = acr.recordType === RecordType.START || acr.recordType === RecordType.INTERIM;
    const out: Outcome = { batch: {}, duplicate: false, anomalies: [], interimInterval: keepsOpen ? interim : undefined };

    if ((!s || s.state !== 'open') && this.closedDuplicate(key, acr.recordNumber, at)) {
      // A copy of a STOP or EVENT already turned into a CDR: answer again, write nothing.
      this.counters.duplicates++;
      publishAnomaly('duplicate', acr, { recordNumber: acr.recordNumber, retransmitted: acr.retransmitted });
      out.duplicate = true;
      return out;
    }

    if (acr.recordType === RecordType.EVENT) {
      const data = expand(this.dict, this.newKept(req, acr), acrJson(req, acr.serviceInformation));
      const cause = imsCauseCode(data.info) >= 1 ? Cause.IMS_UNSUCCESSFUL : Cause.IMS_NORMAL;
      const cdr = this.closer.close(data, acr, t, t, cause, [], undefined, acr.retransmitted);
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
        publishAnomaly('duplicate', s, { recordNumber: acr.recordNumber, lastRecordNumber: rn.max, retransmitted: acr.retransmitted });
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
          out.batch.cdrs = [this.closer.afterWait(s)];
          out.batch.sessionDeletes = [{ sessionId: s.sessionId, subSessionId: s.subSessionId }];
          return out;
        }
        // Anything else ends the wait: the record closes as its STOP said, then this ACR is taken on its own
        // (a START opens the key again, so its row is rewritten rather than deleted).
        this.untrack(key);
        const stopped = this.closer.afterWait(s);
        if (acr.recordType !== RecordType.START) this.rememberClosed(key, d.recordNumbers, at);
        const next = this.applyOne(req, acr);
        next.batch.cdrs = [stopped, ...(next.batch.cdrs ?? [])];
        if (!this.sessions.has(key)) {
          next.batch.sessionDeletes = [{ sessionId: s.sessionId, subSessionId: s.subSessionId }, ...(next.batch.sessionDeletes ?? [])];
        }
        return next;
      }
      if (acr.recordType === RecordType.START) {
        // START for a session already open: close the old record as incomplete, open a new one (§5.2 impl).
        this.note(out, s, 'startForOpenSession', { recordNumber: acr.recordNumber, lastRecordNumber: s.lastRecordNumber });
        this.count('aCRStopLost', s, { lastRecordNumber: s.lastRecordNumber, closedBy: 'startForOpenSession' });
        const old = this.closer.close(expand(this.dict, d), acr, s.openedAt, lastEventTime(s, d), this.closer.causeAbnormal(d, acr.serviceContextId), [...s.anomalies, 'aCRStopLost', 'startForOpenSession'], s);
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
        // The STOP is the last ACR of the record: its JSON form is made here, not kept.
        const cdr = this.closer.byStop(s, t, acr.retransmitted, acrJson(req, acr.serviceInformation));
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
      this.note(out, fresh, 'aCRStartLost', { recordNumber: acr.recordNumber });
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
    this.count('aCRStartLost', acr, { recordNumber: acr.recordNumber });
    out.anomalies.push('aCRStartLost');
    const kept = this.newKept(req, acr);
    const data = expand(this.dict, kept, acrJson(req, acr.serviceInformation));
    const cdr = this.closer.close(data, acr, t, t, Cause.PGW_NORMAL, ['aCRStartLost'], undefined, acr.retransmitted, { byStop: true, stopOnly: true });
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
    const keys = this.subSessions.keysOf(acr.sessionId);
    if (keys.length === 0) return;
    const stop = acrJson(req, acr.serviceInformation);
    const cdrs = (out.batch.cdrs ??= []);
    const deletes = (out.batch.sessionDeletes ??= []);
    for (const key of keys) {
      const s = this.sessions.get(key)!;
      const d = s.data as unknown as KeptData;
      cdrs.push(this.closer.byStop(s, t, acr.retransmitted, stop));
      deletes.push({ sessionId: s.sessionId, subSessionId: s.subSessionId });
      this.untrack(key);
      this.rememberClosed(key, d.recordNumbers, at);
    }
  }

  private note(out: Outcome, s: AccountingSession, anomaly: string, detail: AnomalyDetail): void {
    this.count(anomaly, s, detail);
    out.anomalies.push(anomaly);
    if (!s.anomalies.includes(anomaly)) s.anomalies = [...s.anomalies, anomaly];
  }

  private trackNumber(out: Outcome, s: AccountingSession, d: KeptData, n: number): void {
    const rn = d.recordNumbers;
    if (n > rn.max + 1) {
      if (rn.missing === NO_MISSING) rn.missing = [];
      for (let i = rn.max + 1; i < n && rn.missing.length < 64; i++) rn.missing.push(i);
      this.note(out, s, 'recordNumberGap', { recordNumber: n, lastRecordNumber: rn.max, missing: rn.missing });
    } else if (n < rn.max) {
      rn.missing = rn.missing.filter((x) => x !== n);
      this.note(out, s, 'outOfOrder', { recordNumber: n, lastRecordNumber: rn.max, missing: rn.missing });
    }
    rn.max = Math.max(rn.max, n);
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
      originHost: this.values.text(acr.originHost),
      originRealm: this.values.text(acr.originRealm),
      state: 'open',
      recordType: acr.recordType as AccountingSession['recordType'],
      lastRecordNumber: acr.recordNumber,
      openedAt: acr.eventTimestamp === undefined ? at : this.values.date(acr.eventTimestamp),
      lastSeenAt: at,
      expiresAt: this.deadline(interimInterval, at),
      interimInterval,
      serviceContextId: acr.serviceContextId === undefined ? undefined : this.values.text(acr.serviceContextId),
      partialSequence: 0,
      counters: { acrs: 1n },
      anomalies: anomalies.length ? [...anomalies] : (NO_ANOMALIES as string[]),
      data: d as unknown as AccountingSession['data'],
    };
    this.track(keyOf(sessionId, s.subSessionId), s);
    return s;
  }

  /** §5.4: whether this INTERIM (event time `at`) closes a partial record; returns it. */
  private partialDue(s: AccountingSession, d: KeptData, at: Date): Cdr | undefined {
    // IMS records have no containers: only the time limit applies, with the IMS cause timeLimit (3).
    const pgw = this.closer.causeAbnormal(d, s.serviceContextId) === Cause.PGW_ABNORMAL;
    const cause = partialCause(this.settings, pgw, at.getTime() - s.openedAt.getTime(), d.volumes.length ? d.containers.concat(d.volumes) : d.containers);
    if (cause === undefined) return undefined;
    s.partialSequence++;
    const cdr = this.closer.close(expand(this.dict, d), { recordType: RecordType.INTERIM, serviceContextId: s.serviceContextId } as AcrFields, s.openedAt, at, cause, [...s.anomalies], s);
    cdr.recordSequenceNumber = s.partialSequence;
    cdr.fields.recordSequenceNumber = s.partialSequence;
    // The next partial record continues the session from here.
    s.openedAt = at;
    d.containers = NO_CONTAINERS as JsonObject[];
    d.volumes = NO_CONTAINERS as JsonObject[];
    return cdr;
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
        cdrs.push(this.closer.afterWait(s)); // §5.3: the grace after its STOP is over
      } else {
        cdrs.push(this.closer.lost(s, []));
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
    if (this.originStates.rise(originHost, originStateId) === undefined) return undefined;
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
        cdrs.push(this.closer.afterWait(s));
        continue;
      }
      cdrs.push(this.closer.lost(s, ['ctfRestarted']));
      this.counters.restartClosed++;
      this.count('ctfRestarted', s, { lastRecordNumber: s.lastRecordNumber });
    }
    return cdrs.length ? { cdrs, sessionDeletes: deletes } : undefined;
  }

  /** Open sessions filed by deadline and the seconds they are filed under (tests, diagnostics). */
  get supervisionIndex(): { sessions: number; seconds: number } {
    return { sessions: this.deadlines.size, seconds: this.deadlines.buckets };
  }
}
