/**
 * One remote peer: the RFC 6733 §5.6 state machine (state-machine.ts) driven across its initiated (I)
 * and responder (R) connections, capabilities exchange, the RFC 3539 watchdog, DPR/DPA, and requests.
 * Each event goes through `transition()`; the actions the table names are executed here, in order.
 */
import { EventEmitter } from 'node:events';
import { DiameterError } from '../codec/errors.js';
import { FLAG_R, type Message } from '../codec/types.js';
import { Cmd, Code, DisconnectCause } from '../dictionary/codes.js';
import { buildAnswer } from '../node/answers.js';
import { isErrorResult, publishErrorAnswer } from '../node/error-answers.js';
import { ceaAcceptable, readCapabilities, type PeerCapabilities } from './capabilities.js';
import { Connection, type ConnectionOwner } from './connection.js';
import { channels } from './diagnostics.js';
import { elect } from './election.js';
import { RECEIVE_EVENTS, transitionFor, type EventArgs } from './peer-events.js';
import type { PeerHost, PeerOptions } from './peer-host.js';
import { buildCea, buildCer, buildDpa, buildDpr, buildDwa, buildDwr } from './peer-messages.js';
import {
  isOpen,
  type PeerAction,
  type PeerEvent,
  type PeerState,
  type TransitionContext,
} from './state-machine.js';
import { CEA_WAIT_DEFAULT_MS, DPA_WAIT_DEFAULT_MS, TC_DEFAULT_MS } from './timers.js';
import { Watchdog, type WatchdogState } from './watchdog.js';

export type { PeerHost, PeerOptions } from './peer-host.js';

export class Peer extends EventEmitter {
  state: PeerState = 'Closed';
  originHost: string | undefined;
  capabilities: PeerCapabilities | undefined;
  iConn: Connection | undefined;
  rConn: Connection | undefined;
  readonly watchdog: Watchdog;
  /** The accepted CER waiting for its CEA while an election is pending. */
  private pendingCer: EventArgs | undefined;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay: number;
  /** After a DPR with DO_NOT_WANT_TO_TALK_TO_YOU we do not reconnect until told (RFC 6733 §5.4). */
  private doNotReconnect = false;
  private stopResolvers: (() => void)[] = [];
  readonly stats = { requestsIn: 0, requestsOut: 0 };

  constructor(
    private readonly host: PeerHost,
    readonly options: PeerOptions = {},
  ) {
    super();
    this.originHost = options.originHost;
    this.reconnectDelay = options.reconnectMs ?? TC_DEFAULT_MS;
    this.watchdog = new Watchdog({
      twInitMs: host.watchdogMs,
      clock: host.watchdogClock,
      sendWatchdog: () => this.sendDwr(),
      closeConnection: () => this.openConnection()?.destroy(new DiameterError('PEER_NOT_OPEN', 'watchdog: peer stopped answering')),
      failover: () =>
        this.openConnection()?.failPending(new DiameterError('PEER_NOT_OPEN', `watchdog: ${this.label} is not answering DWR (failover: no alternate peer)`)),
      stateChange: (from: WatchdogState, to: WatchdogState) => {
        if (channels.watchdog.hasSubscribers) channels.watchdog.publish({ peer: this, from, to });
        this.emit('watchdog', from, to);
      },
    });
  }

  get label(): string {
    return this.originHost ?? '(unknown peer)';
  }

  /** The connection messages flow on: R in R-Open, I in I-Open. */
  openConnection(): Connection | undefined {
    if (this.state === 'R-Open') return this.rConn;
    if (this.state === 'I-Open') return this.iConn;
    if (this.state === 'Closing') return this.iConn ?? this.rConn;
    return undefined;
  }

  get isOpen(): boolean {
    return isOpen(this.state);
  }

  // -------------------------------------------------------------------------------------------------
  // events in

  /** Initiator: bring the peer up (RFC 6733 §5.6 Start). */
  start(): void {
    this.stopped = false;
    this.doNotReconnect = false;
    this.fire('Start', {});
  }

  /** A new inbound connection delivered this CER (the node found this peer by Origin-Host). */
  inboundCer(conn: Connection, msg: Message, caps: PeerCapabilities): void {
    if (!this.originHost) this.originHost = caps.originHost;
    const verdict = this.host.judgeCapabilities(caps);
    this.fire('R-Conn-CER', { conn, msg, caps, verdict }, { cerAcceptable: verdict.resultCode === 2001 });
  }

  /** Stop: DPR on the open connection, wait for DPA (or a timeout), close (RFC 6733 §5.4). */
  stop(cause: number = DisconnectCause.REBOOTING): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    if (this.state === 'Closed') return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.stopResolvers.push(resolve);
      if (isOpen(this.state)) this.fire('Stop', { verdict: { resultCode: cause } });
      else if (this.state !== 'Closing') this.fire('Timeout', {});
    });
  }

  /** Sends a request on the open connection and resolves with the answer. */
  request(msg: Message, opts: { timeoutMs?: number } = {}): Promise<Message> {
    const conn = this.openConnection();
    if (!conn || !isOpen(this.state)) {
      return Promise.reject(new DiameterError('PEER_NOT_OPEN', `${this.label} is ${this.state}`));
    }
    this.stats.requestsOut++;
    if (!msg.endToEndId) msg.endToEndId = this.host.newEndToEnd();
    return conn.request(msg, opts);
  }

  // -------------------------------------------------------------------------------------------------
  // the state machine

  private fire(event: PeerEvent, args: EventArgs, ctx: TransitionContext = {}): void {
    const from = this.state;
    const t = transitionFor(from, event, ctx);
    if (!t.defined) {
      this.undefinedEvent(event, args);
      return;
    }
    this.state = t.next;
    for (const a of t.actions) this.act(a, args);
    if (from !== this.state) this.stateChanged(from, this.state);
  }

  private stateChanged(from: PeerState, to: PeerState): void {
    if (channels.peerState.hasSubscribers) channels.peerState.publish({ peer: this, from, to });
    this.emit('state', from, to);
    if (isOpen(to) && !isOpen(from)) {
      this.reconnectDelay = this.options.reconnectMs ?? TC_DEFAULT_MS;
      this.watchdog.connectionUp();
      const caps = this.capabilities;
      if (caps?.originStateId !== undefined) {
        this.host.onOriginStateId?.(this, caps.originHost, caps.originStateId, to === 'R-Open' ? 'CER' : 'CEA');
      }
      this.emit('open');
    }
    if (isOpen(from) && !isOpen(to) && to !== 'Closing') this.watchdog.connectionDown();
    if (to === 'Closed') {
      if (isOpen(from) || from === 'Closing') this.watchdog.connectionDown();
      this.closeAll();
      this.emit('closed');
      for (const r of this.stopResolvers.splice(0)) r();
      this.host.onPeerClosed?.(this);
      this.scheduleReconnect();
    }
  }

  /** RFC 6733 §5.6 lists no row: decide per event (see state-machine.ts `transition`). */
  private undefinedEvent(event: PeerEvent, args: EventArgs): void {
    const conn = args.conn;
    const msg = args.msg;
    if ((event === 'R-Rcv-CER' || event === 'I-Rcv-CER') && conn && msg) {
      // A CER on an open connection: capabilities were exchanged already; refuse it, keep the link.
      const cea = buildAnswer(msg, this.host.identity, 5012, { errorMessage: 'capabilities already exchanged on this connection' });
      conn.sendMessage(publishErrorAnswer({ resultCode: 5012, request: msg, answer: cea, peer: this, connection: conn }));
      return;
    }
    if (event === 'R-Conn-CER' && conn) {
      conn.destroy();
      return;
    }
    if ((event === 'I-Rcv-Message' || event === 'R-Rcv-Message') && this.state === 'Closing' && conn && msg && conn === this.openConnection()) {
      // RFC 6733 §5.6 has no Rcv-Message row for Closing, but a request the peer sent before it saw our
      // DPR is still in flight (§5.4): answer it rather than leave it to time out at the peer.
      this.stats.requestsIn++;
      this.host.onRequest(this, conn, msg);
      return;
    }
    if (channels.peerError.hasSubscribers) {
      channels.peerError.publish({ peer: this, connection: conn, error: new Error(`no transition for ${event} in ${this.state}`) });
    }
  }

  private act(action: PeerAction, a: EventArgs): void {
    switch (action) {
      // First: the action of every application request (a switch compares its cases in order).
      case 'Process':
        if (a.conn && a.msg) {
          this.stats.requestsIn++;
          this.host.onRequest(this, a.conn, a.msg);
        }
        return;
      case 'I-Snd-Conn-Req':
        this.connectOut();
        return;
      case 'R-Accept':
        if (a.conn && a.verdict?.resultCode === 2001) {
          if (this.rConn && this.rConn !== a.conn) this.rConn.destroy();
          this.rConn = a.conn;
          this.bind(a.conn);
          this.pendingCer = a;
        }
        return;
      case 'R-Reject':
        if (a.conn && a.msg) {
          // We keep the connection we have; the new one is told why before it is closed.
          const cea = buildAnswer(a.msg, this.host.identity, 4003, { errorMessage: `a connection with ${a.caps?.originHost ?? 'this peer'} is already open` });
          a.conn.sendMessage(publishErrorAnswer({ resultCode: 4003, request: a.msg, answer: cea, peer: this, connection: a.conn }));
          a.conn.close();
        }
        return;
      case 'Process-CER':
        if (a.caps) this.capabilities = a.caps;
        return;
      case 'R-Snd-CEA': {
        const p = a.msg ? a : this.pendingCer;
        const conn = a.conn ?? this.rConn;
        if (p?.msg && conn) this.sendCea(conn, p.msg, p.verdict ?? { resultCode: 2001 });
        if (p === this.pendingCer) this.pendingCer = undefined;
        return;
      }
      case 'Process-CEA':
        if (a.caps) this.capabilities = a.caps;
        return;
      case 'I-Snd-CER':
        this.sendCer();
        return;
      case 'Elect': {
        const local = this.host.identity.identity.originHost;
        if (this.originHost && elect(local, this.originHost) === 'win') {
          queueMicrotask(() => this.fire('Win-Election', {}));
        }
        return;
      }
      case 'Cleanup':
        this.iConn = undefined;
        return;
      case 'Error':
        this.closeAll();
        return;
      case 'I-Disc':
        this.iConn?.close();
        this.iConn = undefined;
        return;
      case 'R-Disc': {
        // The responder connection: the one the event came on when that is an inbound connection we
        // refuse (a bad CER on a new connection), else the accepted one. Never the initiated one: in
        // Wait-Returns the loser's I-Rcv-CEA arrives on its I connection, and R-Disc then closes R
        // (RFC 6733 §5.6.4: the loser keeps the connection it initiated).
        const c = a.conn && a.conn !== this.rConn && a.conn !== this.iConn ? a.conn : this.rConn;
        c?.close();
        if (c === this.rConn) this.rConn = undefined;
        return;
      }
      case 'I-Snd-Message':
      case 'R-Snd-Message':
        return; // requests go out through request()
      case 'Process-DWR': {
        // The watchdog was told about the traffic when it arrived; the host hears of the Origin-State-Id.
        const osi = a.msg?.avps.find((x) => x.code === Code.ORIGIN_STATE_ID && x.vendorId === 0);
        const host = a.msg?.avps.find((x) => x.code === Code.ORIGIN_HOST && x.vendorId === 0);
        if (osi && typeof osi.value === 'number' && typeof host?.value === 'string') {
          this.host.onOriginStateId?.(this, host.value, osi.value, 'DWR');
        }
        return;
      }
      case 'I-Snd-DWA':
      case 'R-Snd-DWA':
        if (a.conn && a.msg) a.conn.sendMessage(buildDwa(a.msg, this.host.identity));
        return;
      case 'Process-DWA':
        this.watchdog.dwaReceived();
        return;
      case 'I-Snd-DPR':
      case 'R-Snd-DPR':
        this.sendDpr(a.verdict?.resultCode ?? DisconnectCause.REBOOTING);
        return;
      case 'I-Snd-DPA':
      case 'R-Snd-DPA':
        if (a.conn && a.msg) {
          const cause = a.msg.avps.find((x) => x.code === Code.DISCONNECT_CAUSE && x.vendorId === 0);
          if (cause && Number(cause.value) === DisconnectCause.DO_NOT_WANT_TO_TALK_TO_YOU) this.doNotReconnect = true;
          a.conn.sendMessage(buildDpa(a.msg, this.host.identity));
          // RFC 6733 §5.4: the DPR sender closes; close our side too once the DPA is flushed, so a peer
          // that never closes does not keep us in Closing.
          const c = a.conn;
          setTimeout(() => c.close(), 50).unref();
        }
        return;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // connections

  private bind(conn: Connection): void {
    conn.rebind(this.ownerFor(conn));
  }

  /** The ConnectionOwner that feeds a connection's traffic into this peer's state machine. */
  ownerFor(conn: Connection): ConnectionOwner {
    void conn;
    return {
      onMessage: (c, msg) => this.onMessage(c, msg),
      onMalformed: (c, msg, err) => {
        if (c === this.openConnection() && (msg.flags & FLAG_R) !== 0) this.host.onMalformed(this, c, msg, err);
      },
      onClose: (c) => this.onConnClose(c),
      onReceive: () => {
        this.watchdog.messageReceived();
      },
      onFramingError: (c, err) => {
        if (channels.peerError.hasSubscribers) channels.peerError.publish({ peer: this, connection: c, error: err });
      },
    };
  }

  private prefix(conn: Connection): 'I-' | 'R-' {
    return conn === this.iConn ? 'I-' : 'R-';
  }

  private onMessage(conn: Connection, msg: Message): void {
    const events = RECEIVE_EVENTS[this.prefix(conn)];
    const isReq = (msg.flags & FLAG_R) !== 0;
    if (!isReq) return; // answers to our requests are resolved by the connection; strays are dropped
    if (this.state === 'Wait-I-CEA' && conn === this.iConn) {
      // Only the CEA may come before it (RFC 6733 §5.6 I-Rcv-Non-CEA): a DWR, DPR or CER too is an error.
      this.fire('I-Rcv-Non-CEA', { conn, msg });
      return;
    }
    switch (msg.commandCode) {
      case Cmd.CAPABILITIES_EXCHANGE:
        this.fire(events.cer, { conn, msg });
        return;
      case Cmd.DEVICE_WATCHDOG:
        this.fire(events.dwr, { conn, msg });
        return;
      case Cmd.DISCONNECT_PEER:
        this.fire(events.dpr, { conn, msg });
        return;
      default:
        this.fire(events.message, { conn, msg });
    }
  }

  private onConnClose(conn: Connection): void {
    if (conn === this.iConn) {
      this.iConn = undefined;
      this.fire('I-Peer-Disc', { conn });
    } else if (conn === this.rConn) {
      this.rConn = undefined;
      this.fire('R-Peer-Disc', { conn });
    }
  }

  private closeAll(): void {
    const i = this.iConn;
    const r = this.rConn;
    this.iConn = undefined;
    this.rConn = undefined;
    i?.close();
    r?.close();
  }

  private connectOut(): void {
    if (!this.host.openTransport) {
      queueMicrotask(() => this.fire('I-Rcv-Conn-Nack', {}));
      return;
    }
    this.host.openTransport(this).then(
      (stream) => {
        if (this.state !== 'Wait-Conn-Ack' && this.state !== 'Wait-Conn-Ack/Elect') {
          stream.destroy();
          return;
        }
        const conn = new Connection(stream, { onMessage() {}, onMalformed() {}, onClose() {} }, this.host.connectionOptions);
        this.iConn = conn;
        conn.rebind(this.ownerFor(conn));
        this.fire('I-Rcv-Conn-Ack', { conn });
      },
      (err: Error) => {
        this.emit('connect-error', err);
        this.fire('I-Rcv-Conn-Nack', {});
      },
    );
  }

  private sendCer(): void {
    const conn = this.iConn;
    if (!conn) return;
    const cer = buildCer(this.host.identity, this.host.newEndToEnd(), conn.stream, this.host.applications);
    // The CEA is handled synchronously (onAnswer), not in a promise reaction: a peer that opens sends
    // its first requests (a DWR in RFC 3539 REOPEN, application requests) right behind the CEA, often in
    // the same segment, and they must find us in I-Open, not in Wait-I-CEA where they would be an error.
    conn.request(cer, { timeoutMs: CEA_WAIT_DEFAULT_MS, onAnswer: (cea) => this.onCea(conn, cea) }).then(
      () => undefined,
      () => {
        if (this.iConn === conn) this.fire('Timeout', { conn });
      },
    );
  }

  /** Process-CEA (RFC 6733 §5.3): the CEA must carry 2001 and a common application. */
  private onCea(conn: Connection, cea: Message): void {
    const caps = readCapabilities(cea);
    const rc = cea.avps.find((x) => x.code === Code.RESULT_CODE && x.vendorId === 0);
    const resultCode = rc ? Number(rc.value ?? 0) : 0;
    if (!this.originHost) this.originHost = caps.originHost;
    const ok = ceaAcceptable(resultCode, caps, this.host.applications);
    if (!ok) this.emit('cea-refused', resultCode, caps);
    this.fire('I-Rcv-CEA', { conn, msg: cea, caps }, { ceaAcceptable: ok });
  }

  private sendCea(conn: Connection, cer: Message, verdict: { resultCode: number; errorMessage?: string }): void {
    const cea = buildCea(cer, this.host.identity, verdict, conn.stream, this.host.applications);
    // A refused CER (3010 unknown peer, 5010 no common application …) is the first thing a tester must see.
    if (isErrorResult(verdict.resultCode)) publishErrorAnswer({ resultCode: verdict.resultCode, request: cer, answer: cea, peer: this, connection: conn });
    conn.sendMessage(cea);
  }

  private sendDwr(): void {
    const conn = this.openConnection();
    if (!conn) return;
    const dwr = buildDwr(this.host.identity, this.host.newEndToEnd());
    conn.request(dwr, { timeoutMs: this.watchdog.twInitMs * 2 }).then(
      () => this.fire(conn === this.iConn ? 'I-Rcv-DWA' : 'R-Rcv-DWA', { conn }),
      () => undefined, // the watchdog's own timer declares SUSPECT/DOWN
    );
  }

  private sendDpr(cause: number): void {
    const conn = this.openConnection();
    if (!conn) return;
    const dpr = buildDpr(this.host.identity, this.host.newEndToEnd(), cause);
    conn.request(dpr, { timeoutMs: DPA_WAIT_DEFAULT_MS }).then(
      () => this.fire(conn === this.iConn ? 'I-Rcv-DPA' : 'R-Rcv-DPA', { conn }),
      () => this.fire('Timeout', { conn }),
    );
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.doNotReconnect || !this.options.reconnect || !this.host.openTransport) return;
    if (this.reconnectTimer) return;
    const delay = this.reconnectDelay;
    // Backoff: double Tc up to 8×, reset when the peer opens again.
    this.reconnectDelay = Math.min(delay * 2, (this.options.reconnectMs ?? TC_DEFAULT_MS) * 8);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopped && this.state === 'Closed') this.fire('Start', {});
    }, delay);
    this.reconnectTimer.unref();
  }

  /** Forget DO_NOT_WANT_TO_TALK_TO_YOU and reconnect (the "until told" of RFC 6733 §5.4). */
  allowReconnect(): void {
    this.doNotReconnect = false;
    this.scheduleReconnect();
  }
}
