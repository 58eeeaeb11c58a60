/**
 * The local Diameter node: the peer table, the applications it advertises and the capabilities it
 * accepts. It owns the listeners (TCP, TLS) and outgoing connections, and stops gracefully. Identity, the
 * handler registry and the answer every request gets come from its base class (request-pipeline.ts); its
 * options are declared in node-options.ts.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { DiameterError } from '../codec/errors.js';
import { FLAG_R, type Message } from '../codec/types.js';
import { App, Cmd, DisconnectCause } from '../dictionary/codes.js';
import { appIdSet, commonApplications, readCapabilities, type AdvertisedApplications, type PeerCapabilities } from '../peer/capabilities.js';
import { Connection, type ConnectionOptions } from '../peer/connection.js';
import { Peer, type PeerHost } from '../peer/peer.js';
import { CER_WAIT_DEFAULT_MS, type Clock } from '../peer/timers.js';
import { EndToEndGenerator } from './end-to-end.js';
import type { Application } from './handlers.js';
import type { ListenOptions, NodeOptions, PeerTarget } from './node-options.js';
import { RequestPipeline } from './request-pipeline.js';

export type { ListenOptions, NodeOptions, PeerTarget, TlsOptions } from './node-options.js';

export class DiameterNode extends RequestPipeline implements PeerHost {
  readonly peers = new Map<string, Peer>();
  readonly connectionOptions: ConnectionOptions;
  readonly watchdogMs?: number;
  readonly watchdogClock?: Clock;
  private readonly e2e = new EndToEndGenerator();
  private readonly servers: (net.Server | tls.Server)[] = [];
  private readonly unbound = new Set<Connection>();
  /** Where to reach the peers connect() was asked for. */
  private readonly targets = new WeakMap<Peer, PeerTarget>();
  private readonly allow?: Set<string>;
  private stopping = false;

  constructor(options: NodeOptions) {
    super(options);
    this.connectionOptions = {
      resolve: options.dictionary.resolve,
      maxMessageLength: options.maxMessageLength,
      requestTimeoutMs: options.requestTimeoutMs,
    };
    this.watchdogMs = options.watchdogMs;
    this.watchdogClock = options.watchdogClock;
    if (options.allowPeers?.length) this.allow = new Set(options.allowPeers.map((h) => h.toLowerCase()));
  }

  register(app: Application): this {
    this.registry.register(app);
    return this;
  }

  /** What CER/CEA advertise: every registered application (RFC 6733 §5.3). */
  get applications(): AdvertisedApplications {
    const apps: AdvertisedApplications = { auth: [], acct: [], vendorSpecific: [], supportedVendors: [] };
    const vendors = new Set<number>();
    for (const a of this.registry.applications) {
      if (a.vendorId) {
        apps.vendorSpecific.push({ vendorId: a.vendorId, [a.kind]: a.id });
        vendors.add(a.vendorId);
      } else (a.kind === 'auth' ? apps.auth : apps.acct).push(a.id);
    }
    // Rf (app 3) carries 3GPP AVPs: say we understand vendor 10415 (as vector 02 does).
    if (this.registry.application(App.BASE_ACCOUNTING)) vendors.add(10415);
    apps.supportedVendors = [...vendors];
    return apps;
  }

  newEndToEnd(): number {
    return this.e2e.take();
  }

  /** PeerHost: opens the transport to a peer whose address connect() was given (initiator role). */
  openTransport(peer: Peer): Promise<Duplex> {
    const target = this.targets.get(peer);
    if (!target) return Promise.reject(new DiameterError('PEER_NOT_OPEN', `no address known for ${peer.label}`));
    return openTransport(target);
  }

  // ---------------------------------------------------------------------------------------------------
  // transport

  async listen(opts: ListenOptions = {}): Promise<net.AddressInfo> {
    const server = opts.tls
      ? tls.createServer(
          { cert: opts.tls.cert, key: opts.tls.key, ca: opts.tls.ca, requestCert: !!opts.tls.requestCert, rejectUnauthorized: !!opts.tls.requestCert },
          (s) => this.accept(s),
        )
      : net.createServer((s) => this.accept(s));
    server.on('error', (e) => this.emit('error', e));
    if (opts.tls) server.on('tlsClientError', (e) => this.emit('tls-error', e));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 3868, opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.servers.push(server);
    return server.address() as net.AddressInfo;
  }

  /** Takes an inbound transport (a socket, or any Duplex in tests) and waits for its CER. */
  accept(stream: Duplex): Connection {
    const s = stream as Duplex & { remoteAddress?: string; remotePort?: number; setNoDelay?: (b: boolean) => void };
    s.setNoDelay?.(true);
    const conn = new Connection(
      stream,
      {
        onMessage: (c, m) => this.onUnboundMessage(c, m),
        onMalformed: (c, m, err) => {
          // Nothing but a CER is answered before the capabilities exchange (base-protocol.md §9.5): close.
          this.stats.malformed++;
          this.publishError(c, err);
          c.destroy(err);
        },
        onClose: (c) => this.unbound.delete(c),
        onFramingError: (c, err) => this.publishError(c, err),
      },
      { ...this.connectionOptions, label: s.remoteAddress ? `${s.remoteAddress}:${s.remotePort}` : undefined },
    );
    this.unbound.add(conn);
    const t = setTimeout(() => {
      if (this.unbound.has(conn)) conn.destroy(new DiameterError('PEER_NOT_OPEN', 'no CER within the timeout'));
    }, this.options.cerTimeoutMs ?? CER_WAIT_DEFAULT_MS);
    t.unref();
    return conn;
  }

  private onUnboundMessage(conn: Connection, msg: Message): void {
    if (msg.commandCode !== Cmd.CAPABILITIES_EXCHANGE || (msg.flags & FLAG_R) === 0 || this.stopping) {
      conn.destroy(new DiameterError('PEER_NOT_OPEN', 'first message was not a CER'));
      return;
    }
    this.unbound.delete(conn);
    const caps = readCapabilities(msg);
    let peer: Peer | undefined;
    let k = caps.originHost.toLowerCase();
    let created = false;
    if (this.options.multipleConnections) {
      peer = new Peer(this, { originHost: caps.originHost });
      created = true;
      k = `${k}#${conn.id}`;
      this.peers.set(k, peer);
      const entry = k;
      peer.once('closed', () => this.peers.get(entry) === peer && this.peers.delete(entry));
    } else {
      peer = this.peers.get(k);
      if (!peer) {
        peer = new Peer(this, { originHost: caps.originHost });
        created = true;
        this.peers.set(k, peer);
      }
    }
    this.emit('peer', peer);
    peer.inboundCer(conn, msg, caps);
    // A refused CER (3010, 5010 …) leaves Closed a peer made for it: do not keep it, or every refused
    // connection (one entry each with multipleConnections) would stay in the table for good.
    if (created && peer.state === 'Closed' && !peer.rConn && !peer.iConn && this.peers.get(k) === peer) this.peers.delete(k);
  }

  judgeCapabilities(caps: PeerCapabilities): { resultCode: number; errorMessage?: string } {
    if (this.allow && !this.allow.has(caps.originHost.toLowerCase())) {
      return { resultCode: 3010, errorMessage: `peer ${caps.originHost} is not in the allow-list` };
    }
    const common = commonApplications(appIdSet(this.applications), caps.appIds);
    // A node with no application at all (a bare terminator) accepts any peer: base commands always work.
    if (this.registry.applications.length > 0 && common.length === 0) {
      return {
        resultCode: 5010,
        errorMessage: `no common application: we serve ${[...appIdSet(this.applications)].join(', ')}, peer advertised ${[...caps.appIds].join(', ') || 'none'}`,
      };
    }
    return { resultCode: 2001 };
  }

  /**
   * A peer's Origin-State-Id, from its CER/CEA or a DWR (peer-host.ts): every application that keeps state
   * for peers hears of it (Application.onOriginStateId), and so does an 'origin-state-id' listener.
   */
  onOriginStateId(peer: Peer, originHost: string, originStateId: number, from: 'CER' | 'CEA' | 'DWR'): void {
    for (const app of this.registry.applications) {
      // Called from the peer's state machine: an application's failure must not stop the peer.
      try {
        app.onOriginStateId?.(originHost, originStateId, from);
      } catch (e) {
        if (this.listenerCount('error') > 0) this.emit('error', e);
      }
    }
    this.emit('origin-state-id', peer, originHost, originStateId, from);
  }

  /** Connects to a peer (initiator) and resolves when it is open. */
  connect(target: PeerTarget, opts: { reconnect?: boolean; timeoutMs?: number } = {}): Promise<Peer> {
    const key = (target.originHost ?? `${target.host}:${target.port}`).toLowerCase();
    let peer = this.peers.get(key);
    if (!peer) {
      peer = new Peer(this, { originHost: target.originHost, reconnect: opts.reconnect ?? false, reconnectMs: this.options.reconnectMs });
      this.peers.set(key, peer);
    }
    // The peer may exist already because it connected to us first (found by its Origin-Host): it is the
    // same peer (RFC 6733 §5.6.4 needs one state machine per peer), and now we know how to reach it.
    this.targets.set(peer, target);
    const p = peer;
    return new Promise<Peer>((resolve, reject) => {
      const timer = setTimeout(() => done(new DiameterError('PEER_NOT_OPEN', `${target.host}:${target.port}: not open within ${opts.timeoutMs ?? 15000} ms`)), opts.timeoutMs ?? 15000);
      const onState = (_from: string, to: string) => {
        if (to === 'I-Open' || to === 'R-Open') done();
        else if (to === 'Closed' && !opts.reconnect) done(lastError ?? new DiameterError('PEER_NOT_OPEN', `${target.host}:${target.port}: capabilities exchange failed`));
      };
      let lastError: Error | undefined;
      const onErr = (e: Error) => (lastError = e);
      const onRefused = (rc: number) => (lastError = new DiameterError('PEER_NOT_OPEN', `CEA refused with Result-Code ${rc}`));
      const done = (err?: Error) => {
        clearTimeout(timer);
        p.off('state', onState);
        p.off('connect-error', onErr);
        p.off('cea-refused', onRefused);
        if (err) reject(err);
        else resolve(p);
      };
      p.on('state', onState);
      p.on('connect-error', onErr);
      p.on('cea-refused', onRefused);
      if (p.isOpen) done();
      else if (p.state === 'Closed') p.start();
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // shutdown

  /**
   * Graceful stop (RFC 6733 §5.4): stop accepting, let in-flight answers finish, send DPR to every open
   * peer and wait for the DPAs (or the timeout), close everything.
   */
  async stop(cause: number = DisconnectCause.REBOOTING): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const timeout = this.options.shutdownTimeoutMs ?? 5000;
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))).map((p) => withTimeout(p, 100)));
    for (const c of this.unbound) c.destroy();
    await withTimeout(this.whenIdle(), timeout);
    await withTimeout(Promise.all([...this.peers.values()].map((p) => p.stop(cause))), timeout);
    for (const p of this.peers.values()) {
      p.iConn?.destroy();
      p.rConn?.destroy();
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms);
    t.unref();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      () => {
        clearTimeout(t);
        resolve(undefined);
      },
    );
  });
}

export function openTransport(t: PeerTarget): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const s = t.tls
      ? tls.connect({
          host: t.host,
          port: t.port,
          cert: t.tls.cert,
          key: t.tls.key,
          ca: t.tls.ca,
          servername: t.tls.servername,
          rejectUnauthorized: t.tls.rejectUnauthorized ?? !!t.tls.ca,
        })
      : net.connect({ host: t.host, port: t.port });
    const ev = t.tls ? 'secureConnect' : 'connect';
    s.once(ev, () => {
      s.off('error', reject);
      (s as net.Socket).setNoDelay?.(true);
      resolve(s);
    });
    s.once('error', reject);
  });
}
