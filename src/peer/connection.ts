/**
 * One transport connection, over any Duplex stream (TCP, TLS, or an in-memory pair in tests — the way
 * aedes' tests use plain streams). It frames the byte stream, decodes each message, correlates answers
 * with requests by Hop-by-Hop id (RFC 6733 §3: unique per connection among outstanding requests),
 * times out requests, batches writes (one stream write per event-loop turn), and applies backpressure. It knows nothing of CER/DWR/DPR: the
 * Peer that owns it does.
 */
import type { Duplex } from 'node:stream';
import { DiameterError } from '../codec/errors.js';
import { decodeMessage, encodeMessage, writeMessage } from '../codec/message.js';
import { Framer, DEFAULT_MAX_MESSAGE_LENGTH } from '../codec/framer.js';
import { decodeLenient } from '../codec/lenient.js';
import { channels } from './diagnostics.js';
import { FLAG_R, FLAG_T, type AvpTypeResolver, type Message } from '../codec/types.js';
import { Writer } from '../codec/writer.js';

/**
 * Output slabs: what a turn writes is appended to one slab and handed to the stream as one view of it.
 * A slab is never written again where the stream may still hold it, so a new one is started when the
 * room left is below OUTPUT_MIN_ROOM (one allocation per many answers, none per answer).
 */
const OUTPUT_SLAB_SIZE = 32 * 1024;
const OUTPUT_MIN_ROOM = 2048;

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
  /** The output slab; octets from `batchStart` to `out.pos` wait for this turn's flush. */
  private readonly out = new Writer(0);
  private batchStart = 0;
  private flushScheduled = false;
  private readonly flushBound = (): void => this.flush();
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

  /** Encodes `msg` straight into this turn's output batch. */
  sendMessage(msg: Message): void {
    if (this.closed) return;
    this.reserve(OUTPUT_MIN_ROOM);
    const w = this.out;
    const start = w.pos;
    writeMessage(w, msg);
    this.sent(start, msg);
  }

  /**
   * Sends `msg` like sendMessage and returns its encoded octets, for a caller that keeps a copy (the
   * duplicate cache): a view of the output slab, whose octets are never rewritten, so the message is
   * encoded once and copied by no one but the keeper. On a closed connection it is only encoded.
   */
  sendMessageBytes(msg: Message): Buffer {
    if (this.closed) return encodeMessage(msg);
    this.reserve(OUTPUT_MIN_ROOM);
    const w = this.out;
    const start = w.pos;
    writeMessage(w, msg);
    this.sent(start, msg);
    return w.buf.subarray(start, w.pos);
  }

  /**
   * Writes encoded bytes (copied into this turn's output batch): everything written in one turn — the
   * answers to one read, or to one burst of resolved promises — leaves in one stream write.
   */
  write(bytes: Uint8Array, msg?: Message): void {
    if (this.closed) return;
    this.reserve(bytes.length);
    const w = this.out;
    const start = w.pos;
    w.bytes(bytes);
    this.sent(start, msg);
  }

  private sent(start: number, msg: Message | undefined): void {
    this.stats.sent++;
    if (channels.messageSent.hasSubscribers || this.owner.onSend) {
      // A view of the slab: its octets are never overwritten (see OUTPUT_MIN_ROOM).
      const bytes = this.out.buf.subarray(start, this.out.pos);
      if (channels.messageSent.hasSubscribers) channels.messageSent.publish({ connection: this, message: msg, bytes });
      this.owner.onSend?.(this, bytes, msg);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flushBound);
    }
  }

  /** Makes room for `n` more octets in the slab, starting a new slab (with the unflushed octets) if needed. */
  private reserve(n: number): void {
    const w = this.out;
    if (w.buf.length - w.pos >= n) return;
    const pending = w.pos - this.batchStart;
    const next = Buffer.allocUnsafe(Math.max(OUTPUT_SLAB_SIZE, 2 * (pending + n)));
    w.buf.copy(next, 0, this.batchStart, w.pos);
    w.buf = next;
    w.pos = pending;
    this.batchStart = 0;
  }

  private flush(): void {
    this.flushScheduled = false;
    const w = this.out;
    if (this.closed || w.pos === this.batchStart) return;
    const chunk = w.buf.subarray(this.batchStart, w.pos);
    this.batchStart = w.pos;
    const ok = this.stream.write(chunk);
    if (!ok && !this.paused && this.stream.writableLength > this.highWaterMark) {
      // Backpressure: a peer that does not read its answers stops being read.
      this.paused = true;
      this.stream.pause();
    }
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
    this.flush();
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
