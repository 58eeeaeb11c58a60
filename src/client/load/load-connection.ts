/**
 * One transport connection of the load generator: a lean client that does the base protocol itself
 * (CER/CEA RFC 6733 §5.3, DWR/DWA RFC 3539, DPR/DPA §5.4) and keeps the ACR traffic on a hot path that
 * allocates nothing per request:
 *
 * - requests are pre-encoded templates copied into a slab and patched (acr-template.ts), and the requests
 *   of one turn of the event loop leave in one socket write (flush());
 * - answers are correlated by Hop-by-Hop id (§3: unique among a connection's outstanding requests) in a
 *   slot table — typed arrays indexed by the id's low bits — and only their header and Result-Code are
 *   read (answer-reader.ts; the engine reads Acct-Interim-Interval too, with --follow-interim);
 * - no Promise, no timer and no object per request: one sweep timer per connection expires requests.
 *
 * The general-purpose Connection (src/peer/connection.ts) decodes every message and keeps a Promise per
 * request: right for a peer, too heavy for a generator whose budget is a few microseconds per request.
 *
 * Over TLS (RFC 6733 §2.1, §13.1: TLS from the first byte) the socket is a TLSSocket, a net.Socket whose
 * writes are encrypted: the hot path is the same, and its one write per turn is one TLS record batch.
 */
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { DiameterError } from '../../codec/errors.js';
import { Framer } from '../../codec/framer.js';
import { decodeMessage, encodeMessage } from '../../codec/message.js';
import { FLAG_R, type Message } from '../../codec/types.js';
import { App, Cmd, Code, DisconnectCause, VENDOR_3GPP } from '../../dictionary/codes.js';
import { buildAnswer, buildErrorAnswer } from '../../node/answers.js';
import { EndToEndGenerator } from '../../node/end-to-end.js';
import { i32Avp, IdentityAvps, DEFAULT_IDENTITY, originStateAvps } from '../../node/identity.js';
import {
  capabilityAvps,
  normaliseAddress,
  readCapabilities,
  type PeerCapabilities,
} from '../../peer/capabilities.js';
import { socketErrorReason, type ClientTls } from '../client-tls.js';
import { ConnectError, connectSocket } from './connect-socket.js';
import { writeAcr, type CompiledAcr } from './acr-template.js';
import { ControlRequests } from './control-requests.js';
import { readResultCode, u32At } from './answer-reader.js';

export interface LoadConnectionOwner<S> {
  /**
   * An answer to one of our ACRs: its Result-Code, when it was read (performance.now()), and its octets
   * (a view of the read, valid during the call only) for an owner that reads more of it.
   */
  onAnswer(session: S, resultCode: number, intendedMs: number, nowMs: number, answer: Buffer): void;
  /** No answer within the timeout: the request is forgotten (a later answer counts as late). */
  onTimeout(session: S, intendedMs: number): void;
  /** The connection closed with this request unanswered (after onClosed). */
  onLost(session: S, intendedMs: number): void;
  /** The connection closed; onLost follows for each pending request. */
  onClosed(err?: Error): void;
  /** Room to send again after a full slot table or a full socket buffer. */
  onWritable(): void;
}

export interface LoadConnectionOptions {
  host: string;
  port: number;
  /** TLS from the first byte with these settings; absent: plain TCP. */
  tls?: ClientTls;
  originHost: string;
  originRealm: string;
  timeoutMs: number;
  /** Requests in flight at most; rounded up to a power of two. */
  maxInFlight: number;
  /** Tw (RFC 3539): a DWR is sent after this long without traffic from the peer. */
  watchdogMs?: number;
  /** Stop sending while the socket holds more than this many unsent octets. */
  highWaterMark?: number;
  /**
   * Origin-State-Id of the CER and DWRs (RFC 6733 §8.16; default: now, in seconds). Every connection of a
   * run gives the same one: a server that sees it rise for an Origin-Host takes the host for restarted
   * and closes its open sessions (accounting-rf.md §5.5), which connections of one run sharing an
   * Origin-Host (--same-origin-host) must not trigger by connecting a second apart.
   */
  originStateId?: number;
}

const SLAB_SIZE = 1 << 20;
/** A slab with less room than this is replaced at the next flush. */
const SLAB_MIN_ROOM = 64 * 1024;
const DPA_WAIT_MS = 2_000;

/** Re-exported: what connect() rejects with (connect-socket.ts). */
export { ConnectError };

export class LoadConnection<S> {
  /** Set once connected (destroy() and finish() may run before). */
  private socket!: net.Socket;
  private readonly framer = new Framer();
  private readonly identity: IdentityAvps;
  /** Outstanding base-protocol requests (CER, DWR, DPR). */
  private readonly control = new ControlRequests();
  private readonly endToEnd = new EndToEndGenerator();

  // The slot table: slot = Hop-by-Hop id & mask; the high bits are a generation, so the answer to a
  // request that timed out cannot be taken for the request that reused its slot.
  private readonly bits: number;
  private readonly mask: number;
  private generation = 1;
  private readonly slotHbh: Uint32Array;
  private readonly slotUsed: Uint8Array;
  private readonly slotIntended: Float64Array;
  private readonly slotSent: Float64Array;
  private readonly slotSession: (S | undefined)[];
  private readonly freeSlots: Int32Array;
  private freeTop: number;
  /** Slots below this index have been used: the sweep looks no further. */
  private highWater = 0;
  inFlight = 0;

  private slab = Buffer.allocUnsafe(SLAB_SIZE);
  private batchStart = 0;
  private pos = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private lastReceived = performance.now();
  private dwrOutstanding = false;
  private open = false;
  private closed = false;
  private closing = false;
  private blocked = false;
  readonly highWaterMark: number;
  capabilities: PeerCapabilities | undefined;
  /** Whether the CEA advertised accounting (Acct-Application-Id 3) or relay. */
  advertisesAccounting = true;
  /** Answers for no outstanding request (late, after a timeout), and requests we could not read. */
  readonly counts = { lateAnswers: 0, serverRequests: 0 };

  constructor(
    readonly options: LoadConnectionOptions,
    private readonly owner: LoadConnectionOwner<S>,
  ) {
    let bits = 4;
    while (1 << bits < options.maxInFlight && bits < 20) bits++;
    this.bits = bits;
    this.mask = (1 << bits) - 1;
    const cap = 1 << bits;
    this.slotHbh = new Uint32Array(cap);
    this.slotUsed = new Uint8Array(cap);
    this.slotIntended = new Float64Array(cap);
    this.slotSent = new Float64Array(cap);
    this.slotSession = new Array<S | undefined>(cap).fill(undefined);
    this.freeSlots = new Int32Array(cap);
    for (let i = 0; i < cap; i++) this.freeSlots[i] = cap - 1 - i;
    this.freeTop = cap;
    this.highWaterMark = options.highWaterMark ?? 4 * 1024 * 1024;
    this.identity = new IdentityAvps({
      ...DEFAULT_IDENTITY,
      originHost: options.originHost,
      originRealm: options.originRealm,
      productName: 'diamkit load',
      originStateId: (options.originStateId ?? Math.floor(Date.now() / 1000)) >>> 0,
    });
  }

  get label(): string {
    return `${this.options.originHost} → ${this.options.host}:${this.options.port}`;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get isOpen(): boolean {
    return this.open && !this.closed && !this.closing;
  }

  /** Whether a request can be sent now: open, a free slot, and the socket not backed up. */
  get canSend(): boolean {
    return this.open && !this.closing && this.freeTop > 0 && !this.blocked;
  }

  /** "HOST:PORT", with " over TLS" when it is: what a connect error names. */
  private get peerName(): string {
    return `${this.options.host}:${this.options.port}${this.options.tls ? ' over TLS' : ''}`;
  }

  /** Connects and exchanges capabilities; rejects with ConnectError if the peer refuses. */
  async connect(): Promise<PeerCapabilities> {
    const { host, port, tls: t } = this.options;
    const peer = this.peerName;
    this.socket = await connectSocket(host, port, t, peer);
    const s = this.socket;
    if (this.closed) {
      // Given up on (another connection of the run failed) while this one was connecting.
      s.destroy();
      throw new ConnectError(`${peer}: connection abandoned`);
    }
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => this.onData(chunk));
    s.on('error', (e) => this.finish(e));
    s.on('close', () => this.finish());
    s.on('drain', () => {
      if (this.blocked) {
        this.blocked = false;
        this.owner.onWritable();
      }
    });
    const apps = {
      auth: [],
      acct: [App.BASE_ACCOUNTING],
      vendorSpecific: [],
      supportedVendors: [VENDOR_3GPP],
    };
    const local = normaliseAddress(s.localAddress) ?? '127.0.0.1';
    const cer = this.controlMessage(Cmd.CAPABILITIES_EXCHANGE, capabilityAvps(this.identity, [local], apps));
    let cea: Message;
    try {
      cea = await this.controlRequest(cer);
    } catch (e) {
      this.destroy();
      throw new ConnectError(`${peer}: no CEA: ${(e as Error).message}`);
    }
    const rc = cea.avps.find((a) => a.code === Code.RESULT_CODE && a.vendorId === 0);
    const resultCode = rc?.data && rc.data.length === 4 ? u32At(rc.data, 0) : 0;
    const caps = readCapabilities(cea);
    if (resultCode !== 2001) {
      this.destroy();
      throw new ConnectError(
        `${peer} refused our CER (Origin-Host ${this.options.originHost}) with Result-Code ${resultCode || 'none'}`,
      );
    }
    // RFC 6733 §5.3 would have us close when no application is common; a load tool still sends (a
    // bare terminator answers ACRs with errors, which is worth measuring too) and says so.
    this.advertisesAccounting = caps.appIds.has(App.BASE_ACCOUNTING) || caps.appIds.has(App.RELAY);
    this.capabilities = caps;
    this.open = true;
    const tick = Math.max(10, Math.min(250, this.options.timeoutMs / 4));
    this.sweepTimer = setInterval(() => this.sweep(), tick);
    this.sweepTimer.unref();
    return caps;
  }

  // -----------------------------------------------------------------------------------------------
  // the hot path

  /**
   * Queues one ACR (written at the next flush). The caller checked canSend. `ntpSeconds` is the
   * Event-Timestamp and ${sent} to write (< 0: leave the template's), `sessionStartNtp` ${sessionStart},
   * `sinceLastSeconds` ${sinceLast}.
   */
  send(
    t: CompiledAcr,
    digits: Uint8Array,
    recordNumber: number,
    session: S,
    intendedMs: number,
    nowMs: number,
    ntpSeconds: number,
    sessionStartNtp = -1,
    sinceLastSeconds = -1,
  ): void {
    const slot = this.freeSlots[--this.freeTop]!;
    const hbh = ((this.generation << this.bits) | slot) >>> 0;
    this.generation = (this.generation + 1) & ((1 << (32 - this.bits)) - 1) || 1;
    this.slotHbh[slot] = hbh;
    this.slotUsed[slot] = 1;
    this.slotIntended[slot] = intendedMs;
    this.slotSent[slot] = nowMs;
    this.slotSession[slot] = session;
    if (slot >= this.highWater) this.highWater = slot + 1;
    this.inFlight++;
    const need = t.bytes.length;
    if (this.pos + need > this.slab.length) this.newSlab(need);
    this.pos = writeAcr(this.slab, this.pos, t, digits, recordNumber, hbh, this.endToEnd.take(), ntpSeconds, sessionStartNtp, sinceLastSeconds);
  }

  /** Writes everything queued since the last flush in one socket write. */
  flush(): void {
    if (this.pos === this.batchStart || this.closed) return;
    const ok = this.socket.write(this.slab.subarray(this.batchStart, this.pos));
    this.batchStart = this.pos;
    if (this.slab.length - this.pos < SLAB_MIN_ROOM) this.newSlab(0);
    if (!ok && this.socket.writableLength > this.highWaterMark) this.blocked = true;
  }

  /** The bytes already handed to the socket still belong to it: start a new slab, never reuse. */
  private newSlab(need: number): void {
    if (this.pos > this.batchStart) {
      const ok = this.socket.write(this.slab.subarray(this.batchStart, this.pos));
      if (!ok && this.socket.writableLength > this.highWaterMark) this.blocked = true;
    }
    this.slab = Buffer.allocUnsafe(Math.max(SLAB_SIZE, need));
    this.batchStart = 0;
    this.pos = 0;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.framer.push(chunk);
    } catch (e) {
      this.destroy(e as DiameterError);
      return;
    }
    const now = performance.now();
    this.lastReceived = now;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      const cmd = (f[5]! << 16) | (f[6]! << 8) | f[7]!;
      if ((f[4]! & FLAG_R) !== 0) this.onServerRequest(f);
      else if (cmd === Cmd.ACCOUNTING) this.onAcctAnswer(f, now);
      else this.onControlAnswer(f);
      if (this.closed) return;
    }
    if (this.framer.error) this.destroy(this.framer.error);
  }

  private onAcctAnswer(f: Buffer, now: number): void {
    const hbh = ((f[12]! << 24) | (f[13]! << 16) | (f[14]! << 8) | f[15]!) >>> 0;
    const slot = hbh & this.mask;
    if (this.slotUsed[slot] === 0 || this.slotHbh[slot] !== hbh) {
      this.counts.lateAnswers++;
      return;
    }
    const session = this.slotSession[slot]!;
    const intended = this.slotIntended[slot]!;
    this.release(slot);
    this.owner.onAnswer(session, readResultCode(f, 0, f.length), intended, now, f);
  }

  private release(slot: number): void {
    this.slotUsed[slot] = 0;
    this.slotSession[slot] = undefined;
    this.freeSlots[this.freeTop++] = slot;
    this.inFlight--;
  }

  /** Expires requests past their timeout; sends a DWR after Tw without traffic (RFC 3539 §3.4.1). */
  private sweep(): void {
    const now = performance.now();
    const limit = now - this.options.timeoutMs;
    const sent = this.slotSent;
    const used = this.slotUsed;
    let expired = 0;
    for (let i = 0; i < this.highWater; i++) {
      if (used[i] === 1 && sent[i]! <= limit) {
        const session = this.slotSession[i]!;
        const intended = this.slotIntended[i]!;
        this.release(i);
        expired++;
        this.owner.onTimeout(session, intended);
      }
    }
    const tw = this.options.watchdogMs ?? 30_000;
    if (this.isOpen && !this.dwrOutstanding && now - this.lastReceived > tw) {
      this.dwrOutstanding = true;
      this.controlRequest(this.controlMessage(Cmd.DEVICE_WATCHDOG, originStateAvps(this.identity))).then(
        () => (this.dwrOutstanding = false),
        () => (this.dwrOutstanding = false),
      );
    }
    if (expired > 0) {
      this.flush();
      this.owner.onWritable();
    }
  }

  // -----------------------------------------------------------------------------------------------
  // base protocol (rare: decoded in full)

  private controlMessage(commandCode: number, avps: Message['avps']): Message {
    return {
      version: 1,
      flags: FLAG_R,
      commandCode,
      applicationId: 0,
      hopByHopId: 0,
      endToEndId: 0,
      avps: [this.identity.originHost, this.identity.originRealm, ...avps],
    };
  }

  private controlRequest(msg: Message): Promise<Message> {
    return this.control.send(msg, this.endToEnd.take(), (m) => this.writeControl(encodeMessage(m)));
  }

  private writeControl(bytes: Buffer): void {
    if (this.closed) return;
    if (this.pos + bytes.length > this.slab.length) this.newSlab(bytes.length);
    this.slab.set(bytes, this.pos);
    this.pos += bytes.length;
    this.flush();
  }

  private onControlAnswer(f: Buffer): void {
    if (!this.control.answer(f)) this.counts.lateAnswers++;
  }

  private onServerRequest(f: Buffer): void {
    this.counts.serverRequests++;
    let req: Message;
    try {
      req = decodeMessage(f);
    } catch {
      return; // a request we cannot read: nothing sensible to answer
    }
    if (req.commandCode === Cmd.DEVICE_WATCHDOG) {
      this.writeControl(
        encodeMessage(buildAnswer(req, this.identity, 2001, { avps: originStateAvps(this.identity) })),
      );
    } else if (req.commandCode === Cmd.DISCONNECT_PEER) {
      // RFC 6733 §5.4: answer, then the DPR's sender closes; we stop sending at once.
      this.closing = true;
      this.writeControl(encodeMessage(buildAnswer(req, this.identity, 2001)));
      setTimeout(() => this.destroy(), DPA_WAIT_MS).unref();
    } else {
      // A client of Rf serves no application requests (RFC 6733 §7.1.3: 3001, E bit).
      this.writeControl(encodeMessage(buildErrorAnswer(req, this.identity, 3001)));
    }
  }

  /** Graceful end: DPR (RFC 6733 §5.4), wait for the DPA (or 2 s), close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    if (this.open && !this.closing) {
      this.closing = true;
      const dpr = this.controlMessage(Cmd.DISCONNECT_PEER, [
        i32Avp(Code.DISCONNECT_CAUSE, DisconnectCause.DO_NOT_WANT_TO_TALK_TO_YOU),
      ]);
      await Promise.race([
        this.controlRequest(dpr).catch(() => undefined),
        new Promise((r) => setTimeout(r, DPA_WAIT_MS).unref()),
      ]);
    }
    this.socket.end();
    await new Promise<void>((resolve) => {
      if (this.closed) return resolve();
      const t = setTimeout(() => {
        this.destroy();
        resolve();
      }, DPA_WAIT_MS);
      t.unref();
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  destroy(err?: Error): void {
    if (this.closed) return;
    (this.socket as net.Socket | undefined)?.destroy();
    this.finish(err);
  }

  private finish(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    // The reason goes with it: over TLS, a server refusing our certificate (or having none from us)
    // says so in an alert that arrives after our handshake is done, while the CER waits for its CEA.
    const closed = `connection closed${err ? `: ${socketErrorReason(err)}` : ''}`;
    this.control.failAll(closed);
    const sock = this.socket as net.Socket | undefined;
    if (sock && !sock.destroyed) sock.destroy();
    // The owner hears of the close first, so nothing it does for a lost request uses this connection.
    this.owner.onClosed(err);
    for (let i = 0; i < this.highWater; i++) {
      if (this.slotUsed[i] === 1) {
        const session = this.slotSession[i]!;
        const intended = this.slotIntended[i]!;
        this.release(i);
        this.owner.onLost(session, intended);
      }
    }
  }
}
