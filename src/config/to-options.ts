/**
 * What a validated config means for the server: the settings that have no command-line flag, in the form
 * the node, the CDF and the listeners take them (seconds → ms, TLS files read). The settings that do have
 * a flag are merged with the flags in src/cli/config-commands.ts, so a flag given on the command line wins.
 */
import { readFileSync } from 'node:fs';
import type { CdfSettings } from '../cdf/session-manager.js';
import type { Identity } from '../node/identity.js';
import type { ListenOptions, NodeOptions, PeerTarget } from '../node/node.js';
import type { DiamkitConfig, ListenerConfig } from './schema.js';

export interface ServeExtras {
  /** The config file, for log lines. */
  file: string;
  identity: Partial<Identity>;
  node: Pick<
    NodeOptions,
    'requestTimeoutMs' | 'reconnectMs' | 'cerTimeoutMs' | 'duplicateWindowMs' | 'duplicateMaxEntries' | 'rules'
  >;
  cdf: Partial<CdfSettings>;
  /** cdf.heapGrowthPercent (src/cdf/heap-growth.ts). */
  heapGrowthPercent?: number;
  /** cdf.idleReclaimSeconds (src/cdf/idle-reclaim.ts). */
  idleReclaimSeconds?: number;
  /** Listeners beyond the first TCP and TLS ones (those two map onto --host/--port/--tls-*). */
  listeners: ListenOptions[];
  /** Peers to connect to (and reconnect to after Tc). */
  connect: PeerTarget[];
  /** Reserved for the admin HTTP API. */
  admin?: DiamkitConfig['admin'];
}

const ms = (s: number | undefined) => (s === undefined ? undefined : Math.round(s * 1000));

/** Drops undefined values, so spreading the result never overrides a default with undefined. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The listeners that map onto the flags: the first TCP listener (--host/--port) and the first TLS
 * listener on the same host (--tls-port, --tls-cert …).
 */
export function flagListeners(c: DiamkitConfig): {
  tcp?: ListenerConfig & { transport: 'tcp' };
  tls?: ListenerConfig & { transport: 'tls' };
} {
  const tcp = c.listeners?.find((l): l is ListenerConfig & { transport: 'tcp' } => l.transport === 'tcp');
  const host = tcp?.host ?? '127.0.0.1';
  const tls = c.listeners?.find(
    (l): l is ListenerConfig & { transport: 'tls' } =>
      l.transport === 'tls' && (l.host ?? '127.0.0.1') === host,
  );
  return { tcp, tls };
}

export function serveExtras(c: DiamkitConfig, file: string): ServeExtras {
  const { tcp, tls } = flagListeners(c);
  const listeners: ListenOptions[] = [];
  for (const l of c.listeners ?? []) {
    if (l === tcp || l === tls) continue;
    listeners.push(
      l.transport === 'tcp'
        ? { host: l.host, port: l.port }
        : {
            host: l.host,
            port: l.port,
            tls: {
              cert: readFileSync(l.cert),
              key: readFileSync(l.key),
              ca: l.ca ? readFileSync(l.ca) : undefined,
              requestCert: !!l.requireClientCert,
            },
          },
    );
  }
  const connect: PeerTarget[] = (c.peers?.connect ?? []).map((t) => ({
    host: t.host,
    port: t.port,
    originHost: t.originHost,
    tls: t.tls && {
      cert: readFileSync(t.tls.cert),
      key: readFileSync(t.tls.key),
      ca: t.tls.ca ? readFileSync(t.tls.ca) : undefined,
      servername: t.tls.servername,
      rejectUnauthorized: t.tls.rejectUnauthorized,
    },
  }));
  const p = c.cdf?.partial;
  return {
    file,
    identity: defined({
      productName: c.identity.productName,
      vendorId: c.identity.vendorId,
      firmwareRevision: c.identity.firmwareRevision,
    }),
    node: defined({
      requestTimeoutMs: ms(c.timers?.requestTimeout),
      reconnectMs: ms(c.timers?.reconnect),
      cerTimeoutMs: ms(c.timers?.cerTimeout),
      duplicateWindowMs: ms(c.timers?.duplicateWindow),
      duplicateMaxEntries: c.timers?.duplicateMaxEntries,
      rules: c.rules, // the schema's rule shape is the engine's RuleSpec (type-checked here)
    }),
    cdf: defined({
      supervisionFactor: c.cdf?.supervisionFactor,
      maxInactivity: c.cdf?.maxInactivity,
      closeOnCtfRestart: c.cdf?.closeOnCtfRestart,
      stopGraceSeconds: c.cdf?.stopGraceSeconds,
      partialTimeLimit: p?.timeLimit,
      partialVolumeLimit: p?.volumeLimit,
      partialMaxContainers: p?.maxContainers,
    }),
    heapGrowthPercent: c.cdf?.heapGrowthPercent,
    idleReclaimSeconds: c.cdf?.idleReclaimSeconds,
    listeners,
    connect,
    admin: c.admin,
  };
}
