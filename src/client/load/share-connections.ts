/**
 * Opening one thread's connections for a load run (engine.ts): each connection's CER/CEA under its own
 * Origin-Host, and the ACR templates compiled for it once the server's realm is known. All or nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dictionary } from '../../dictionary/dictionary.js';
import type { PeerCapabilities } from '../../peer/capabilities.js';
import { compileTemplates } from './acr-template.js';
import type { ConnState, EngineShare, Session } from './engine-share.js';
import { LoadConnection, type LoadConnectionOwner } from './load-connection.js';
import { connectionOriginHost, type LoadOptions } from './options.js';

/**
 * Opens every connection of this share (CER/CEA) and compiles the templates for each; `ownerFor(ci)` is
 * what connection `ci` (its index in the share) reports its answers and closure to.
 */
export async function openShareConnections(
  o: LoadOptions,
  share: EngineShare,
  dict: Dictionary,
  ownerFor: (ci: number) => LoadConnectionOwner<Session>,
): Promise<(ConnState & { caps: PeerCapabilities })[]> {
  const total = o.connections;
  const created: LoadConnection<Session>[] = [];
  const settled = await Promise.allSettled(
    share.connectionIndexes.map(async (gi, ci) => {
      const originHost = connectionOriginHost(o.originHost, gi, total, o.sameOriginHost);
      const conn = new LoadConnection<Session>(
        {
          host: o.host,
          port: o.port,
          tls: o.tls,
          originHost,
          originRealm: o.originRealm,
          timeoutMs: o.timeoutMs,
          maxInFlight: o.maxInFlightPerConnection,
          // The run's start, as in its Session-Ids: one Origin-State-Id for the whole run.
          originStateId: share.sessionHigh,
        },
        ownerFor(ci),
      );
      created.push(conn);
      const caps = await conn.connect();
      const templates = compileTemplates(
        o.template,
        {
          originHost,
          originRealm: o.originRealm,
          destinationRealm: o.destinationRealm ?? caps.originRealm,
          destinationHost: o.destinationHost,
          sessionHigh: share.sessionHigh,
        },
        dict,
      );
      return { conn, templates, waiting: [], waitHead: 0, alive: true, caps } as ConnState & {
        caps: PeerCapabilities;
      };
    }),
  );
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    // All or nothing: a run on fewer connections than asked for would mislead.
    for (const c of created) c.destroy();
    throw failed.reason;
  }
  // --start-delay: the server may not take requests yet (options.ts). A connection it closes meanwhile
  // is found closed by the engine, as one closed right after its CEA.
  if (o.startDelayMs) await sleep(o.startDelayMs);
  const states = settled.map(
    (r) => (r as PromiseFulfilledResult<ConnState & { caps: PeerCapabilities }>).value,
  );
  return states;
}
