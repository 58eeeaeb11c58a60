/**
 * The local Diameter node: identity, the peer table, the handler registry, and the answer every request
 * gets (base-protocol.md §9.5 order): header bits → duplicates → application/command → routing → grammar
 * → the application's handler. It owns the listeners (TCP, TLS) and outgoing connections.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { DiameterError } from '../codec/errors.js';
import { encodeMessage } from '../codec/message.js';
import { avpText } from '../codec/raw-values.js';
import { findAvp } from '../dictionary/accessors.js';
import { FLAG_E, FLAG_R, FLAG_T, type Message } from '../codec/types.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { App, Cmd, Code, DisconnectCause } from '../dictionary/codes.js';
import { validateMessage } from '../dictionary/validate.js';
import { appIdSet, commonApplications, readCapabilities, type AdvertisedApplications, type PeerCapabilities } from '../peer/capabilities.js';
import { Connection, type ConnectionOptions } from '../peer/connection.js';
import { channels } from '../peer/diagnostics.js';
import { Peer, type PeerHost } from '../peer/peer.js';
import { CER_WAIT_DEFAULT_MS, type Clock } from '../peer/timers.js';
import { answerForError, buildErrorAnswer } from './answers.js';
import { DuplicateCache, withHopByHop } from './duplicates.js';
import { EndToEndGenerator } from './end-to-end.js';
import { HandlerRegistry, type Application } from './handlers.js';
import { DEFAULT_IDENTITY, IdentityAvps, type Identity } from './identity.js';
import { RuleEngine, type RuleSpec } from './rules.js';

export interface TlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  ca?: string | Buffer;
  /** Require and verify a client certificate. */
  requestCert?: boolean;
}

export interface NodeOptions {
  identity?: Partial<Identity>;
  dictionary: Dictionary;
  /** Peers allowed to connect (Origin-Host, case-insensitive); unset = anyone (RFC 6733 §5.3: 3010). */
  allowPeers?: string[];
  /** Realms we answer for; unset = any realm (a test terminator). Others get 3003. */
  realms?: string[];
  /** What an unimplemented command gets: 5012 (default, what our users asked for) or RFC 6733's 3001. */
  unsupportedCommand?: 5012 | 3001;
  duplicateWindowMs?: number;
  duplicateMaxEntries?: number;
  /** Close an inbound connection that sends no CER within this time. */
  cerTimeoutMs?: number;
  watchdogMs?: number;
  /** Time and timers for the peers' watchdogs; default the system clock (tests drive a fake one). */
  watchdogClock?: Clock;
  requestTimeoutMs?: number;
  maxMessageLength?: number;
  /** Accept several connections with the same Origin-Host (load generators); default false (RFC 6733). */
  multipleConnections?: boolean;
  /** Validate requests against the command grammar (5005/5008/5009/5001). Default true. */
  validate?: boolean;
  /** Tc for configured peers. */
  reconnectMs?: number;
  /** How long stop() waits for DPA and in-flight answers. */
  shutdownTimeoutMs?: number;
  /** Behaviour rules applied to application requests (rules.ts); more can be added at run time. */
  rules?: RuleSpec[];
}

export interface ListenOptions {
  host?: string;
  port?: number;
  tls?: TlsOptions;
}

export interface PeerTarget {
  host: string;
  port: number;
  originHost?: string;
  tls?: TlsOptions & { servername?: string; rejectUnauthorized?: boolean };
}

export class DiameterNode extends EventEmitter implements PeerHost {
  readonly identity: IdentityAvps;
  readonly dictionary: Dictionary;
  readonly registry = new HandlerRegistry();
  readonly peers = new Map<string, Peer>();
  readonly connectionOptions: ConnectionOptions;
  readonly watchdogMs?: number;
  readonly watchdogClock?: Clock;
  private readonly duplicates: DuplicateCache;
  private readonly e2e = new EndToEndGenerator();
  private readonly servers: (net.Server | tls.Server)[] = [];
  private readonly unbound = new Set<Connection>();
  /** Where to reach the peers connect() was asked for. */
  private readonly targets = new WeakMap<Peer, PeerTarget>();
  /** Answers being produced (handler promises), and who waits for there to be none (stop()). */
  private inflight = 0;
  private idle: (() => void) | undefined;
  private readonly allow?: Set<string>;
  private readonly realms?: Set<string>;
  private stopping = false;
  readonly stats = { answered: 0, errors: 0, duplicates: 0, unsupported: 0, malformed: 0 };
  /** Behaviour rules: list(), add(rule) → id, remove(id), per-rule hit counters. */
  readonly rules: RuleEngine;

  constructor(readonly options: NodeOptions) {
    super();
    this.identity = new IdentityAvps({ ...DEFAULT_IDENTITY, ...options.identity });
    this.dictionary = options.dictionary;
    this.connectionOptions = {
      resolve: options.dictionary.resolve,
      maxMessageLength: options.maxMessageLength,
      requestTimeoutMs: options.requestTimeoutMs,
    };
    this.watchdogMs = options.watchdogMs;
    this.watchdogClock = options.watchdogClock;
    this.duplicates = new DuplicateCache({ windowMs: options.duplicateWindowMs, maxEntries: options.duplicateMaxEntries });
    if (options.allowPeers?.length) this.allow = new Set(options.allowPeers.map((h) => h.toLowerCase()));
    if (options.realms?.length) this.realms = new Set(options.realms.map((r) => r.toLowerCase()));
    this.rules = new RuleEngine({
      dictionary: options.dictionary,
      rules: options.rules,
      host: { identity: this.identity, answer: (p, c, r) => this.answer(p, c, r), track: (p) => this.track(p) },
    });
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

  private publishError(conn: Connection, error: Error): void {
    if (channels.peerError.hasSubscribers) channels.peerError.publish({ connection: conn, error });
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
  // requests

  onMalformed(_peer: Peer, conn: Connection, msg: Message, err: DiameterError): void {
    this.stats.malformed++;
    this.publishError(conn, err);
    conn.sendMessage(answerForError(msg, this.identity, err));
  }

  onRequest(peer: Peer, conn: Connection, req: Message): void {
    // RFC 6733 §3: E set on a request → 3008 (base-protocol.md §9.5 step 2).
    if ((req.flags & FLAG_E) !== 0) {
      this.stats.errors++;
      conn.sendMessage(buildErrorAnswer(req, this.identity, 3008, 'E bit set on a request'));
      return;
    }
    // Behaviour rules (rules.ts): a matching rule takes the request over. One branch when there are none.
    if (this.rules.size !== 0 && this.rules.handle(peer, conn, req)) return;
    // Duplicate detection (RFC 6733 §6.1): T-flagged retransmission of a request already answered.
    const originHost = originHostOf(req);
    if (originHost !== undefined && (req.flags & FLAG_T) !== 0) {
      const earlier = this.duplicates.lookup(originHost, req.endToEndId);
      if (earlier !== undefined) {
        this.stats.duplicates++;
        const hbh = req.hopByHopId;
        if (Buffer.isBuffer(earlier)) conn.write(withHopByHop(earlier, hbh));
        else void earlier.then((b) => b && !conn.isClosed && conn.write(withHopByHop(b, hbh)));
        return;
      }
    }
    const answer = this.answer(peer, conn, req);
    if (answer === undefined) return;
    if (answer instanceof Promise) {
      this.answerLater(conn, req, originHost, answer);
      return;
    }
    const bytes = sendAnswer(conn, answer);
    if (originHost !== undefined) this.duplicates.remember(originHost, req.endToEndId, bytes);
  }

  /**
   * Sends an answer the handler gives later, and keeps its promise for a retransmission arriving
   * meanwhile (then its octets, once known). Counted in flight for stop() without a reaction of its own
   * (settled first: stop()'s wait resumes in a later microtask, after this answer is written).
   */
  private answerLater(conn: Connection, req: Message, originHost: string | undefined, answer: Promise<Message | Buffer | undefined>): void {
    let ticket = -1;
    this.inflight++;
    const p = answer.then(
      (a) => {
        this.settled();
        let bytes: Buffer | undefined;
        try {
          bytes = sendAnswer(conn, a);
        } catch (e) {
          // An answer that cannot be encoded is the handler's failure, not the request's: 5012.
          const why = e instanceof Error ? e.message : String(e);
          bytes = this.failureBytes(req, new DiameterError('BAD_MESSAGE_FORM', `the answer could not be encoded: ${why}`, { resultCode: 5012 }));
          conn.write(bytes);
        }
        if (bytes && ticket >= 0) this.duplicates.settle(ticket, bytes);
        return bytes;
      },
      (e: unknown) => {
        this.settled();
        const bytes = this.failureBytes(req, e);
        conn.write(bytes);
        if (ticket >= 0) this.duplicates.settle(ticket, bytes);
        return bytes;
      },
    );
    if (originHost !== undefined) ticket = this.duplicates.remember(originHost, req.endToEndId, p);
  }

  /** The answer to a request whose handler failed: its DiameterError, else 5012 (RFC 6733 §7.1.5). */
  private failureBytes(req: Message, e: unknown): Buffer {
    const err = e instanceof DiameterError ? e : new DiameterError('BAD_MESSAGE_FORM', (e as Error)?.message ?? String(e), { resultCode: 5012 });
    return encodeMessage(answerForError(req, this.identity, err));
  }

  /** Counts an answer promise in flight until it settles (stop() waits for them). */
  private track(p: Promise<unknown>): void {
    this.inflight++;
    const done = () => this.settled();
    p.then(done, done);
  }

  private settled(): void {
    if (--this.inflight === 0 && this.idle) {
      this.idle();
      this.idle = undefined;
    }
  }

  /** Resolves once no answer is in flight. */
  private whenIdle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    const before = this.idle;
    return new Promise<void>((resolve) => {
      this.idle = () => {
        before?.();
        resolve();
      };
    });
  }

  /** The answer to an application request, per base-protocol.md §9.5 steps 3–7. */
  private answer(peer: Peer, conn: Connection, req: Message): Message | Buffer | undefined | Promise<Message | Buffer | undefined> {
    const app = this.registry.application(req.applicationId);
    if (!app) {
      this.stats.errors++;
      return buildErrorAnswer(req, this.identity, 3007, `application ${req.applicationId} is not supported`);
    }
    const handler = app.commands.get(req.commandCode);
    if (!handler) {
      this.stats.unsupported++;
      const rc = this.options.unsupportedCommand ?? 5012;
      return buildErrorAnswer(req, this.identity, rc, `command ${req.commandCode} not supported on application ${req.applicationId}`);
    }
    // Routing: we are a terminator (RFC 6733 §6.1.4 local processing).
    if (this.realms) {
      const realm = utf8Of(req, Code.DESTINATION_REALM);
      if (realm !== undefined && !this.realms.has(realm.toLowerCase())) {
        this.stats.errors++;
        return buildErrorAnswer(req, this.identity, 3003, `realm ${realm} is not served here`);
      }
    }
    const destHost = utf8Of(req, Code.DESTINATION_HOST);
    if (destHost !== undefined && destHost.toLowerCase() !== this.identity.identity.originHost.toLowerCase()) {
      this.stats.errors++;
      return buildErrorAnswer(req, this.identity, 3002, `Destination-Host ${destHost} is not this node and we do not relay`);
    }
    if (this.options.validate !== false) {
      const err = validateMessage(req, this.dictionary);
      if (err) {
        this.stats.errors++;
        return app.errorAnswer?.(req, err, this.identity) ?? answerForError(req, this.identity, err);
      }
    }
    this.stats.answered++;
    return handler(req, { peer, connection: conn, identity: this.identity, raw: req.raw });
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

/**
 * Sends a handler's answer (a Message, or octets it encoded itself) and returns its octets for the
 * duplicate cache; a Message is encoded once, straight into the connection's output.
 */
function sendAnswer(conn: Connection, a: Message | Buffer): Buffer;
function sendAnswer(conn: Connection, a: Message | Buffer | undefined): Buffer | undefined;
function sendAnswer(conn: Connection, a: Message | Buffer | undefined): Buffer | undefined {
  if (a === undefined) return undefined;
  if (!Buffer.isBuffer(a)) return conn.sendMessageBytes(a);
  conn.write(a);
  return a;
}

function utf8Of(m: Message, code: number): string | undefined {
  const a = findAvp(m.avps, code);
  return a && avpText(a);
}

function originHostOf(m: Message): string | undefined {
  return utf8Of(m, Code.ORIGIN_HOST);
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
