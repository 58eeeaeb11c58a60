/**
 * CDR anomalies as an event: each time the CDF notes one on a session or a CDR (accounting-rf.md §5.2–§5.5:
 * a record number skipped or late, INTERIM/STOP without START, a record closed without its STOP, a CTF
 * restart …; docs/cdr.md lists them) it is published on `diamkit:cdf:anomaly`, so that `diamkit serve` can
 * tell a tester at once what was wrong with their CTF's records. The CDF itself does not log.
 *
 * Called only where an anomaly is counted: an ACR without one builds no event and makes no call.
 */
import diagnostics_channel from 'node:diagnostics_channel';

export const anomalyChannel = diagnostics_channel.channel('diamkit:cdf:anomaly');

/** The session (or lone ACR) an anomaly is about: an AccountingSession and an AcrFields both are one. */
export interface AnomalySubject {
  sessionId: string;
  subSessionId?: bigint;
  originHost: string;
}

/** The record numbers involved, as far as the place that notes the anomaly knows them. */
export interface AnomalyDetail {
  /** Accounting-Record-Number of the ACR that showed the anomaly. */
  recordNumber?: number;
  /** The highest record number the session had before it (for a closed record: its last). */
  lastRecordNumber?: number;
  /** Record numbers still missing (a gap; INTERIMs lost when the record closed). */
  missing?: readonly number[];
  /** What closed a record without its STOP (aCRStopLost): supervision, a CTF restart, a new START. */
  closedBy?: 'supervision' | 'ctfRestarted' | 'startForOpenSession';
  /** For a duplicate: whether the copy carried the T flag (a retransmission, RFC 6733 §3). */
  retransmitted?: boolean;
}

/** What `diamkit:cdf:anomaly` carries; `missing` is the session's live list: copy it to keep it. */
export interface AnomalyEvent extends AnomalyDetail {
  /** The anomaly's name as the CDR lists it (`aCRStartLost` …), or `duplicate`. */
  anomaly: string;
  sessionId: string;
  subSessionId?: bigint;
  /** The CTF (Origin-Host of the session's ACRs). */
  originHost: string;
}

export function publishAnomaly(anomaly: string, on: AnomalySubject, detail?: AnomalyDetail): void {
  if (!anomalyChannel.hasSubscribers) return;
  const e: AnomalyEvent = {
    anomaly,
    sessionId: on.sessionId,
    subSessionId: on.subSessionId,
    originHost: on.originHost,
    ...detail,
  };
  anomalyChannel.publish(e);
}
