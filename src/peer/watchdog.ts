/**
 * The transport watchdog of RFC 3539 §3.4 (required for Diameter by RFC 6733 §5.5; base-protocol.md §12)
 * for one peer link. It lives across reconnections: after the link went DOWN, a new connection starts in
 * REOPEN and carries traffic again only after three DWR/DWA round trips (RFC 3539 §3.4.1).
 *
 * It owns one timer, Tw, and tells its owner what to do through hooks; it never touches a socket.
 *
 *   INITIAL ─up→ OKAY ─Tw, DWR unanswered→ SUSPECT ─Tw→ DOWN ─up→ REOPEN ─3rd DWA→ OKAY
 *                 ↑──── DWA or any message ────┘         ↑── down (from OKAY/SUSPECT/REOPEN)
 *
 * Hooks run after the watchdog's own state is updated, so a hook may call back into it (for example
 * `closeConnection` leading synchronously to `connectionDown`, which is then ignored in DOWN).
 */
import { TW_INIT_DEFAULT_MS, TW_INIT_MIN_MS, TW_JITTER_MS, systemClock } from './timers.js';
import type { Clock, TimerHandle } from './timers.js';

export type WatchdogState = 'INITIAL' | 'OKAY' | 'SUSPECT' | 'DOWN' | 'REOPEN';

export interface WatchdogHooks {
  /** Send a DWR on the current connection (RFC 3539 SendWatchdog). */
  sendWatchdog(): void;
  /** Close the connection and free it (RFC 3539 CloseConnection); may be called when it is already down. */
  closeConnection(): void;
  /** Move pending requests to an alternate peer with the T flag (RFC 6733 §5.5.4). */
  failover?(): void;
  /** The link carries traffic again (RFC 3539 Failback). */
  failback?(): void;
  /** Try to open a connection (RFC 3539 AttemptOpen), every Tw while INITIAL (after `start`) or DOWN. */
  attemptOpen?(): void;
  stateChange?(from: WatchdogState, to: WatchdogState): void;
}

export interface WatchdogOptions extends WatchdogHooks {
  /** TwInit in milliseconds; default 30 000, at least 6 000 (RFC 3539 §3.4.1). */
  twInitMs?: number;
  /** Uniform in [0, 1); picks the jitter. Default Math.random. */
  random?: () => number;
  /** Time and timers; default `systemClock`. */
  clock?: Clock;
}

export class Watchdog {
  readonly twInitMs: number;
  private readonly hooks: WatchdogHooks;
  private readonly random: () => number;
  private readonly clock: Clock;

  private current: WatchdogState = 'INITIAL';
  /** RFC 3539 Pending: a DWR is outstanding. */
  private outstanding = false;
  /** RFC 3539 NumDWA: DWAs received in REOPEN; −1 after a Tw expired with the DWR unanswered. */
  private dwaCount = 0;
  private timer: TimerHandle | undefined;
  private stopped = false;
  /**
   * Traffic in OKAY restarts Tw (SetWatchdog) lazily: a receive only notes the time, and the timer, when
   * it fires, re-arms for the rest of a fresh Tw counted from that time. That keeps a clearTimeout /
   * setTimeout pair off the per-message path; the silence before a DWR is still TwInit ± jitter.
   */
  private lastRx = 0;
  private rxSinceArm = false;

  constructor(options: WatchdogOptions) {
    const tw = options.twInitMs ?? TW_INIT_DEFAULT_MS;
    if (!Number.isFinite(tw) || tw < TW_INIT_MIN_MS) {
      throw new RangeError(
        `watchdog TwInit must be a number of milliseconds >= ${TW_INIT_MIN_MS} (RFC 3539 §3.4.1: ` +
          `not lower than 6 s), got ${String(tw)}`,
      );
    }
    this.twInitMs = tw;
    this.hooks = options;
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? systemClock;
  }

  get state(): WatchdogState {
    return this.current;
  }

  /** A DWR is outstanding (RFC 3539 Pending). */
  get pending(): boolean {
    return this.outstanding;
  }

  /** DWAs counted in REOPEN (RFC 3539 NumDWA). */
  get numDwa(): number {
    return this.dwaCount;
  }

  /**
   * Arms Tw in INITIAL so that `attemptOpen` runs every Tw until the first connection is up
   * (RFC 3539 §3.4.1, INITIAL row). Optional: an owner that connects by itself need not call it.
   */
  start(): void {
    if (this.stopped || this.current !== 'INITIAL') return;
    this.setWatchdog();
  }

  /** The transport is up and the capabilities exchange is done. */
  connectionUp(): void {
    if (this.stopped) return;
    if (this.current === 'INITIAL') {
      // No validation on the first bring-up.
      this.setWatchdog();
      this.enter('OKAY');
    } else if (this.current === 'DOWN') {
      // RFC 3539 §3.4.1: a reopened connection must answer three DWRs before it is used.
      this.dwaCount = 0;
      this.outstanding = true;
      this.setWatchdog();
      this.enter('REOPEN');
      this.hooks.sendWatchdog();
    }
    // Up while already up: nothing in RFC 3539; ignored.
  }

  /** The transport went down (peer closed, error). */
  connectionDown(): void {
    if (this.stopped) return;
    const from = this.current;
    if (from === 'INITIAL' || from === 'DOWN') return;
    this.setWatchdog();
    this.enter('DOWN');
    this.hooks.closeConnection();
    // In SUSPECT the requests were already failed over; in REOPEN none were sent.
    if (from === 'OKAY') this.hooks.failover?.();
  }

  /** A DWA arrived. */
  dwaReceived(): void {
    if (this.stopped) return;
    this.outstanding = false;
    switch (this.current) {
      case 'OKAY':
        this.noteTraffic();
        return;
      case 'SUSPECT':
        this.setWatchdog();
        this.enter('OKAY');
        this.hooks.failback?.();
        return;
      case 'REOPEN':
        // No SetWatchdog here (RFC 3539): the next DWR waits for the running Tw.
        this.dwaCount++; // from −1 (one Tw unanswered) back to 0
        if (this.dwaCount >= 3) {
          this.enter('OKAY');
          this.hooks.failback?.();
        }
        return;
      default:
        return; // INITIAL / DOWN: thrown away
    }
  }

  /**
   * Any message other than a DWA arrived (requests, answers, DWRs — every one proves the peer alive).
   * Returns false when RFC 3539 throws the message away (REOPEN, INITIAL, DOWN): it must not reach the
   * application. A DWR must still be answered, or two peers in REOPEN would never leave it.
   * After `stop` it returns true: the watchdog no longer filters.
   */
  messageReceived(): boolean {
    if (this.stopped) return true;
    switch (this.current) {
      case 'OKAY':
        this.noteTraffic();
        return true;
      case 'SUSPECT':
        this.setWatchdog();
        this.enter('OKAY');
        this.hooks.failback?.();
        return true;
      default:
        return false;
    }
  }

  /**
   * Stops the timer for good: for a deliberate disconnect (DPR/DPA, RFC 6733 §5.4) no failover or
   * reconnect should follow. Every later call is a no-op; make a new Watchdog to watch again.
   */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  /**
   * One Tw in whole milliseconds: TwInit plus a jitter uniform in ±2 s (RFC 3539 §3.4.1), kept in
   * bounds whatever `random` returns.
   */
  private drawTw(): number {
    const x = this.random();
    const r = x > 1 ? 1 : x >= 0 ? x : 0; // NaN → 0
    return Math.round(this.twInitMs + (2 * r - 1) * TW_JITTER_MS);
  }

  /** RFC 3539 SetWatchdog: restart Tw now. */
  private setWatchdog(): void {
    this.clearTimer();
    this.rxSinceArm = false;
    this.timer = this.clock.setTimeout(this.onTimer, this.drawTw());
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private noteTraffic(): void {
    this.lastRx = this.clock.now();
    this.rxSinceArm = true;
  }

  private enter(to: WatchdogState): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.hooks.stateChange?.(from, to);
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    if (this.rxSinceArm) {
      // Deferred SetWatchdog for traffic received in OKAY since the timer was armed.
      this.rxSinceArm = false;
      const remaining = this.lastRx + this.drawTw() - this.clock.now();
      if (remaining > 0) {
        this.timer = this.clock.setTimeout(this.onTimer, Math.ceil(remaining));
        return;
      }
    }
    this.expire();
  };

  /** Tw expired: RFC 3539 §3.4.1 "Timer expires" rows. */
  private expire(): void {
    switch (this.current) {
      case 'INITIAL':
      case 'DOWN':
        this.setWatchdog();
        this.hooks.attemptOpen?.();
        return;
      case 'OKAY':
        if (!this.outstanding) {
          this.setWatchdog();
          this.outstanding = true;
          this.hooks.sendWatchdog();
        } else {
          this.setWatchdog();
          this.enter('SUSPECT');
          this.hooks.failover?.();
        }
        return;
      case 'SUSPECT':
        this.setWatchdog();
        this.enter('DOWN');
        this.hooks.closeConnection();
        return;
      case 'REOPEN':
        if (!this.outstanding) {
          this.setWatchdog();
          this.outstanding = true;
          this.hooks.sendWatchdog();
        } else if (this.dwaCount < 0) {
          this.setWatchdog();
          this.enter('DOWN');
          this.hooks.closeConnection();
        } else {
          // One more Tw of grace for the unanswered DWR, then close.
          this.dwaCount = -1;
          this.setWatchdog();
        }
        return;
    }
  }
}
