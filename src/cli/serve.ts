/** `diamkit serve`: the Diameter terminator (and, when registered, the Rf CDF) on 127.0.0.1:3868. */
import { readFileSync } from 'node:fs';
import diagnostics_channel from 'node:diagnostics_channel';
import pino from 'pino';
import { decodeMessage } from '../codec/message.js';
import type { Message } from '../codec/types.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { formatMessageLine } from '../dictionary/text-format.js';
import { DiameterNode, type NodeOptions } from '../node/node.js';
import type { Connection } from '../peer/connection.js';
import type { Peer } from '../peer/peer.js';
import { CliError } from './io.js';
import { subscribeProblemLogs, type ProblemLogs } from './problem-logs.js';
import { DEFAULT_STORE_PATH, openStore } from '../cdf/open-store.js';
import { HeapGrowthLimit } from '../cdf/heap-growth.js';
import { DEFAULT_IDLE_RECLAIM_SECONDS, IdleReclaim } from '../cdf/idle-reclaim.js';
import { RfApplication } from '../cdf/rf-application.js';
import type { ServeExtras } from '../config/to-options.js';
import { startServeAdmin } from '../admin/serve-admin.js';

export interface ServeOptions {
  host: string;
  port: string;
  tlsPort?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsRequireClientCert?: boolean;
  originHost: string;
  originRealm: string;
  logLevel: string;
  trace?: boolean;
  unsupportedCommand?: string;
  watchdog?: string;
  realm?: string[];
  allowPeer?: string[];
  multipleConnections?: boolean;
  /** Accept unknown AVPs with the M bit instead of answering 5001 (NodeOptions.allowUnknownMandatory). */
  allowUnknownMandatory?: boolean;
  /** CDR store: a SQLite file path (default ./data/diamkit.db) or a postgres:// URL. */
  store?: string;
  /** Acct-Interim-Interval the CDF imposes, seconds. */
  interimInterval?: string;
  /** Run without the Rf application (a bare terminator). */
  cdf?: boolean;
  /** Settings from --config FILE that have no flag (src/config/to-options.ts). */
  config?: ServeExtras;
  /** Admin HTTP (src/admin): false with --no-admin; host/port default 127.0.0.1:8080. */
  admin?: boolean;
  adminHost?: string;
  adminPort?: string;
  adminToken?: string;
}

function port(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`${flag}: expected a port number 0-65535, got "${v}"`);
  return n;
}

export interface Served {
  node: DiameterNode;
  log: pino.Logger;
}

/**
 * The node's options from the flags and the config file's extras (the file's timers, rules …): checked
 * here, so a bad value fails before anything is opened. Exported so tests can build the node `serve` builds.
 */
export function serveNodeOptions(opts: ServeOptions, dict: Dictionary): NodeOptions {
  const rc = opts.unsupportedCommand === undefined ? 5012 : Number(opts.unsupportedCommand);
  if (rc !== 5012 && rc !== 3001) throw new CliError(`--unsupported-command: expected 5012 or 3001, got "${opts.unsupportedCommand}"`);
  const wd = opts.watchdog === undefined ? undefined : Number(opts.watchdog) * 1000;
  if (wd !== undefined && (!Number.isFinite(wd) || wd < 6000)) throw new CliError(`--watchdog: expected seconds >= 6 (RFC 3539), got "${opts.watchdog}"`);
  const extra = opts.config;
  return {
    ...extra?.node,
    dictionary: dict,
    identity: { ...extra?.identity, originHost: opts.originHost, originRealm: opts.originRealm },
    unsupportedCommand: rc,
    watchdogMs: wd,
    realms: opts.realm,
    allowPeers: opts.allowPeer,
    multipleConnections: opts.multipleConnections,
    allowUnknownMandatory: opts.allowUnknownMandatory,
  };
}

/** Builds and starts the node; returns it so the CDF can register on it before listening. */
export async function serve(opts: ServeOptions, dict: Dictionary, setup?: (node: DiameterNode, log: pino.Logger) => Promise<void> | void): Promise<Served> {
  const log = pino({ level: opts.trace ? 'trace' : opts.logLevel, base: undefined }, pino.destination({ sync: false }));
  // Every argument is checked before anything is opened (the CDR store, a listener): a typo must not
  // leave a database file behind or a half-started server.
  const nodeOpts = serveNodeOptions(opts, dict);
  const tcpPort = port(opts.port, '--port');
  const tlsPort = opts.tlsPort === undefined ? undefined : port(opts.tlsPort, '--tls-port');
  if (tlsPort !== undefined && (!opts.tlsCert || !opts.tlsKey)) throw new CliError('--tls-port: needs --tls-cert FILE and --tls-key FILE');
  const ii = opts.interimInterval === undefined ? undefined : Number(opts.interimInterval);
  if (ii !== undefined && !(Number.isInteger(ii) && ii > 0)) throw new CliError(`--interim-interval: expected whole seconds > 0, got "${opts.interimInterval}"`);
  const extra = opts.config;
  const adminPort = opts.adminPort === undefined ? extra?.admin?.port : port(opts.adminPort, '--admin-port');
  const node = new DiameterNode(nodeOpts);
  const problems = subscribeLogs(log, dict, !!opts.trace);
  node.on('peer', (p: Peer) => {
    p.on('state', (from: string, to: string) => log.info({ peer: p.label, from, to }, 'peer state'));
  });
  const cleanups: (() => Promise<void>)[] = [];
  let cdf: { rf: RfApplication; store: Awaited<ReturnType<typeof openStore>> } | undefined;
  if (opts.cdf !== false) {
    const growth = new HeapGrowthLimit({ percent: extra?.heapGrowthPercent });
    growth.start();
    const store = await openStore(opts.store ?? DEFAULT_STORE_PATH);
    const rf = new RfApplication({ store, dictionary: dict, settings: { ...extra?.cdf, interimInterval: ii } });
    await rf.start();
    node.register(rf.application());
    cleanups.push(() => rf.stop(), () => store.close(), async () => growth.stop());
    const idle = extra?.idleReclaimSeconds ?? DEFAULT_IDLE_RECLAIM_SECONDS;
    if (idle > 0) {
      const reclaim = new IdleReclaim({
        idleMs: idle * 1000,
        activity: () => rf.sessions.counters.acrs,
        release: () => store.releaseMemory?.(),
        onReclaim: (before, after, now) =>
          log.info({ heapBefore: before, heapAfter: after, heapUsed: now.used, youngAfter: now.young }, 'idle after a busy spell: unused heap given back'),
      });
      reclaim.start();
      cleanups.push(async () => reclaim.stop());
    }
    cdf = { rf, store };
    log.info({ store: store.backend, location: opts.store ?? DEFAULT_STORE_PATH, openSessions: rf.sessions.sessions.size }, 'CDF (Rf, application 3) ready');
  }
  if (setup) await setup(node, log);
  const admin = opts.admin === false ? undefined : await startServeAdmin({ node, cdf, log, host: opts.adminHost ?? extra?.admin?.host, port: adminPort, token: opts.adminToken ?? extra?.admin?.token });
  if (admin) cleanups.unshift(() => admin.close());
  const addr = await node.listen({ host: opts.host, port: tcpPort });
  log.info({ address: addr.address, port: addr.port, originHost: opts.originHost }, 'diamkit serving Diameter/TCP');
  if (tlsPort !== undefined) {
    const t = await node.listen({
      host: opts.host,
      port: tlsPort,
      tls: {
        cert: readFileSync(opts.tlsCert!),
        key: readFileSync(opts.tlsKey!),
        ca: opts.tlsCa ? readFileSync(opts.tlsCa) : undefined,
        requestCert: !!opts.tlsRequireClientCert,
      },
    });
    log.info({ address: t.address, port: t.port }, 'diamkit serving Diameter/TLS');
  }
  if (extra) {
    for (const l of extra.listeners) {
      const a = await node.listen(l);
      log.info({ address: a.address, port: a.port }, `diamkit serving Diameter/${l.tls ? 'TLS' : 'TCP'}`);
    }
    for (const t of extra.connect) {
      node.connect(t, { reconnect: true }).then(
        (p) => log.info({ peer: p.label }, 'connected to configured peer'),
        (e: Error) => log.warn({ host: t.host, port: t.port, err: e.message }, 'configured peer not reachable yet (retrying every Tc)'),
      );
    }
    if (node.rules.size) log.info({ config: extra.file, rules: node.rules.list().map((r) => r.id) }, 'behaviour rules loaded');
  }
  admin?.setReady(true);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    admin?.setReady(false);
    log.info({ signal }, 'stopping: DPR to every peer');
    void node.stop().then(async () => {
      for (const c of cleanups) await c().catch((e: Error) => log.error({ err: e.message }, 'cleanup failed'));
      problems.flush();
      log.info('stopped');
      log.flush();
      setTimeout(() => process.exit(0), 20);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Tests and wrappers read this line to learn the port (with --port 0).
  process.stdout.write(`diamkit listening on ${addr.address}:${addr.port}\n`);
  return { node, log };
}

/**
 * The console: peer errors and watchdog changes; at `warn`, every error answer and CDR anomaly, a few lines
 * a second of each (problem-logs.ts); with --trace, every message.
 */
function subscribeLogs(log: pino.Logger, dict: Dictionary, trace: boolean): ProblemLogs {
  diagnostics_channel.subscribe('diamkit:peer:error', (m) => {
    const { error, connection } = m as { error: Error; connection?: Connection };
    log.warn({ conn: connection?.label, err: error.message }, 'peer error');
  });
  diagnostics_channel.subscribe('diamkit:peer:watchdog', (m) => {
    const { peer, from, to } = m as { peer: Peer; from: string; to: string };
    log.info({ peer: peer.label, from, to }, 'watchdog');
  });
  const problems = subscribeProblemLogs(log, dict);
  if (!trace) return problems;
  for (const [ch, dir] of [
    ['diamkit:message:received', 'in '],
    ['diamkit:message:sent', 'out'],
  ] as const) {
    diagnostics_channel.subscribe(ch, (m) => {
      const { message, connection, bytes } = m as { message?: Message; connection: Connection; bytes: Buffer };
      let msg = message;
      try {
        msg ??= decodeMessage(bytes, dict.resolve);
      } catch {
        log.trace(`${dir} ${connection.label} (undecodable) ${bytes.toString('hex')}`);
        return;
      }
      log.trace(`${dir} ${connection.label} ${formatMessageLine(msg, dict)}`);
    });
  }
  return problems;
}
