/**
 * A hand-driven Clock (src/peer/timers.ts) for the watchdog: time moves only when a test calls
 * `advance`, and only the watchdog's timers live on it, so sockets, streams and every other timer keep
 * real time. (node:test's mock.timers replaces the global setTimeout for everything in the process; on
 * Node 20 enabling it again in a later test left in-memory traffic stalled now and then.)
 */
import type { Clock, TimerHandle } from '../../src/peer/timers.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly timers = new Set<Pending>();

  now(): number {
    return this.t;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const p: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn: callback };
    this.timers.add(p);
    return p;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as Pending);
  }

  /** Moves time forward by `ms`, running every timer that falls due, in order, at its own instant. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.timers)
        if (p.at <= end && (!next || p.at < next.at || (p.at === next.at && p.seq < next.seq))) next = p;
      if (!next) break;
      this.timers.delete(next);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }

  /** Timers waiting. */
  get pending(): number {
    return this.timers.size;
  }
}
