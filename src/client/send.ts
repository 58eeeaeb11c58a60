/**
 * The client side of `diamkit send` and `diamkit run`: a DiameterNode that connects to one peer (CER/CEA,
 * RFC 6733 §5.3), sends requests with the routing AVPs filled in (request-defaults.ts), reads the
 * Result-Code of each answer, and leaves with DPR/DPA (§5.4).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ResultCode } from '../codec/errors.js';
import type { Message } from '../codec/types.js';
import { App, Code } from '../dictionary/codes.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { DiameterNode, type PeerTarget } from '../node/node.js';
import type { Peer } from '../peer/peer.js';
import { tlsConnectOptions, type ClientTls } from './client-tls.js';
import { DEFAULT_TIMEOUT_MS, SessionIds, fillRequest } from './request-defaults.js';

export { CLIENT_ORIGIN_HOST, CLIENT_ORIGIN_REALM, DEFAULT_TIMEOUT_MS } from './request-defaults.js';
export type { ClientTls } from './client-tls.js';

export interface ClientOptions {
  host: string;
  port: number;
  originHost: string;
  originRealm: string;
  dictionary: Dictionary;
  /** Application ids to advertise in CER: those of the requests we will send (RFC 6733 §5.3). */
  applications: number[];
  tls?: ClientTls;
  /** How long CER/CEA may take. */
  connectTimeoutMs?: number;
  /**
   * Wait this long after the capabilities exchange before connect() resolves, that is before the first
   * request. Some servers are not ready the moment they send their CEA: Erlang/OTP's diameter (2.2.7)
   * registers the peer a little later and silently drops a request that arrives in between.
   */
  startDelayMs?: number;
  /**
   * Origin-State-Id for our CER and DWR/DWA (RFC 6733 §8.16); absent: none is sent. A server that tracks
   * it (a CDF, accounting-rf.md §5.5) takes a higher value from the same Origin-Host for a restart and
   * closes the sessions opened before, so a one-shot client sends none unless asked: two `diamkit send`
   * runs, START then STOP of one session, must not look like a CTF that rebooted in between.
   */
  originStateId?: number;
}

/** "host:port", "[v6]:port" or "host" (port 3868, RFC 6733 §2.1). */
export function parsePeerAddress(s: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  const port = m?.[2] === undefined ? 3868 : Number(m[2]);
  if (!m || !m[1] || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`--peer: expected HOST:PORT (e.g. 127.0.0.1:3868), got "${s}"`);
  }
  return { host: m[1], port };
}

/** The request's application ids worth advertising: not the base protocol's 0 nor the relay id. */
export function applicationsOf(messages: readonly Pick<Message, 'applicationId'>[]): number[] {
  const ids = new Set<number>();
  for (const m of messages)
    if (m.applicationId !== App.COMMON && m.applicationId !== App.RELAY) ids.add(m.applicationId);
  return [...ids];
}

/** The peer could not be reached or refused the capabilities exchange. */
export class ConnectError extends Error {}

export class DiameterClient {
  readonly sessionIds: SessionIds;
  private constructor(
    readonly node: DiameterNode,
    readonly peer: Peer,
    readonly options: ClientOptions,
  ) {
    this.sessionIds = new SessionIds(options.originHost);
  }

  /** Connects and completes the capabilities exchange; rejects naming the peer when it cannot. */
  static async connect(opts: ClientOptions): Promise<DiameterClient> {
    const dict = opts.dictionary;
    const node = new DiameterNode({
      dictionary: dict,
      identity: { originHost: opts.originHost, originRealm: opts.originRealm, originStateId: opts.originStateId ?? null },
      shutdownTimeoutMs: 2000,
    });
    for (const id of opts.applications) {
      const app = dict.application(id);
      // We serve nothing: the registration only puts the id in our CER (RFC 6733 §5.3).
      node.register({
        id,
        name: app?.name ?? `application ${id}`,
        kind: app?.kind === 'acct' ? 'acct' : 'auth',
        commands: new Map(),
      });
    }
    const target: PeerTarget = { host: opts.host, port: opts.port };
    if (opts.tls) {
      // node's TlsOptions types cert/key as required (a server needs them); a client may have none.
      target.tls = tlsConnectOptions(opts.tls) as NonNullable<PeerTarget['tls']>;
    }
    try {
      const peer = await node.connect(target, { timeoutMs: opts.connectTimeoutMs ?? 10_000 });
      if (opts.startDelayMs) await sleep(opts.startDelayMs);
      return new DiameterClient(node, peer, opts);
    } catch (e) {
      await node.stop().catch(() => undefined);
      const where = `${opts.host}:${opts.port}`;
      let why = (e as Error).message.replace(/^[A-Z_]+: /, '');
      if (why.startsWith(`${where}: `)) why = why.slice(where.length + 2);
      // RFC 6733 §5.6.4: a peer keeps one connection per Origin-Host; another client already uses ours.
      if (/Result-Code 4003$/.test(why))
        why += ` (DIAMETER_ELECTION_LOST): the server already has a connection from Origin-Host ${opts.originHost}; give this client another one (--origin-host)`;
      else
        why = why.replace(
          /Result-Code (\d+)$/,
          (_m, rc: string) => `Result-Code ${describeResultCode(Number(rc))}`,
        );
      throw new ConnectError(`${opts.tls ? 'TLS ' : ''}${where}: ${why}`, { cause: e });
    }
  }

  /** The peer's Origin-Host and Origin-Realm from its CEA. */
  get peerHost(): string | undefined {
    return this.peer.capabilities?.originHost ?? this.peer.originHost;
  }
  get peerRealm(): string | undefined {
    return this.peer.capabilities?.originRealm;
  }

  /** Fills in the routing AVPs the request leaves out (see request-defaults.ts); returns their names. */
  fill(msg: Message, sessionId?: string): string[] {
    return fillRequest(
      msg,
      {
        originHost: this.options.originHost,
        originRealm: this.options.originRealm,
        destinationRealm: this.peerRealm,
        sessionId: () => sessionId ?? this.sessionIds.next(),
      },
      this.options.dictionary,
    );
  }

  /** Sends a request as it is and resolves with the answer (rejects on timeout or a lost connection). */
  request(msg: Message, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Message> {
    return this.peer.request(msg, { timeoutMs });
  }

  /** DPR/DPA, then the connection is closed. */
  close(): Promise<void> {
    return this.node.stop();
  }
}

/** Result-Code of an answer, else its Experimental-Result-Code (RFC 6733 §7.6), else undefined. */
export function resultCodeOf(answer: Message): number | undefined {
  for (const a of answer.avps)
    if (a.code === Code.RESULT_CODE && a.vendorId === 0 && typeof a.value === 'number') return a.value;
  for (const a of answer.avps) {
    if (a.code !== Code.EXPERIMENTAL_RESULT || a.vendorId !== 0) continue;
    for (const c of a.avps ?? [])
      if (c.code === Code.EXPERIMENTAL_RESULT_CODE && typeof c.value === 'number') return c.value;
  }
  return undefined;
}

/** RFC 6733 §7.1.2: 2xxx is success. */
export function isSuccess(resultCode: number | undefined): boolean {
  return resultCode !== undefined && resultCode >= 2000 && resultCode < 3000;
}

const RESULT_NAMES = new Map<number, string>(
  Object.entries(ResultCode).map(([k, v]) => [v as number, `DIAMETER_${k}`]),
);

/** "2001 DIAMETER_SUCCESS", or the number alone when RFC 6733 does not name it. */
export function describeResultCode(rc: number | undefined): string {
  if (rc === undefined) return 'no Result-Code';
  const name = RESULT_NAMES.get(rc);
  return name ? `${rc} ${name}` : String(rc);
}
