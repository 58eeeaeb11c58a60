/**
 * The traffic of one thread: its connections, its accounting sessions, and the clock that drives them.
 *
 * Each session follows the RFC 6733 §9.8/accounting-rf.md §1.4 client machine, as a GRANT_AND_LOSE
 * client (a failed or lost record does not end the service): START (record 0), an INTERIM every
 * `interim` seconds while the session lasts (records 1…n), STOP (n+1) when its holding time is over —
 * or a single EVENT. One record of a session is in flight at a time: the next one is sent when the
 * previous one is answered (or timed out) and its own time has come. With `followInterim`, a session
 * takes its interval from the Acct-Interim-Interval of its ACAs instead (RFC 6733 §9.1, §9.8.2).
 *
 * Open loop: sessions start at Poisson arrival times, whatever the server does. Closed loop: a fixed
 * number of sessions exist at all times; one ending starts the next. Latency is measured from each
 * record's *intended* send time (its arrival, its interim or stop time), not from when it was actually
 * written, so a stalled server, a full socket or a late generator shows in the figures instead of
 * silently slowing the offered load (coordinated omission).
 */
import { performance } from 'node:perf_hooks';
import type { Dictionary } from '../../dictionary/dictionary.js';
import type { PeerCapabilities } from '../../peer/capabilities.js';
import { NTP_OFFSET, RECORD_TYPE, sessionDigits, type RecordKind } from './acr-template.js';
import { NO_INTERIM_INTERVAL, readInterimInterval } from './answer-reader.js';
import type { ConnState, EngineResult, EngineShare, Session } from './engine-share.js';
import type { LoadConnectionOwner } from './load-connection.js';
import type { LoadOptions } from './options.js';
import { drawHoldingMs, exponential, seededUniform, type Uniform } from './random.js';
import { openShareConnections } from './share-connections.js';
import { LoadStats, type StatsSnapshot } from './stats.js';
import { TimerHeap } from './timer-heap.js';

export type { EngineResult, EngineShare } from './engine-share.js';

export class LoadEngine {
  readonly stats = new LoadStats();
  private readonly conns: ConnState[] = [];
  private readonly heap = new TimerHeap<Session>();
  private readonly u: Uniform;
  private readonly interimMs: number;
  private readonly followInterim: boolean;
  private readonly open: boolean;
  private nextNumber: number;
  private rr = 0;
  private active = 0;
  private measuredStarts = 0;
  private starting = true;
  private stopping = false;
  private measuring = false;
  private t0 = 0;
  private measureStart = Infinity;
  private deadline = Infinity;
  private nextArrival = Infinity;
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Infinity;
  private hardStop: NodeJS.Timeout | undefined;
  private flushQueued = false;
  private measuredEnd = 0;
  private eluStart: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  private busy = 0;
  private done: ((r: EngineResult) => void) | undefined;
  private finished = false;
  private readonly errors: string[] = [];
  private readonly notes: string[] = [];
  peer: PeerCapabilities | undefined;
  /** Called once, when the warm-up is over and counting starts. */
  onMeasureStart: (() => void) | undefined;
  /** Called once, when the last session has ended (before the connections close). */
  onTrafficEnd: (() => void) | undefined;

  constructor(
    private readonly opts: LoadOptions,
    private readonly share: EngineShare,
    private readonly dict: Dictionary,
  ) {
    this.u = seededUniform(share.seed);
    this.interimMs = opts.interimSeconds * 1000;
    this.followInterim = opts.followInterim === true;
    this.open = opts.mode === 'open';
    this.nextNumber = share.sessionNumberStart;
  }

  /** Opens every connection of this share (CER/CEA) and compiles the templates for each. */
  async connect(): Promise<PeerCapabilities> {
    const states = await openShareConnections(this.opts, this.share, this.dict, (ci) => this.ownerFor(ci));
    // A connection the server closed right after its CEA is already gone.
    for (const s of states) this.conns.push({ ...s, alive: !s.conn.isClosed });
    this.peer = states[0]?.caps;
    if (states.some((s) => !s.conn.advertisesAccounting)) {
      this.notes.push(
        `${this.peer?.originHost ?? 'the server'} does not advertise accounting (Acct-Application-Id 3) in its CEA: expect error answers`,
      );
    }
    return this.peer!;
  }

  private ownerFor(ci: number): LoadConnectionOwner<Session> {
    return {
      onAnswer: (s, rc, intended, now, answer) => this.onAnswer(s, rc, intended, now, answer),
      onTimeout: (s, intended) => this.onTimeout(s, intended),
      onLost: (s, intended) => this.onLost(s, intended),
      onClosed: (err) => this.onConnClosed(ci, err),
      onWritable: () => this.onWritable(ci),
    };
  }

  /** Runs the traffic; resolves once every session has ended and the connections are closed. */
  run(): Promise<EngineResult> {
    const o = this.opts;
    const now = performance.now();
    this.t0 = now;
    this.measureStart = now + o.warmupMs;
    if (o.durationMs !== undefined) this.deadline = this.measureStart + o.durationMs;
    if (o.warmupMs === 0) this.beginMeasuring(now);
    const result = new Promise<EngineResult>((resolve) => (this.done = resolve));
    if (this.open) {
      this.nextArrival = now + this.gapMs();
    } else {
      for (let i = 0; i < this.share.concurrency && this.starting; i++) this.beginSession(now, now);
    }
    this.tick();
    return result;
  }

  private gapMs(): number {
    return this.share.rate > 0 ? exponential(this.u, 1000 / this.share.rate) : Infinity;
  }

  get inFlight(): number {
    let n = 0;
    for (const c of this.conns) n += c.conn.inFlight;
    return n;
  }

  get sessionsOpen(): number {
    return this.active;
  }

  private get lateAnswers(): number {
    let n = 0;
    for (const c of this.conns) n += c.conn.counts.lateAnswers;
    return n;
  }

  snapshot(): StatsSnapshot {
    return this.stats.snapshot({
      inFlight: this.inFlight,
      sessionsOpen: this.active,
      lateAnswers: this.lateAnswers,
    });
  }

  // -----------------------------------------------------------------------------------------------
  // the clock

  private tick = (): void => {
    this.timer = undefined;
    this.armedAt = Infinity;
    if (this.finished) return;
    const now = performance.now();
    if (!this.measuring && now >= this.measureStart) this.beginMeasuring(now);
    if (this.starting && now >= this.deadline) this.beginStopping(now);
    if (this.open) {
      while (this.starting && this.nextArrival <= now) {
        const at = this.nextArrival;
        this.nextArrival = at + this.gapMs();
        this.beginSession(at, now, true);
      }
    }
    const heap = this.heap;
    while (heap.size && heap.peekTime() <= now) this.trySend(heap.pop(), now, true);
    this.flushAll();
    this.arm();
  };

  /** Sets the timer for the next thing due: an arrival, a session's next record, the warm-up end, the deadline. */
  private arm(): void {
    if (this.finished) return;
    let at = this.heap.peekTime();
    if (this.starting) {
      if (this.open && this.nextArrival < at) at = this.nextArrival;
      if (this.deadline < at) at = this.deadline;
    }
    if (!this.measuring && this.measureStart < at) at = this.measureStart;
    if (at === Infinity || at >= this.armedAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = setTimeout(this.tick, Math.max(0, at - performance.now()));
  }

  private beginMeasuring(now: number): void {
    this.measuring = true;
    this.measureStart = now;
    if (this.opts.durationMs !== undefined) this.deadline = now + this.opts.durationMs;
    this.measuredStarts = 0;
    this.stats.reset();
    this.eluStart = performance.eventLoopUtilization();
    this.onMeasureStart?.();
  }

  /** Ends the run early (Ctrl-C): as at the deadline. */
  stopNow(): void {
    if (this.finished || this.stopping) return;
    this.beginStopping(performance.now());
    this.flushAll();
  }

  /** The deadline: no new sessions; every session waiting for its next record sends its STOP now. */
  private beginStopping(now: number): void {
    this.starting = false;
    this.stopping = true;
    // Everything in the heap is due later: its STOP goes now instead (an EVENT is never in the heap).
    for (const s of this.heap.drain()) {
      s.kind = 'stop';
      s.atMs = now;
      s.closing = true;
      this.trySend(s, now);
    }
    this.startHardStop();
    this.checkDone(now);
  }

  /** However the server behaves, the run ends: at most a timeout (and 2 s) after the last start. */
  private startHardStop(): void {
    if (this.hardStop) return;
    this.hardStop = setTimeout(
      () => this.finish(performance.now(), 'stopped waiting for answers: some sessions did not end in time'),
      this.opts.timeoutMs + 2000,
    );
  }

  // -----------------------------------------------------------------------------------------------
  // sessions

  /** `onClock`: started by the generator's clock (an arrival), so its send lag is the generator's. */
  private beginSession(at: number, now: number, onClock = false): void {
    const ci = this.pickConnection();
    if (ci < 0) {
      this.starting = false;
      this.checkDone(now);
      return;
    }
    const n = this.nextNumber;
    this.nextNumber += this.share.sessionNumberStep;
    const s: Session = {
      number: n,
      digits: sessionDigits(n),
      ci,
      startMs: at,
      endMs: at + drawHoldingMs(this.opts.holding, this.u),
      interimMs: this.interimMs,
      following: false,
      prevAtMs: at,
      record: 0,
      kind: this.opts.event ? 'event' : 'start',
      atMs: at,
      closing: false,
    };
    this.active++;
    if (at >= this.measureStart) {
      this.stats.sessionsStarted++;
      this.measuredStarts++;
      if (this.share.count !== undefined && this.measuredStarts >= this.share.count) {
        this.starting = false;
        this.startHardStop();
      }
    }
    this.trySend(s, now, onClock);
  }

  private pickConnection(): number {
    const n = this.conns.length;
    for (let k = 0; k < n; k++) {
      const ci = this.rr;
      this.rr = (this.rr + 1) % n;
      if (this.conns[ci]!.alive) return ci;
    }
    return -1;
  }

  /**
   * Sends the due record of `s`, or queues it behind the connection's waiting ones. `onClock`: sent
   * because the generator's clock said so (an arrival, a timer), not right after the previous record's
   * answer; only those sends measure the generator's own lateness (send lag).
   */
  private trySend(s: Session, now: number, onClock = false): void {
    const c = this.conns[s.ci]!;
    if (!c.alive) {
      this.lose(s, s.atMs, false);
      return;
    }
    if (c.waitHead === c.waiting.length && c.conn.canSend) this.sendNow(c, s, now, onClock);
    else c.waiting.push(s);
    if (!this.flushQueued) {
      this.flushQueued = true;
      process.nextTick(this.flushAll);
    }
  }

  private sendNow(c: ConnState, s: Session, now: number, onClock = false): void {
    const ntp = Math.floor((performance.timeOrigin + now) / 1000) + NTP_OFFSET;
    // ${sessionStart}: the session's start as scheduled (its START left then, give or take the send lag).
    const started = Math.floor((performance.timeOrigin + s.startMs) / 1000) + NTP_OFFSET;
    // ${sinceLast}: since the previous record as scheduled (its intended send time).
    const sinceLast = s.record === 0 ? 0 : Math.max(0, Math.round((now - s.prevAtMs) / 1000));
    c.conn.send(c.templates[s.kind], s.digits, s.record, s, s.atMs, now, ntp, started, sinceLast);
    if (s.atMs >= this.measureStart) {
      const st = this.stats;
      st.sent++;
      st.sentByType[RECORD_TYPE[s.kind]]!++;
      if (s.closing) st.closingStops++;
      if (onClock) st.lag.record(Math.max(1, Math.round((now - s.atMs) * 1000)));
    }
  }

  private flushAll = (): void => {
    this.flushQueued = false;
    for (const c of this.conns) c.conn.flush();
  };

  private onWritable(ci: number): void {
    const c = this.conns[ci]!;
    const now = performance.now();
    while (c.waitHead < c.waiting.length && c.conn.canSend) this.sendNow(c, c.waiting[c.waitHead++]!, now);
    if (c.waitHead === c.waiting.length) {
      c.waiting.length = 0;
      c.waitHead = 0;
    }
    c.conn.flush();
  }

  private onAnswer(s: Session, rc: number, intended: number, now: number, answer: Buffer): void {
    if (intended >= this.measureStart) {
      const st = this.stats;
      st.answered++;
      st.countResult(rc);
      // The closing burst of STOPs at the end of a run is the run's doing, not traffic: not timed.
      if (!s.closing) st.latency.record(Math.max(1, Math.round((now - intended) * 1000)));
    }
    // (s.kind is still the answered record's: advance() has not moved the session on yet.)
    if (this.followInterim && (s.kind === 'start' || s.kind === 'interim')) this.follow(s, answer, intended);
    this.advance(s, now);
  }

  /**
   * --follow-interim: the server directs the interim cadence (RFC 6733 §9.1): an Acct-Interim-Interval
   * in the ACA replaces the session's interval, 0 meaning no more INTERIMs, only the STOP (§9.8.2). An
   * ACA without it changes nothing: the session keeps the latest value it received (accounting-rf.md
   * §1.1), or `--interim` if it never received one.
   */
  private follow(s: Session, answer: Buffer, intended: number): void {
    const seconds = readInterimInterval(answer, 0, answer.length);
    if (seconds === NO_INTERIM_INTERVAL) return;
    s.interimMs = seconds * 1000;
    if (!s.following) {
      s.following = true;
      if (s.startMs >= this.measureStart) this.stats.sessionsFollowing++;
    }
    if (intended >= this.measureStart) this.stats.countServerInterim(seconds);
  }

  private onTimeout(s: Session, intended: number): void {
    if (intended >= this.measureStart) this.stats.timeouts++;
    this.advance(s, performance.now());
  }

  private onLost(s: Session, intended: number): void {
    this.lose(s, intended, true);
  }

  /** The session's connection is gone: it ends. `sent`: its record had been sent (and so is lost). */
  private lose(s: Session, intended: number, sent: boolean): void {
    if (sent && intended >= this.measureStart) this.stats.lost++;
    this.endSession(s, performance.now());
  }

  /** The record of `s` is settled: schedule its next one, or end it. */
  private advance(s: Session, now: number): void {
    if (s.kind === 'stop' || s.kind === 'event') {
      this.endSession(s, now);
      return;
    }
    const r = s.record + 1;
    // The next INTERIM is one interval after the record just settled was due (START or INTERIM), which
    // keeps a fixed interval on the grid start + k × interval.
    const interimAt = s.interimMs > 0 ? s.atMs + s.interimMs : Infinity;
    let kind: RecordKind;
    let at: number;
    if (interimAt < s.endMs) {
      kind = 'interim';
      at = interimAt;
    } else {
      kind = 'stop';
      at = s.endMs;
    }
    if (this.stopping) {
      kind = 'stop';
      if (at > now) {
        at = now;
        s.closing = true;
      }
    }
    s.prevAtMs = s.atMs;
    s.record = r;
    s.kind = kind;
    s.atMs = at;
    if (at <= now) this.trySend(s, now);
    else {
      this.heap.push(s, at);
      if (at < this.armedAt) this.arm();
    }
  }

  private endSession(s: Session, now: number): void {
    this.active--;
    if (s.startMs >= this.measureStart) this.stats.sessionsEnded++;
    if (!this.open && this.starting) {
      if (now >= this.deadline) this.beginStopping(now);
      else this.beginSession(now, now);
    }
    this.checkDone(now);
  }

  private checkDone(now: number): void {
    if (!this.starting && this.active === 0) this.finish(now);
  }

  private onConnClosed(ci: number, err?: Error): void {
    const c = this.conns[ci];
    if (!c?.alive) return; // (undefined: a connection that failed while connecting)
    c.alive = false;
    if (!this.finished)
      this.errors.push(`${c.conn.label} closed during the run${err ? `: ${err.message}` : ''}`);
    const waiting = c.waiting.slice(c.waitHead);
    c.waiting.length = 0;
    c.waitHead = 0;
    for (const s of waiting) this.lose(s, s.atMs, false);
    if (!this.conns.some((x) => x.alive)) {
      this.starting = false;
      this.finish(performance.now());
    }
  }

  private finish(now: number, why?: string): void {
    if (this.finished) return;
    this.finished = true;
    this.starting = false;
    if (why) this.errors.push(why);
    this.measuredEnd = now;
    if (this.timer) clearTimeout(this.timer);
    if (this.hardStop) clearTimeout(this.hardStop);
    if (!this.measuring) this.beginMeasuring(now);
    this.busy = performance.eventLoopUtilization(this.eluStart).utilization;
    this.onTrafficEnd?.();
    // Requests still unanswered now are counted as lost when their connection closes.
    void Promise.all(this.conns.map((c) => c.conn.close())).then(() => {
      this.done?.({
        snapshot: this.snapshot(),
        measuredMs: this.measuredEnd - this.measureStart,
        busy: this.busy,
        peer: this.peer,
        errors: this.errors,
        notes: this.notes,
      });
    });
  }
}
