/**
 * A rate limit for one kind of console line (`diamkit serve`'s error answers, its CDR anomalies): at most
 * `perWindow` lines in a window of `windowMs`, and for a window that held some back, one summary once it
 * ends — how many, by key (a Result-Code, an anomaly name). A load test that makes 100,000 errors then
 * prints a dozen lines a second, not 100,000.
 *
 * A window opens with the first line after the previous one closed, so a lone line is never delayed; the
 * summary is due at the window's end and comes then even if nothing else happens (a timer, set only once a
 * line is held back), or earlier when the next line finds the window over.
 */
import { systemClock, type Clock } from '../peer/timers.js';

export interface LogRateLimitOptions {
  /** Lines let through per window (default 10). */
  perWindow?: number;
  /** The window, ms (default 1000). */
  windowMs?: number;
  /** now() and timers; default the real clock (timers unref'd). */
  clock?: Clock;
  /** A window ended with `count` lines held back: `byKey` says which. */
  onSuppressed(count: number, byKey: ReadonlyMap<string | number, number>): void;
}

export class LogRateLimit {
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly clock: Clock;
  private readonly onSuppressed: LogRateLimitOptions['onSuppressed'];
  /** When the open window ends; undefined when none is open. */
  private windowEnd: number | undefined;
  private passed = 0;
  private held = 0;
  private heldByKey = new Map<string | number, number>();
  private timer: unknown;

  constructor(opts: LogRateLimitOptions) {
    this.perWindow = opts.perWindow ?? 10;
    this.windowMs = opts.windowMs ?? 1000;
    this.clock = opts.clock ?? systemClock;
    this.onSuppressed = opts.onSuppressed;
  }

  /** Whether a line of this key may be written now; false counts it for the window's summary. */
  take(key: string | number): boolean {
    const now = this.clock.now();
    if (this.windowEnd !== undefined && now >= this.windowEnd) this.flush();
    if (this.windowEnd === undefined) this.windowEnd = now + this.windowMs;
    if (this.passed < this.perWindow) {
      this.passed++;
      return true;
    }
    this.held++;
    this.heldByKey.set(key, (this.heldByKey.get(key) ?? 0) + 1);
    if (this.timer === undefined)
      this.timer = this.clock.setTimeout(() => this.flush(), this.windowEnd - now);
    return false;
  }

  /** Closes the open window now: the summary, if anything was held back (also for a shutdown). */
  flush(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.windowEnd = undefined;
    this.passed = 0;
    if (this.held === 0) return;
    const count = this.held;
    const byKey = this.heldByKey;
    this.held = 0;
    this.heldByKey = new Map();
    this.onSuppressed(count, byKey);
  }
}
