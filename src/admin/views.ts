/**
 * The JSON the admin API and the dashboard show: peers, sessions, CDRs and rules as plain objects.
 * Sessions and CDRs are the store's records as `diamkit sessions` / `diamkit cdrs list --format json`
 * print them (Dates as ISO 8601, 64-bit numbers as decimal strings).
 */
import type { AccountingSession, Cdr } from '../cdf/store.js';
import type { RuleInfo } from '../node/rules.js';
import type { Peer } from '../peer/peer.js';

/** JSON text in which bigint values become decimal strings (JSON numbers cannot hold 2^64-1 exactly). */
export function jsonText(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

export interface PeerView {
  /** The peer table key (Origin-Host, lower case; with #N per connection under --multiple-connections). */
  key: string;
  originHost: string | null;
  state: string;
  watchdog: string;
  originRealm: string | null;
  productName: string | null;
  hostIpAddresses: string[];
  /** Application ids the peer advertised in its CER/CEA. */
  applications: number[];
  /** The connection messages flow on ("127.0.0.1:40000"), when open. */
  connection: string | null;
  requestsIn: number;
  requestsOut: number;
  /** Requests sent on the open connection still waiting for their answer. */
  pending: number;
  received: number;
  sent: number;
}

export function peerView(key: string, p: Peer): PeerView {
  const c = p.openConnection();
  const caps = p.capabilities;
  return {
    key,
    originHost: p.originHost ?? null,
    state: p.state,
    watchdog: p.watchdog.state,
    originRealm: caps?.originRealm ?? null,
    productName: caps?.productName ?? null,
    hostIpAddresses: caps?.hostIpAddresses ?? [],
    applications: caps ? [...caps.appIds] : [],
    connection: c?.label ?? null,
    requestsIn: p.stats.requestsIn,
    requestsOut: p.stats.requestsOut,
    pending: c?.pendingCount ?? 0,
    received: c?.stats.received ?? 0,
    sent: c?.stats.sent ?? 0,
  };
}

export function peerViews(peers: Map<string, Peer>): PeerView[] {
  return [...peers].map(([k, p]) => peerView(k, p)).sort((a, b) => a.key.localeCompare(b.key));
}

/** A session without the session manager's internal state (`data`), as `diamkit sessions` shows it. */
export function sessionView(s: AccountingSession): Omit<AccountingSession, 'data'> {
  const { data: _data, ...rest } = s;
  return rest;
}

/** The few CDR columns the dashboard's table shows (`diamkit cdrs list`'s table columns). */
export interface CdrRow {
  seq: number | null;
  closed: string;
  kind: string;
  recordType: number | null;
  sessionId: string;
  part: number | null;
  duration: number;
  cause: number;
  served: string;
  originHost: string;
  anomalies: string[];
}

export function cdrRow(c: Cdr): CdrRow {
  return {
    seq: c.seq ?? null,
    closed: c.recordClosingTime.toISOString(),
    kind: c.kind,
    recordType: c.recordType ?? null,
    sessionId: c.subSessionId === undefined ? c.sessionId : `${c.sessionId} [${c.subSessionId}]`,
    part: c.recordSequenceNumber ?? null,
    duration: c.duration,
    cause: c.causeForRecordClosing,
    served: c.servedParty.map((p) => p.data).join(','),
    originHost: c.originHost,
    anomalies: c.anomalies,
  };
}

export interface RuleView {
  id: string;
  position: number;
  spec: RuleInfo['spec'];
  hits: number;
  addedAt: string;
  lastHitAt: string | null;
  exhausted: boolean;
}

export function ruleView(r: RuleInfo): RuleView {
  return {
    id: r.id,
    position: r.position,
    spec: r.spec,
    hits: r.hits,
    addedAt: r.addedAt.toISOString(),
    lastHitAt: r.lastHitAt?.toISOString() ?? null,
    exhausted: r.exhausted,
  };
}
