/**
 * One transport connection, over any Duplex stream (TCP, TLS, or an in-memory pair in tests — the way
 * aedes' tests use plain streams). It frames the byte stream, decodes each message, correlates answers
 * with requests by Hop-by-Hop id (RFC 6733 §3: unique per connection among outstanding requests),
 * times out requests, batches writes, and applies backpressure. It knows nothing of CER/DWR/DPR: the
 * Peer that owns it does.
 */
import type { Duplex } from 'node:stream';
import { DiameterError } from '../codec/errors.js';
import { encodeMessage, decodeMessage } from '../codec/message.js';
import { Framer, DEFAULT_MAX_MESSAGE_LENGTH } from '../codec/framer.js';
import { decodeLenient } from '../codec/lenient.js';
import { channels } from './diagnostics.js';
import { FLAG_R, FLAG_T, type AvpTypeResolver, type Message } from '../codec/types.js';

export interface ConnectionOwner {
  /** A decoded request or answer that is not the answer to one of our pending requests. */
  onMessage(conn: Connection, msg: Message): void;
  /** A frame that did not decode (the message is read leniently for ids and Session-Id). */
  onMalformed(conn: Connection, msg: Message, err: DiameterError): void;
  /** Framing lost: the stream cannot be resynchronised (base-protocol.md §1). The connection closes. */
  onFramingError?(conn: Connection, err: DiameterError): void;
  /** The transport closed (by either side). Pending requests have been failed already. */
  onClose(conn: Connection, err?: Error): void;
  /** An answer arrived for a Hop-by-Hop id we did not send (or that timed out): discarded (RFC 6733 §6.2). */
  onUnknownAnswer?(conn: Connection, msg: Message): void;
  /** Every received message, before dispatch (traffic for the watchdog, diagnostics). */
  onReceive?(conn: Connection, msg: Message | undefined, frame: Buffer): void;
  /** Every sent message (diagnostics). */
  onSend?(conn: Connection, bytes: Buffer, msg?: Message): void;
}

export interface ConnectionOptions {
  resolve?: AvpTypeResolver;
  maxMessageLength?: number;
  /** Default per-request timeout. */
  requestTimeoutMs?: number;
  /** Stop reading when this many octets are queued for writing (a slow reader cannot grow our buffers). */
  highWaterMark?: number;
  /** Descriptive label for logs, e.g. "127.0.0.1:40000". */
  label?: string;
}

interface Pending {
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
  deadline: number;
  /** The request's own timeout (for the error message). */
  timeoutMs: number;
  request: Message;
  onAnswer?: (answer: Message) => void;
}

export class RequestTimeoutError extends DiameterError {
  constructor(hbh: number, ms: number) {
    super('REQUEST_TIMEOUT', `no answer to request 0x${hbh.toString(16)} within ${ms} ms`);
  }
}

export class ConnectionClosedError extends DiameterError {
  constructor(detail: string) {
    super('CONNECTION_CLOSED', detail);
  }
}

let nextConnectionId = 1;

export class Connection {
  readonly id = nextConnectionId++;
  readonly label: string;
  private readonly framer: Framer;
  private readonly pending = new Map<number, Pending>();
  private hopByHop = (Math.random() * 0x100000000) >>> 0;
  private readonly resolve?: AvpTypeResolver;
  readonly requestTimeoutMs: number;
  private readonly highWaterMark: number;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweepTick = 0;
  private corked = false;
  private closed = false;
  private paused = false;
  /** Counters for diagnostics and tests. */
  readonly stats = { received: 0, sent: 0, unknownAnswers: 0, timeouts: 0, malformed: 0 };

  constructor(
    readonly stream: Duplex,
    private owner: ConnectionOwner,
    opts: ConnectionOptions = {},
  ) {
    this.framer = new Framer(opts.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH);
    this.resolve = opts.resolve;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.highWaterMark = opts.highWaterMark ?? 4 * 1024 * 1024;
    this.label = opts.label ?? `conn#${this.id}`;
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (err) => this.destroy(err));
    stream.on('close', () => this.finish());
    stream.on('end', () => this.finish());
    stream.on('drain', () => this.resume());
  }

  /** Hands the connection to another owner (the node passes it to a Peer once the CER names it). */
  rebind(owner: ConnectionOwner): void {
    this.owner = owner;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.framer.push(chunk);
    } catch (e) {
      this.framingLost(e as DiameterError);
      return;
    }
    // Work per read, not per message: answers written while handling this chunk go out in one write.
    this.cork();
    for (let i = 0; i < frames.length && !this.closed; i++) this.onFrame(frames[i]!);
    if (this.framer.error && !this.closed) this.framingLost(this.framer.error);
  }

  private framingLost(err: DiameterError): void {
    this.owner.onFramingError?.(this, err);
    // An unparsable stream is unrecoverable: reset the connection (base-protocol.md §1).
    this.destroy(err, true);
  }

  private onFrame(frame: Buffer): void {
    this.stats.received++;
    let msg: Message;
    try {
      msg = decodeMessage(frame, this.resolve);
    } catch (e) {
      if (!(e instanceof DiameterError)) throw e;
      this.stats.malformed++;
      let partial: Message | undefined;
      try {
        partial = decodeLenient(frame);
      } catch {
        partial = undefined;
      }
      if (channels.messageReceived.hasSubscribers) channels.messageReceived.publish({ connection: this, message: partial, bytes: frame, error: e });
      this.owner.onReceive?.(this, partial, frame);
      if (partial) this.owner.onMalformed(this, partial, e);
      return;
    }
    if (channels.messageReceived.hasSubscribers) channels.messageReceived.publish({ connection: this, message: msg, bytes: frame });
    this.owner.onReceive?.(this, msg, frame);
    if ((msg.flags & FLAG_R) === 0) {
      const p = this.pending.get(msg.hopByHopId);
      if (p) {
        this.pending.delete(msg.hopByHopId);
        p.onAnswer?.(msg);
        p.resolve(msg);
        return;
      }
      // RFC 6733 §6.2: an answer matching no pending request is discarded (and counted); an owner that
      // wants to see it (a relay restoring Hop-by-Hop ids) gets it through onUnknownAnswer.
      this.stats.unknownAnswers++;
      if (channels.unknownAnswer.hasSubscribers) channels.unknownAnswer.publish({ connection: this, message: msg });
      this.owner.onUnknownAnswer?.(this, msg);
      return;
    }
    this.owner.onMessage(this, msg);
  }

  nextHopByHop(): number {
    this.hopByHop = (this.hopByHop + 1) >>> 0;
    return this.hopByHop;
  }

  /**
   * Sends a request and resolves with its answer. Sets a fresh Hop-by-Hop id unless `keepHopByHop`.
   * `onAnswer` runs synchronously when the answer is read, before any later message of the same read is
   * handled (a promise reaction would run only after them): the peer needs that for the CEA, which
   * changes what the messages right behind it mean.
   */
  request(
    msg: Message,
    opts: { timeoutMs?: number; keepHopByHop?: boolean; onAnswer?: (answer: Message) => void } = {},
  ): Promise<Message> {
    if (this.closed) return Promise.reject(new ConnectionClosedError(`${this.label} is closed`));
    if (!opts.keepHopByHop) msg.hopByHopId = this.nextHopByHop();
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    return new Promise<Message>((resolve, reject) => {
      this.pending.set(msg.hopByHopId, {
        resolve,
        reject,
        deadline: Date.now() + timeoutMs,
        timeoutMs,
        request: msg,
        onAnswer: opts.onAnswer,
      });
      this.armSweep(timeoutMs);
      this.sendMessage(msg);
    });
  }

  /** Fails every pending request (e.g. failover after the watchdog declared the link down). */
  failPending(err: Error): Message[] {
    const reqs: Message[] = [];
    for (const [, p] of this.pending) {
      reqs.push(p.request);
      p.reject(err);
    }
    this.pending.clear();
    return reqs;
  }

  /** Pending requests, for failover (RFC 6733 §5.5.4): they are re-sent elsewhere with the T flag. */
  takePending(): Message[] {
    const reqs: Message[] = [];
    for (const [, p] of this.pending) {
      p.request.flags |= FLAG_T;
      reqs.push(p.request);
    }
    return reqs;
  }

  // One timer per connection sweeps expired requests, instead of a timer per request. Its period is a
  // quarter of the shortest timeout in use (10–250 ms), so a short per-request timeout is kept closely.
  private armSweep(timeoutMs: number): void {
    const tick = Math.max(10, Math.min(250, timeoutMs / 4));
    if (this.sweepTimer) {
      if (tick >= this.sweepTick) return;
      clearInterval(this.sweepTimer);
    }
    this.sweepTick = tick;
    this.sweepTimer = setInterval(() => this.sweep(), tick);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [hbh, p] of this.pending) {
      if (p.deadline > now) continue;
      this.pending.delete(hbh);
      this.stats.timeouts++;
      p.reject(new RequestTimeoutError(hbh, p.timeoutMs));
    }
    if (this.pending.size === 0 && this.sweepTimer) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }

  sendMessage(msg: Message): void {
    const bytes = encodeMessage(msg);
    this.write(bytes, msg);
  }

  /** Writes encoded bytes; writes in the same tick are coalesced (cork until the next tick). */
  write(bytes: Buffer, msg?: Message): void {
    if (this.closed) return;
    this.stats.sent++;
    if (channels.messageSent.hasSubscribers) channels.messageSent.publish({ connection: this, message: msg, bytes });
    this.owner.onSend?.(this, bytes, msg);
    this.cork();
    const ok = this.stream.write(bytes);
    if (!ok && !this.paused && this.stream.writableLength > this.highWaterMark) {
      // Backpressure: a peer that does not read its answers stops being read.
      this.paused = true;
      this.stream.pause();
    }
  }

  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.stream.cork();
    process.nextTick(() => {
      this.corked = false;
      this.stream.uncork();
    });
  }

  private resume(): void {
    if (this.paused && !this.closed) {
      this.paused = false;
      this.stream.resume();
    }
  }

  /** Graceful close: flush what is written, then end. */
  close(): void {
    if (this.closed) return;
    this.stream.end();
    // If the peer never closes its side, do not hang.
    setTimeout(() => this.destroy(), 2000).unref();
  }

  /** Immediate close; `reset` sends a TCP RST where the stream supports it. */
  destroy(err?: Error, reset = false): void {
    if (this.closed) return;
    const s = this.stream as Duplex & { resetAndDestroy?: () => void };
    if (reset && typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
    else this.stream.destroy();
    this.finish(err);
  }

  private finish(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.failPending(new ConnectionClosedError(`${this.label} closed before the answer`));
    if (!this.stream.destroyed) this.stream.destroy();
    this.owner.onClose(this, err);
  }
}
