/**
 * The metric families read from their owners when /metrics is scraped rather than counted per message
 * (metrics.ts registers them): the peer table, the CDF's counters and store queue, the behaviour rules'
 * hits. Each collect() sums over every watched owner.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { GroupCommitter } from '../cdf/group-commit.js';
import type { SessionManager } from '../cdf/session-manager.js';
import type { RuleEngine } from '../node/rules.js';
import type { Peer } from '../peer/peer.js';

/** A node the metrics look peers up in: DiameterNode has this shape. */
export interface PeerTable {
  readonly peers: Map<string, Peer>;
}

/** The CDF parts the metrics read: RfApplication has `sessions` and `committer`. */
export interface CdfSource {
  sessions: SessionManager;
  committer?: GroupCommitter;
}

/** diamkit_peers. */
export function registerPeerFamilies(r: Registry, nodes: Set<PeerTable>): void {
  new Gauge({
    name: 'diamkit_peers',
    help: 'Peers in the peer table, by Origin-Host, state (RFC 6733 §5.6) and watchdog state (RFC 3539)',
    labelNames: ['peer', 'state', 'watchdog'],
    registers: [r],
    collect() {
      this.reset();
      for (const n of nodes)
        for (const p of n.peers.values())
          this.inc({ peer: p.originHost ?? 'unknown', state: p.state, watchdog: p.watchdog.state });
    },
  });
}

/** Open sessions, the CDF's counters and the rows waiting for the store. */
export function registerCdfFamilies(r: Registry, cdfs: Set<CdfSource>): void {
  new Gauge({
    name: 'diamkit_open_sessions',
    help: 'Accounting sessions the CDF holds open',
    registers: [r],
    collect() {
      let n = 0;
      for (const c of cdfs) n += openSessionCount(c.sessions);
      this.set(n);
    },
  });
  const fromCdf = (name: string, help: string, read: (c: SessionManager) => number) =>
    new Counter({
      name,
      help,
      registers: [r],
      collect() {
        this.reset();
        let n = 0;
        for (const c of cdfs) n += read(c.sessions);
        this.inc(n);
      },
    });
  fromCdf('diamkit_acrs_total', 'ACRs the CDF applied (duplicates included)', (s) => s.counters.acrs);
  fromCdf(
    'diamkit_acr_duplicates_total',
    'ACRs recognised as duplicates and answered again without a new record',
    (s) => s.counters.duplicates,
  );
  fromCdf(
    'diamkit_cdrs_built_total',
    'CDRs the CDF built (written once their batch commits: diamkit_cdrs_written_total)',
    (s) => s.counters.cdrs,
  );
  fromCdf(
    'diamkit_sessions_supervision_closed_total',
    'Sessions closed by supervision (accounting-rf.md §5.5)',
    (s) => s.counters.supervisionClosed,
  );
  fromCdf(
    'diamkit_sessions_restart_closed_total',
    'Sessions closed because their CTF restarted: a higher Origin-State-Id (accounting-rf.md §5.5)',
    (s) => s.counters.restartClosed,
  );
  fromCdf(
    'diamkit_partial_cdrs_total',
    'Partial CDRs cut from long sessions (accounting-rf.md §5.4)',
    (s) => s.counters.partials,
  );
  new Counter({
    name: 'diamkit_anomalies_total',
    help: 'Record-number and session anomalies the CDF noted on CDRs, by kind (accounting-rf.md §5.3)',
    labelNames: ['kind'],
    registers: [r],
    collect() {
      this.reset();
      const sum = new Map<string, number>();
      for (const c of cdfs)
        for (const [k, v] of Object.entries(c.sessions.counters.anomalies)) sum.set(k, (sum.get(k) ?? 0) + v);
      for (const [kind, v] of sum) this.inc({ kind }, v);
    },
  });
  new Gauge({
    name: 'diamkit_store_pending_rows',
    help: 'Rows waiting for the next group commit',
    registers: [r],
    collect() {
      let n = 0;
      for (const c of cdfs) n += c.committer?.stats().pendingItems ?? 0;
      this.set(n);
    },
  });
}

/** diamkit_rule_hits_total. */
export function registerRuleFamilies(r: Registry, rules: Set<RuleEngine>): void {
  new Counter({
    name: 'diamkit_rule_hits_total',
    help: 'Requests each behaviour rule took (src/node/rules.ts)',
    labelNames: ['rule'],
    registers: [r],
    collect() {
      this.reset();
      for (const e of rules) for (const x of e.list()) this.inc({ rule: x.id }, x.hits);
    },
  });
}

/** Sessions in state 'open' (a STOP's session may linger 'closed' for its grace period). */
export function openSessionCount(s: SessionManager): number {
  let n = 0;
  for (const x of s.sessions.values()) if (x.state === 'open') n++;
  return n;
}
