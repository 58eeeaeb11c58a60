/**
 * Turning a session's state into the CDR that closes it (accounting-rf.md §5.2–§5.5, §6): the ways a record
 * ends — by its STOP, lost (supervision, a CTF restart), or cut as a partial record — each with the closing
 * cause and incomplete-CDR anomalies TS 32.298 asks for, and the CDF-wide sequence number. The session
 * manager decides when; this file says what the record then holds.
 */
import type { Dictionary } from '../dictionary/dictionary.js';
import { publishAnomaly, type AnomalyDetail, type AnomalySubject } from './anomaly-events.js';
import { RecordType, type AcrFields } from './acr.js';
import { buildCdr, type SessionData } from './cdr-builder.js';
import { Cause } from './cdf-settings.js';
import type { KeptData } from './kept-data.js';
import { expand, type AcrJson } from './record-data.js';
import type { SequenceBlocks } from './sequence-blocks.js';
import type { AccountingSession, Cdr, JsonObject } from './store.js';
import { newCdrId } from './store-records.js';

/** What the closer counts (part of the session manager's CdfCounters). */
export interface CloserCounters {
  cdrs: number;
  anomalies: Record<string, number>;
}

export class RecordCloser {
  constructor(
    private readonly dict: Dictionary,
    private readonly counters: CloserCounters,
    private readonly sequence: SequenceBlocks,
  ) {}

  /** Counts one anomaly of this name, on the session (or lone ACR) `on`, and publishes it (anomaly-events.ts). */
  count(anomaly: string, on: AnomalySubject, detail?: AnomalyDetail): void {
    this.counters.anomalies[anomaly] = (this.counters.anomalies[anomaly] ?? 0) + 1;
    publishAnomaly(anomaly, on, detail);
  }

  /** §6.4: IMS managementIntervention or P-GW abnormalRelease, by the kind of record. */
  causeAbnormal(d: KeptData, serviceContextId: string | undefined): number {
    return d.ps || serviceContextId?.startsWith('32251') ? Cause.PGW_ABNORMAL : Cause.IMS_MANAGEMENT;
  }

  /** A CDR from `d`, for the session `s` (or the lone ACR `acr` when there is none). */
  close(
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
        localRecordSequenceNumber: this.sequence.next(),
        serviceContextId: s?.serviceContextId ?? acr.serviceContextId,
        recordType: acr.recordType,
        retransmission,
        byStop: how.byStop,
        stopOnly: how.stopOnly,
      },
    );
  }

  /**
   * The record of `s` closed by its STOP (normal release) at `closedAt`, with aCRInterimLost if numbers are
   * still missing (§5.3). `stop`: the STOP in hand, when it is not kept as the session's last ACR.
   */
  byStop(s: AccountingSession, closedAt: Date, retransmitted: boolean, stop?: AcrJson): Cdr {
    const d = s.data as unknown as KeptData;
    const anomalies = [...s.anomalies];
    if (d.recordNumbers.missing.length) anomalies.push('aCRInterimLost');
    if (anomalies.includes('aCRInterimLost')) this.count('aCRInterimLost', s, { lastRecordNumber: s.lastRecordNumber, missing: d.recordNumbers.missing });
    return this.close(expand(this.dict, d, undefined, stop), stopOf(s), s.openedAt, closedAt, Cause.PGW_NORMAL, anomalies, s, retransmitted, { byStop: true });
  }

  /** §5.3: the record whose STOP waited for missing INTERIMs (KeptData.stopped), closed as that STOP said. */
  afterWait(s: AccountingSession): Cdr {
    const w = (s.data as unknown as KeptData).stopped!;
    return this.byStop(s, new Date(w.at), w.retransmitted);
  }

  /**
   * §5.5: the record of an open session closed without its STOP (supervision, a CTF restart): incomplete
   * (aCRStopLost), IMS cause managementIntervention or P-GW abnormalRelease, closed at the time of the last
   * ACR received (its Event-Timestamp, on the CDR's clock); `why` adds anomalies.
   */
  lost(s: AccountingSession, why: string[]): Cdr {
    const d = s.data as unknown as KeptData;
    this.count('aCRStopLost', s, { lastRecordNumber: s.lastRecordNumber, closedBy: why.includes('ctfRestarted') ? 'ctfRestarted' : 'supervision' });
    return this.close(expand(this.dict, d), stopOf(s), s.openedAt, lastEventTime(s, d), this.causeAbnormal(d, s.serviceContextId), [...s.anomalies, 'aCRStopLost', ...why], s);
  }
}

/** The fields of a STOP the CDR of `s` is closed as (its own AVPs are in the kept or given ACR). */
function stopOf(s: AccountingSession): AcrFields {
  return { recordType: RecordType.STOP, serviceContextId: s.serviceContextId } as AcrFields;
}

/** When the last ACR of the session happened: its Event-Timestamp, else when it was received. */
export function lastEventTime(s: AccountingSession, d: KeptData): Date {
  return d.lastEventAt !== undefined ? new Date(d.lastEventAt) : s.lastSeenAt;
}

/** A kept container as the CDR lists it: without the key it was de-duplicated by. */
function unkeyed({ __key: _k, ...c }: JsonObject): JsonObject {
  return c;
}
