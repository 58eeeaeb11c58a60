/**
 * What a load run counts: requests, answers by Result-Code, timeouts, and latency in an HDR histogram
 * (perf_hooks.createHistogram: 3 significant figures, values in microseconds). A snapshot is plain data
 * plus histograms, which worker threads post to the main thread (histograms are cloneable) and which
 * merge by adding.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/** Indexed by Accounting-Record-Type (RFC 6733 §9.8.1): 1 EVENT, 2 START, 3 INTERIM, 4 STOP. */
export const RECORD_TYPE_NAMES = ['', 'EVENT', 'START', 'INTERIM', 'STOP'] as const;

export function newHistogram(): RecordableHistogram {
  return createHistogram({ lowest: 1, highest: 3_600_000_000, figures: 3 });
}

export class LoadStats {
  sessionsStarted = 0;
  sessionsEnded = 0;
  sent = 0;
  answered = 0;
  timeouts = 0;
  /** Requests pending when their connection closed. */
  lost = 0;
  /** STOPs sent early because the run ended (duration, abort): answered and counted, not timed. */
  closingStops = 0;
  readonly sentByType = [0, 0, 0, 0, 0];
  /** Answers with 2001, kept apart from the map: nearly every answer is one. */
  success = 0;
  readonly otherCodes = new Map<number, number>();
  /** --follow-interim: sessions that adopted an Acct-Interim-Interval from an ACA. */
  sessionsFollowing = 0;
  /** --follow-interim: answers carrying Acct-Interim-Interval, by its value in seconds. */
  readonly serverInterims = new Map<number, number>();
  /** Answer time − intended send time, µs. */
  readonly latency = newHistogram();
  /** Actual − intended send time, µs (open loop: how late the generator itself was). */
  readonly lag = newHistogram();

  countResult(rc: number): void {
    if (rc === 2001) this.success++;
    else this.otherCodes.set(rc, (this.otherCodes.get(rc) ?? 0) + 1);
  }

  countServerInterim(seconds: number): void {
    this.serverInterims.set(seconds, (this.serverInterims.get(seconds) ?? 0) + 1);
  }

  reset(): void {
    this.sessionsStarted =
      this.sessionsEnded =
      this.sent =
      this.answered =
      this.timeouts =
      this.lost =
      this.closingStops =
      this.sessionsFollowing =
        0;
    this.sentByType.fill(0);
    this.success = 0;
    this.otherCodes.clear();
    this.serverInterims.clear();
    this.latency.reset();
    this.lag.reset();
  }

  snapshot(extra: { inFlight: number; sessionsOpen: number; lateAnswers: number }): StatsSnapshot {
    const codes: [number, number][] = [...this.otherCodes];
    if (this.success) codes.unshift([2001, this.success]);
    return {
      sessionsStarted: this.sessionsStarted,
      sessionsEnded: this.sessionsEnded,
      sent: this.sent,
      answered: this.answered,
      timeouts: this.timeouts,
      lost: this.lost,
      closingStops: this.closingStops,
      lateAnswers: extra.lateAnswers,
      sentByType: [...this.sentByType],
      resultCodes: codes,
      sessionsFollowing: this.sessionsFollowing,
      serverInterims: [...this.serverInterims],
      inFlight: extra.inFlight,
      sessionsOpen: extra.sessionsOpen,
      latency: this.latency,
      lag: this.lag,
    };
  }
}

export interface StatsSnapshot {
  sessionsStarted: number;
  sessionsEnded: number;
  sent: number;
  answered: number;
  timeouts: number;
  lost: number;
  closingStops: number;
  lateAnswers: number;
  sentByType: number[];
  /** [Result-Code, answers]; 0 = an answer with neither Result-Code nor Experimental-Result-Code. */
  resultCodes: [number, number][];
  /** --follow-interim: sessions that adopted the server's Acct-Interim-Interval. */
  sessionsFollowing: number;
  /** --follow-interim: [Acct-Interim-Interval in seconds, answers carrying it]. */
  serverInterims: [number, number][];
  inFlight: number;
  sessionsOpen: number;
  latency: RecordableHistogram;
  lag: RecordableHistogram;
}

/** Adds snapshots of several threads into one (histograms into new ones). */
export function mergeSnapshots(parts: readonly StatsSnapshot[]): StatsSnapshot {
  const latency = newHistogram();
  const lag = newHistogram();
  const codes = new Map<number, number>();
  const interims = new Map<number, number>();
  const out: StatsSnapshot = {
    sessionsStarted: 0,
    sessionsEnded: 0,
    sent: 0,
    answered: 0,
    timeouts: 0,
    lost: 0,
    closingStops: 0,
    lateAnswers: 0,
    sentByType: [0, 0, 0, 0, 0],
    resultCodes: [],
    sessionsFollowing: 0,
    serverInterims: [],
    inFlight: 0,
    sessionsOpen: 0,
    latency,
    lag,
  };
  for (const p of parts) {
    out.sessionsStarted += p.sessionsStarted;
    out.sessionsEnded += p.sessionsEnded;
    out.sent += p.sent;
    out.answered += p.answered;
    out.timeouts += p.timeouts;
    out.lost += p.lost;
    out.closingStops += p.closingStops;
    out.lateAnswers += p.lateAnswers;
    out.inFlight += p.inFlight;
    out.sessionsOpen += p.sessionsOpen;
    p.sentByType.forEach((n, i) => (out.sentByType[i] = (out.sentByType[i] ?? 0) + n));
    for (const [rc, n] of p.resultCodes) codes.set(rc, (codes.get(rc) ?? 0) + n);
    out.sessionsFollowing += p.sessionsFollowing;
    for (const [sec, n] of p.serverInterims) interims.set(sec, (interims.get(sec) ?? 0) + n);
    if (p.latency.count) latency.add(p.latency);
    if (p.lag.count) lag.add(p.lag);
  }
  out.resultCodes = [...codes].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  out.serverInterims = [...interims].sort((a, b) => a[0] - b[0]);
  return out;
}
