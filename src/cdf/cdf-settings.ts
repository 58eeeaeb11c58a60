import type { JsonObject } from './store.js';

/**
 * What a CDF operator sets for its sessions (config `cdf.*`, docs/config.md): the interim interval it
 * imposes, supervision (accounting-rf.md §5.5), partial-CDR limits (§5.4) and the duplicate window of closed
 * keys (§1.6, §5.2); and the TS 32.298 closing causes the session manager writes on its CDRs (§6.4).
 */

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
  /**
   * Close the open sessions of a CTF that restarted, told by a higher Origin-State-Id (§5.5). Off for a CTF
   * (a simulator) that raises its Origin-State-Id without restarting, against RFC 6733 §8.16: each rise
   * would end all its sessions.
   */
  closeOnCtfRestart: boolean;
  /**
   * §5.3: a STOP that arrives while INTERIMs are missing closes the record only this many seconds later, so
   * that late INTERIMs are still merged; 0 closes it at once (with aCRInterimLost).
   */
  stopGraceSeconds: number;
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
  closeOnCtfRestart: true,
  stopGraceSeconds: 2,
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

/**
 * §5.4: the closing cause of a partial record, if one of the limits is reached by a record open for
 * `openMs` holding these P-GW service data containers; undefined if none is. IMS records have no
 * containers: only the time limit applies to them, with the IMS cause timeLimit (3).
 */
export function partialCause(st: CdfSettings, pgw: boolean, openMs: number, containers: readonly JsonObject[]): number | undefined {
  if (st.partialTimeLimit && openMs >= st.partialTimeLimit * 1000) return pgw ? Cause.PGW_TIME_LIMIT : Cause.IMS_TIME_LIMIT;
  if (!pgw) return undefined;
  if (st.partialMaxContainers && containers.length >= st.partialMaxContainers) return Cause.PGW_MAX_CHANGE_COND;
  if (st.partialVolumeLimit) {
    let vol = 0n;
    // Service data containers (FBC) and traffic data volumes (per bearer) alike.
    for (const c of containers) {
      vol += BigInt(String(c.datavolumeFBCUplink ?? c.dataVolumeGPRSUplink ?? 0));
      vol += BigInt(String(c.datavolumeFBCDownlink ?? c.dataVolumeGPRSDownlink ?? 0));
    }
    if (vol >= BigInt(st.partialVolumeLimit)) return Cause.PGW_VOLUME_LIMIT;
  }
  return undefined;
}
