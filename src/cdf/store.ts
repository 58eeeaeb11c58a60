/**
 * The CDF's storage contract: what the session manager and the CDR builder persist, and the one interface
 * every backend (SQLite, PostgreSQL) implements. test/cdf/store-contract.ts holds the suite both pass.
 *
 * Facts: accounting-rf.md §5 (sessions keyed by Session-Id [+ Accounting-Sub-Session-Id], record numbers,
 * anomalies, partial CDRs, supervision) and §6 (TS 32.298 CDR fields, closing causes).
 * Design: a backend stores a few indexed columns for the queries below and keeps everything else as JSON,
 * so the CDR builder can grow its TS 32.298 mapping without a schema change.
 */

import type { JsonText } from './json-text.js';

/**
 * JSON as stored. `bigint` is accepted on write (64-bit volumes, Unsigned64 AVPs) and stored as its
 * decimal string, so it reads back as a string: JSON numbers cannot carry 2^64-1 exactly. Byte strings must
 * be turned into text (hex) by the caller; NUL characters are refused by PostgreSQL jsonb.
 */
export type JsonValue =
  null | boolean | number | string | bigint | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * A value that writes its own JSON text: a store writes toJsonText() as it is instead of running
 * JSON.stringify over the value, and reads the column back as the parsed JSON (a plain value). The text
 * must be the JSON of what toJSON() returns, so anything else that serialises the value agrees. The
 * session manager's kept session data is one (AccountingSession.data).
 */
export interface JsonTextSource {
  toJSON(): unknown;
  toJsonText(): string;
}

/**
 * Session data that carries the ACRs it keeps (the session manager's: the one that opened the record and
 * the latest) as bytes. A store writes those bytes in their own columns (SQLite BLOB, PostgreSQL bytea)
 * beside keptJsonText(), the rest of the JSON, instead of as base64 inside the JSON text that every
 * INTERIM rewrites; reading the row, it puts them back into the value, base64, under `first` and `last`,
 * so what a reader gets is still toJSON().
 */
export interface KeptAcrsSource extends JsonTextSource {
  /** The JSON text of toJSON() without its `first` and `last`. */
  keptJsonText(): string;
  /** The kept ACRs' bytes (`last` undefined while there is none). */
  keptAcrs(): { first: Uint8Array; last: Uint8Array | undefined };
}

/** RFC 6733 §9.8.1 Accounting-Record-Type: 1 EVENT, 2 START, 3 INTERIM, 4 STOP. */
export type AccountingRecordType = 1 | 2 | 3 | 4;

/** accounting-rf.md §5.1: Session-Id, plus Accounting-Sub-Session-Id (Unsigned64) when the CTF uses one. */
export interface SessionKey {
  sessionId: string;
  subSessionId?: bigint;
}

/** Per-session state the CDF keeps between ACRs (accounting-rf.md §5.2–§5.5). */
export interface AccountingSession extends SessionKey {
  originHost: string;
  originRealm: string;
  /** 'closed' while a STOP waits out its grace period for late INTERIMs (§5.3). */
  state: 'open' | 'closed';
  /** Accounting-Record-Type of the last ACR applied. */
  recordType: AccountingRecordType;
  /** Accounting-Record-Number of the last ACR applied (Unsigned32). */
  lastRecordNumber: number;
  openedAt: Date;
  lastSeenAt: Date;
  /** Supervision deadline Ts (§5.5); listOpenSessions({ expiredBefore }) finds sessions past it. */
  expiresAt?: Date;
  /** Effective Acct-Interim-Interval, seconds. */
  interimInterval?: number;
  serviceContextId?: string;
  /** recordSequenceNumber (§5.4) of the partial CDR now open; 0 while the session has produced none. */
  partialSequence: number;
  /** Named 64-bit counters (e.g. acrs, inputOctets, outputOctets); read back as bigint. */
  counters: Record<string, bigint>;
  /** Record-number anomalies seen so far (§5.3), e.g. 'gap:3-5', 'startLost'. */
  anomalies: string[];
  /**
   * The session manager's own accumulated state (containers, SDP, IOIs …), opaque to the store. On write
   * it may be an object that writes its own JSON text (JsonTextSource); it reads back as a plain value.
   */
  data: JsonValue;
}

/** Which TS 32.298 record family a CDR belongs to; free text beyond the known ones. */
export type CdrKind = 'ims' | 'pgw' | 'sgw' | 'event' | 'generic' | (string & {});

/** TS 32.298 SubscriptionID (§6.5): Subscription-Id-Type 0..4 and its data. */
export interface SubscriptionIdEntry {
  type: number;
  data: string;
}

/** One charging data record, final or partial (accounting-rf.md §5.4, §6). */
export interface Cdr {
  /** Unique, chosen by the writer (e.g. a UUID); a second CDR with the same id fails the whole batch. */
  id: string;
  kind: CdrKind;
  /** TS 32.298 RecordType (63 S-CSCF, 85 P-GW …), §6.1. */
  recordType?: number;
  sessionId: string;
  subSessionId?: bigint;
  /** Partial record number 1, 2, 3 … (§5.4); absent for a CDR that is the session's only record. */
  recordSequenceNumber?: number;
  /** CDF-wide counter (localRecordSequenceNumber / localSequenceNumber); see CdrStore.allocateSequence. */
  localRecordSequenceNumber?: number;
  recordOpeningTime: Date;
  recordClosingTime: Date;
  /** Seconds (TS 32.298 CallDuration). */
  duration: number;
  /** §6.4: IMS CauseForRecordClosing or PGW/SGW CauseForRecClosing. */
  causeForRecordClosing: number;
  servedParty: SubscriptionIdEntry[];
  /** Origin-Host of the CTF that reported the session. */
  originHost: string;
  originRealm?: string;
  /** TS 32.298 nodeAddress when it differs from Origin-Host (an IP address). */
  nodeAddress?: string;
  /** incomplete-CDR-Indication and other anomalies, e.g. 'aCRStartLost', 'aCRInterimLost', 'retransmission'. */
  anomalies: string[];
  /** The mapped TS 32.298 fields by their ASN.1 names (§6.2, §6.3). */
  fields: JsonObject;
  /**
   * The ACR AVPs the record was built from, in the JSON form the CLI prints. On write it may be JSON that
   * is already text (JsonText, as the CDF builds it); a store always reads it back as a value.
   */
  rawAvps: JsonValue | JsonText;
  /** When the CDF wrote the record. */
  createdAt: Date;
  /** Insertion order, assigned by the store; ignored on write. Export order and the `afterSeq` cursor. */
  seq?: number;
}

/**
 * One unit of work, applied in one transaction: all or nothing. Within a batch the deletes apply first,
 * then the upserts (a key both deleted and upserted ends up upserted; the last upsert of a key wins), then
 * the CDRs are appended in array order.
 */
export interface StoreBatch {
  sessionUpserts?: AccountingSession[];
  sessionDeletes?: SessionKey[];
  cdrs?: Cdr[];
}

export interface OpenSessionQuery {
  /** At most this many rows (default 1000). */
  limit?: number;
  originHost?: string;
  sessionId?: string;
  /**
   * Only sessions whose expiresAt is before this instant (supervision, §5.5); the result is then ordered
   * by expiresAt, most overdue first, instead of by key.
   */
  expiredBefore?: Date;
}

export interface CdrFilter {
  /** Inclusive lower bound on `timeField`. */
  since?: Date;
  /** Exclusive upper bound on `timeField`. */
  until?: Date;
  /** Which time `since`/`until` apply to (default createdAt). */
  timeField?: 'createdAt' | 'recordClosingTime';
  sessionId?: string;
  /** Only with sessionId: narrows to one sub-session. */
  subSessionId?: bigint;
  kind?: CdrKind;
  originHost?: string;
}

export interface CdrListQuery extends CdrFilter {
  /** Default 100. */
  limit?: number;
  offset?: number;
  /** Keyset cursor: only CDRs with seq above (ascending) or below (descending) this. */
  afterSeq?: number;
  /** By seq; default 'asc'. */
  order?: 'asc' | 'desc';
}

export interface PageOptions {
  /** Rows fetched per round trip (default 1000): bounds memory when iterating millions of rows. */
  pageSize?: number;
}

export interface StoreStats {
  backend: 'sqlite' | 'postgres';
  /** File path, or the PostgreSQL URL without its password. */
  location: string;
  openSessions: number;
  closedSessions: number;
  cdrs: number;
  /** Transactions committed by this instance since open(). */
  commits: number;
  /** Session rows and CDRs written by this instance since open(). */
  rowsWritten: number;
}

export interface CdrStore {
  readonly backend: 'sqlite' | 'postgres';
  /** Connects, creates or migrates the schema. Idempotent. */
  open(): Promise<void>;
  /** Releases the connection(s); later calls fail with STORE_CLOSED. */
  close(): Promise<void>;
  /** Applies the batch in one transaction. Fails with a DiameterError (STORE_WRITE_FAILED → 4002). */
  commit(batch: StoreBatch): Promise<void>;
  getSession(key: SessionKey): Promise<AccountingSession | undefined>;
  listOpenSessions(query?: OpenSessionQuery): Promise<AccountingSession[]>;
  /** Every open session, in key order, fetched page by page (resume after a restart). */
  loadOpenSessions(options?: PageOptions): AsyncIterable<AccountingSession>;
  listCdrs(query?: CdrListQuery): Promise<Cdr[]>;
  /**
   * Every CDR matching the filter, fetched page by page: in seq order, or with a time bound (since/until)
   * in (timeField, seq) order, so that each page continues an index range instead of sorting it again.
   */
  exportCdrs(filter?: CdrFilter, options?: PageOptions): AsyncIterable<Cdr>;
  countCdrs(filter?: CdrFilter): Promise<number>;
  /**
   * Reserves `count` consecutive numbers of the named counter and returns the first; blocks never overlap,
   * across restarts and across CDF instances sharing one database. Numbers of a block not used before a
   * restart are skipped (a gap), never reused.
   */
  allocateSequence(name: string, count: number): Promise<number>;
  stats(): Promise<StoreStats>;
  /** Optional: frees caches the backend can fill again (an idle server after a burst, idle-reclaim.ts). */
  releaseMemory?(): void;
}
