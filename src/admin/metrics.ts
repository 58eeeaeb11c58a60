/**
 * Prometheus metrics for `diamkit serve`. The library publishes on node:diagnostics_channel
 * (src/peer/diagnostics.ts) and knows nothing of prom-client (DESIGN.md, example 9); this file subscribes
 * and counts. Per message it does a WeakMap lookup, a header read from the frame's bytes, a small Map
 * lookup and a property increment (cells.ts); label strings are built only when a new label combination
 * is first seen. What is not per message (peer states, open sessions, CDF counters, rule hits) is read
 * from its owner when /metrics is scraped (scraped-metrics.ts). What is kept per connection: conn-state.ts.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { CdrStore, StoreBatch } from '../cdf/store.js';
import { DiameterError } from '../codec/errors.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import type { RuleEngine } from '../node/rules.js';
import type { Connection } from '../peer/connection.js';
import type { Peer } from '../peer/peer.js';
import { CellCounter, CellHistogram, type CountCell, type HistogramCell } from './cells.js';
import { CLIENT, MAX_DEFERRED, PendingRing, RX, SERVER, TX, type ConnState } from './conn-state.js';
import {
  frameApplication,
  frameCommand,
  frameFlags,
  frameHopByHop,
  frameResultCode,
  HEADER_FLAG_R,
} from './frame-summary.js';
import {
  registerCdfFamilies,
  registerPeerFamilies,
  registerRuleFamilies,
  type CdfSource,
  type PeerTable,
} from './scraped-metrics.js';

export { PendingRing } from './conn-state.js';
export { openSessionCount, type CdfSource, type PeerTable } from './scraped-metrics.js';

/** Answer latency buckets, seconds: a CDF answers in tens of µs without a store, ms with one. */
export const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const COMMIT_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
/** Distinct label combinations per per-message metric before new ones fold into "other". */
const MAX_SERIES = 5000;

export interface MetricsOptions {
  /** Names commands in labels (ACR, ACA); without it the command code is the label. */
  dictionary?: Dictionary;
  /** Node.js process metrics (CPU, memory, event loop delay) with the default names. Default true. */
  processMetrics?: boolean;
}

/** Totals the dashboard samples every second. */
export interface TrafficTotals {
  received: number;
  sent: number;
  /** Answers this process sent, by Result-Code (0 = none found). */
  answersSent: Map<number, number>;
  /** Server-side answer latency over every cell, per bucket (not cumulative), bounds LATENCY_BUCKETS. */
  latency: Float64Array;
}

export class AdminMetrics {
  readonly registry = new Registry();
  private readonly dict: Dictionary | undefined;
  private readonly received: CellCounter;
  private readonly sent: CellCounter;
  private readonly latency: CellHistogram;
  private readonly conns = new WeakMap<Connection, ConnState>();
  private readonly peerOfConn = new WeakMap<Connection, Peer>();
  private readonly nodes = new Set<PeerTable>();
  private readonly cdfs = new Set<CdfSource>();
  private readonly rules = new Set<RuleEngine>();
  private readonly unsubscribes: (() => void)[] = [];
  private readonly transitions: Counter<string>;
  private readonly watchdogEvents: Counter<string>;
  private readonly errors: Counter<string>;
  private readonly malformed: Counter<string>;
  private readonly unknownAnswers: Counter<string>;
  private readonly commitSeconds: Histogram<string>;
  private readonly commitFailures: Counter<string>;
  private readonly cdrsWritten: Counter<string>;
  private readonly storeRestores: (() => void)[] = [];
  /** Outcome of the last store commit (readiness). */
  lastCommitOk = true;
  /** Events the metrics failed to count (a bug here; see on()). */
  internalErrors = 0;

  constructor(opts: MetricsOptions = {}) {
    this.dict = opts.dictionary;
    const r = this.registry;
    const msgLabels = ['command', 'application', 'peer', 'result_code'];
    this.received = new CellCounter(
      r,
      'diamkit_messages_received_total',
      'Diameter messages received, by command, application, peer and Result-Code (answers)',
      msgLabels,
      MAX_SERIES,
    );
    this.sent = new CellCounter(
      r,
      'diamkit_messages_sent_total',
      'Diameter messages sent, by command, application, peer and Result-Code (answers)',
      msgLabels,
      MAX_SERIES,
    );
    this.latency = new CellHistogram(
      r,
      'diamkit_answer_latency_seconds',
      'Time from request to answer: role "server" from our receiving the request to our sending the answer, "client" from our sending the request to our receiving the answer',
      ['command', 'application', 'peer', 'role'],
      LATENCY_BUCKETS,
      MAX_SERIES,
    );
    this.malformed = new Counter({
      name: 'diamkit_messages_malformed_total',
      help: 'Frames received that did not decode',
      labelNames: ['peer'],
      registers: [r],
    });
    this.unknownAnswers = new Counter({
      name: 'diamkit_unknown_answers_total',
      help: 'Answers discarded: no pending request had their Hop-by-Hop id (RFC 6733 §6.2)',
      labelNames: ['peer'],
      registers: [r],
    });
    this.transitions = new Counter({
      name: 'diamkit_peer_transitions_total',
      help: 'Peer state machine transitions (RFC 6733 §5.6)',
      labelNames: ['peer', 'from', 'to'],
      registers: [r],
    });
    this.watchdogEvents = new Counter({
      name: 'diamkit_watchdog_events_total',
      help: 'Watchdog state changes (RFC 3539)',
      labelNames: ['peer', 'from', 'to'],
      registers: [r],
    });
    this.errors = new Counter({
      name: 'diamkit_peer_errors_total',
      help: 'Transport and protocol errors, by error code (docs/errors.md)',
      labelNames: ['code'],
      registers: [r],
    });

    registerPeerFamilies(r, this.nodes);
    registerCdfFamilies(r, this.cdfs);
    this.cdrsWritten = new Counter({
      name: 'diamkit_cdrs_written_total',
      help: 'CDRs committed to the store, by kind',
      labelNames: ['kind'],
      registers: [r],
    });
    this.commitSeconds = new Histogram({
      name: 'diamkit_store_commit_seconds',
      help: 'Duration of one store transaction (a group commit)',
      buckets: COMMIT_BUCKETS,
      registers: [r],
    });
    this.commitFailures = new Counter({
      name: 'diamkit_store_commit_failures_total',
      help: 'Store transactions that failed (their ACRs were answered 4002)',
      registers: [r],
    });
    registerRuleFamilies(r, this.rules);
    const errorsSeen = () => this.internalErrors;
    new Counter({
      name: 'diamkit_admin_metric_errors_total',
      help: 'Diagnostics events the metrics failed to count (a bug in src/admin; should stay 0)',
      registers: [r],
      collect() {
        this.reset();
        this.inc(errorsSeen());
      },
    });
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: r });
    this.subscribe();
  }

  /** Peers of this node get their Origin-Host as label and appear in diamkit_peers. */
  watchNode(node: PeerTable & { rules?: RuleEngine }): this {
    this.nodes.add(node);
    if (node.rules) this.rules.add(node.rules);
    return this;
  }

  /** CDF counters (sessions, anomalies) and the store's commits (latency, CDRs written). */
  watchCdf(cdf: CdfSource, store?: CdrStore): this {
    this.cdfs.add(cdf);
    if (store) this.instrumentStore(store);
    return this;
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Stops counting: unsubscribes from the channels and gives the store its own commit back. */
  close(): void {
    for (const u of this.unsubscribes.splice(0)) u();
    for (const r of this.storeRestores.splice(0)) r();
  }

  /** Sums for the dashboard's rates (read once a second). */
  totals(): TrafficTotals {
    let received = 0;
    let sent = 0;
    for (const c of this.received.cells()) received += c.n;
    const answersSent = new Map<number, number>();
    for (const c of this.sent.cells()) {
      sent += c.n;
      const rc = c.labels.result_code;
      if (rc !== '' && rc !== 'other') answersSent.set(Number(rc), (answersSent.get(Number(rc)) ?? 0) + c.n);
    }
    const latency = new Float64Array(LATENCY_BUCKETS.length + 1);
    for (const c of this.latency.cells()) {
      if (c.labels.role !== 'server') continue;
      for (let i = 0; i < latency.length; i++) latency[i]! += c.counts[i]!;
    }
    return { received, sent, answersSent, latency };
  }

  // -------------------------------------------------------------------------------------------------
  // the channels

  private on(name: string, fn: (m: unknown) => void): void {
    // A subscriber that throws takes the process down (diagnostics_channel rethrows on the next tick):
    // a metrics bug must cost a count, not the server.
    const safe = (m: unknown) => {
      try {
        fn(m);
      } catch {
        this.internalErrors++;
      }
    };
    diagnostics_channel.subscribe(name, safe);
    this.unsubscribes.push(() => diagnostics_channel.unsubscribe(name, safe));
  }

  private subscribe(): void {
    this.on('diamkit:message:received', (m) => {
      const { connection, bytes, error } = m as { connection: Connection; bytes: Buffer; error?: unknown };
      if (error !== undefined) this.malformed.inc({ peer: this.stateOf(connection).peer ?? 'unknown' });
      this.message(RX, connection, bytes);
    });
    this.on('diamkit:message:sent', (m) => {
      const { connection, bytes } = m as { connection: Connection; bytes: Buffer };
      this.message(TX, connection, bytes);
    });
    this.on('diamkit:message:unknown-answer', (m) => {
      const { connection } = m as { connection: Connection };
      this.unknownAnswers.inc({ peer: this.stateOf(connection).peer ?? 'unknown' });
    });
    this.on('diamkit:peer:state', (m) => {
      const { peer, from, to } = m as { peer: Peer; from: string; to: string };
      this.transitions.inc({ peer: peer.originHost ?? 'unknown', from, to });
      // The connections a peer owns are known from here on: count what waited for them.
      for (const c of [peer.iConn, peer.rConn]) {
        if (!c) continue;
        this.peerOfConn.set(c, peer);
        const s = this.conns.get(c);
        if (s && s.peer === undefined) this.resolve(c, s);
      }
    });
    this.on('diamkit:peer:watchdog', (m) => {
      const { peer, from, to } = m as { peer: Peer; from: string; to: string };
      this.watchdogEvents.inc({ peer: peer.originHost ?? 'unknown', from, to });
    });
    this.on('diamkit:peer:error', (m) => {
      const { error } = m as { error: unknown };
      this.errors.inc({ code: error instanceof DiameterError ? error.code : 'other' });
    });
  }

  private stateOf(conn: Connection): ConnState {
    let s = this.conns.get(conn);
    if (!s) {
      s = {
        peer: undefined,
        cache: [new Map(), new Map()],
        latency: new Map(),
        pending: [undefined, undefined],
        deferred: undefined,
      };
      this.conns.set(conn, s);
      this.resolve(conn, s);
    }
    return s;
  }

  /** Finds the peer that owns the connection; counts the messages that waited for it. */
  private resolve(conn: Connection, s: ConnState): boolean {
    let peer = this.peerOfConn.get(conn);
    if (!peer) {
      for (const n of this.nodes) {
        for (const p of n.peers.values()) {
          if (p.iConn === conn || p.rConn === conn) {
            peer = p;
            break;
          }
        }
        if (peer) break;
      }
    }
    if (!peer?.originHost) return false;
    s.peer = peer.originHost;
    const waiting = s.deferred;
    s.deferred = undefined;
    if (waiting) for (const d of waiting) this.count(s, d.dir, d.cmd, d.r, d.app, d.rc, d.latency);
    return true;
  }

  /** The per-message path. */
  private message(dir: number, conn: Connection, bytes: Buffer): void {
    const s = this.stateOf(conn);
    const flags = frameFlags(bytes);
    const cmd = frameCommand(bytes);
    const app = frameApplication(bytes);
    const hbh = frameHopByHop(bytes);
    const r = (flags & HEADER_FLAG_R) !== 0 ? 1 : 0;
    let rc = 0;
    let latency = -1;
    if (r) {
      // A request: remember when, to time its answer (received → we answer; sent → they answer).
      (s.pending[dir] ??= new PendingRing()).put(hbh, performance.now());
    } else {
      rc = frameResultCode(bytes);
      const t = s.pending[dir === TX ? RX : TX]?.take(hbh) ?? -1;
      if (t > 0) latency = (performance.now() - t) / 1000;
    }
    if (s.peer === undefined && !this.resolve(conn, s)) {
      const d = (s.deferred ??= []);
      if (d.length < MAX_DEFERRED) d.push({ dir, cmd, r, app, rc, latency });
      return;
    }
    this.count(s, dir, cmd, r, app, rc, latency);
  }

  private count(
    s: ConnState,
    dir: number,
    cmd: number,
    r: number,
    app: number,
    rc: number,
    latency: number,
  ): void {
    const key = (cmd << 1) | r;
    const cache = s.cache[dir]!;
    let list = cache.get(key);
    let cell: CountCell | undefined;
    if (list) {
      for (let i = 0; i < list.length; i++) {
        const e = list[i]!;
        if (e.app === app && e.rc === rc) {
          cell = e.cell;
          break;
        }
      }
    } else cache.set(key, (list = []));
    if (!cell) {
      cell = this.countCell(dir, s.peer!, cmd, r, app, rc);
      list.push({ app, rc, cell });
    }
    cell.n++;
    if (latency >= 0) {
      const role = dir === TX ? SERVER : CLIENT;
      const lkey = (cmd << 1) | role;
      let ll = s.latency.get(lkey);
      let hc: HistogramCell | undefined;
      if (ll) {
        for (let i = 0; i < ll.length; i++) {
          if (ll[i]!.app === app) {
            hc = ll[i]!.cell;
            break;
          }
        }
      } else s.latency.set(lkey, (ll = []));
      if (!hc) {
        hc = this.latencyCell(s.peer!, cmd, app, role);
        ll.push({ app, cell: hc });
      }
      this.latency.record(hc, latency);
    }
  }

  private commandName(cmd: number, app: number, request: boolean): string {
    const def = this.dict?.command(cmd, app);
    if (!def) return String(cmd);
    return request ? def.requestAbbrev : def.answerAbbrev;
  }

  private countCell(dir: number, peer: string, cmd: number, r: number, app: number, rc: number): CountCell {
    const counter = dir === RX ? this.received : this.sent;
    return counter.cell(`${peer}\u0000${cmd}\u0000${r}\u0000${app}\u0000${rc}`, () => ({
      command: this.commandName(cmd, app, r === 1),
      application: String(app),
      peer,
      result_code: r === 1 ? '' : String(rc),
    }));
  }

  private latencyCell(peer: string, cmd: number, app: number, role: number): HistogramCell {
    return this.latency.cell(`${peer}\u0000${cmd}\u0000${app}\u0000${role}`, () => ({
      command: this.commandName(cmd, app, true),
      application: String(app),
      peer,
      role: role === SERVER ? 'server' : 'client',
    }));
  }

  // -------------------------------------------------------------------------------------------------
  // the store

  /**
   * Times the store's commits and counts the CDRs they wrote, by wrapping this store object's commit()
   * (the CDF calls it through its GroupCommitter at call time, so the wrapper sees every transaction).
   */
  private instrumentStore(store: CdrStore): void {
    const own = Object.prototype.hasOwnProperty.call(store, 'commit');
    const original = store.commit;
    const inner = original.bind(store);
    store.commit = async (batch: StoreBatch): Promise<void> => {
      const t = performance.now();
      try {
        await inner(batch);
      } catch (e) {
        this.commitFailures.inc();
        this.lastCommitOk = false;
        throw e;
      }
      this.commitSeconds.observe((performance.now() - t) / 1000);
      this.lastCommitOk = true;
      if (batch.cdrs) for (const c of batch.cdrs) this.cdrsWritten.inc({ kind: c.kind });
    };
    this.storeRestores.push(() => {
      if (own) store.commit = original;
      else delete (store as Partial<CdrStore>).commit;
    });
  }
}
