/**
 * The final report of a load run: built from the merged counters and histograms, printed as text for a
 * person or as JSON (`--json`) for a machine. Latency is from each request's intended send time.
 */
import type { RecordableHistogram } from 'node:perf_hooks';
import { describeHolding } from './random.js';
import type { LoadOptions } from './options.js';
import { RECORD_TYPE_NAMES, type StatsSnapshot } from './stats.js';

/** Result-Codes a CDF returns (RFC 6733 §7.1, accounting-rf.md §5.6), named in the text report. */
const RESULT_NAMES: Record<number, string> = {
  0: '(no Result-Code)',
  2001: 'DIAMETER_SUCCESS',
  3001: 'DIAMETER_COMMAND_UNSUPPORTED',
  3002: 'DIAMETER_UNABLE_TO_DELIVER',
  3003: 'DIAMETER_REALM_NOT_SERVED',
  3004: 'DIAMETER_TOO_BUSY',
  3005: 'DIAMETER_LOOP_DETECTED',
  3007: 'DIAMETER_APPLICATION_UNSUPPORTED',
  4002: 'DIAMETER_OUT_OF_SPACE',
  5001: 'DIAMETER_AVP_UNSUPPORTED',
  5004: 'DIAMETER_INVALID_AVP_VALUE',
  5005: 'DIAMETER_MISSING_AVP',
  5008: 'DIAMETER_AVP_NOT_ALLOWED',
  5009: 'DIAMETER_AVP_OCCURS_TOO_MANY_TIMES',
  5012: 'DIAMETER_UNABLE_TO_COMPLY',
};

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface LoadReport {
  peer: { address: string; originHost?: string; originRealm?: string; productName?: string };
  run: {
    /** Connections over TLS (RFC 6733 §2.1), else plain TCP. */
    tls: boolean;
    mode: 'open' | 'closed';
    /** Open loop: target new sessions per second. */
    rate?: number;
    /** Closed loop: sessions in flight. */
    concurrency?: number;
    holding: string;
    interimSeconds: number;
    /** --follow-interim: sessions adopt the Acct-Interim-Interval of their ACAs. */
    followInterim: boolean;
    event: boolean;
    template: string;
    connections: number;
    workers: number;
    durationSeconds?: number;
    count?: number;
    warmupSeconds: number;
    /** Wait after the CEA before the first request (--start-delay). */
    startDelayMs: number;
    timeoutMs: number;
  };
  /** Length of the measured part: from the end of the warm-up to the last answer. */
  elapsedSeconds: number;
  sessions: { started: number; ended: number };
  requests: {
    sent: number;
    answered: number;
    timeouts: number;
    /** Unanswered when their connection closed. */
    lost: number;
    /** Answers that came after their request had timed out (not counted as answered). */
    lateAnswers: number;
    /** STOPs brought forward by the end of the run (duration, Ctrl-C): answered and counted, not timed. */
    closingStops: number;
    byRecordType: Record<string, number>;
  };
  /** Answers by Result-Code ("0": none in the answer). */
  resultCodes: Record<string, number>;
  /**
   * With --follow-interim only: the sessions that adopted an Acct-Interim-Interval from an ACA (RFC 6733
   * §9.8.2), and the answers that carried one, by its value in seconds ("0": no more INTERIMs).
   */
  serverInterim?: { sessions: number; answers: number; bySeconds: Record<string, number> };
  throughput: { answersPerSecond: number; sessionsPerSecond: number };
  /** Milliseconds, from each request's intended send time to its answer. */
  latencyMs: LatencySummary;
  /** Requests sent by the generator's clock (arrivals, interim and stop times): actual − intended send time, ms. */
  sendLagMs?: LatencySummary;
  cpu: {
    /** Process CPU time (user + system, all threads) over the measured part. */
    userSeconds: number;
    systemSeconds: number;
    /** That CPU time per answered request: the generator's cost of one request/answer pair. */
    microsPerAnswer: number;
    /** Each traffic thread's event-loop utilisation (0–1) over the measured part. */
    threadBusy: number[];
  };
  errors: string[];
  notes: string[];
}

/** Histogram (µs) → milliseconds. */
export function summarise(h: RecordableHistogram): LatencySummary {
  if (h.count === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    count: h.count,
    p50: ms(h.percentile(50)),
    p90: ms(h.percentile(90)),
    p99: ms(h.percentile(99)),
    p999: ms(h.percentile(99.9)),
    max: ms(h.max),
    mean: Math.round(h.mean) / 1000,
  };
}

export interface ReportInput {
  opts: LoadOptions;
  snapshot: StatsSnapshot;
  measuredMs: number;
  cpu: NodeJS.CpuUsage;
  threadBusy: number[];
  peer?: { originHost?: string; originRealm?: string; productName?: string };
  errors: string[];
  notes: string[];
}

export function buildReport(i: ReportInput): LoadReport {
  const { opts, snapshot: s } = i;
  const secs = Math.max(i.measuredMs, 1) / 1000;
  const byRecordType: Record<string, number> = {};
  s.sentByType.forEach((n, t) => {
    if (n) byRecordType[RECORD_TYPE_NAMES[t] ?? String(t)] = n;
  });
  const resultCodes: Record<string, number> = {};
  for (const [rc, n] of s.resultCodes) resultCodes[String(rc)] = n;
  let serverInterim: LoadReport['serverInterim'];
  if (opts.followInterim) {
    const bySeconds: Record<string, number> = {};
    let answers = 0;
    for (const [sec, n] of s.serverInterims) {
      bySeconds[String(sec)] = n;
      answers += n;
    }
    serverInterim = { sessions: s.sessionsFollowing, answers, bySeconds };
  }
  const notes = [...i.notes];
  const busy = i.threadBusy;
  if (opts.workers === 1 && busy[0] !== undefined && busy[0] >= 0.9) {
    notes.push(
      `the generator's thread was busy ${pct(busy[0])} of the measured time: one core was the limit of this run; ` +
        `--workers N spreads the traffic over N threads (with at least N connections)`,
    );
  } else if (opts.workers > 1) {
    notes.push(`traffic generated by ${opts.workers} worker threads (busy ${busy.map(pct).join(', ')})`);
  }
  const lag = s.lag.count ? summarise(s.lag) : undefined;
  if (lag && lag.p99 > 10) {
    notes.push(
      `the generator fell behind its schedule (send lag p99 ${ms(lag.p99)} ms); latencies include that delay`,
    );
  }
  return {
    peer: { address: `${opts.host}:${opts.port}`, ...i.peer },
    run: {
      tls: opts.tls !== undefined,
      mode: opts.mode,
      rate: opts.mode === 'open' ? opts.rate : undefined,
      concurrency: opts.mode === 'closed' ? opts.concurrency : undefined,
      holding: opts.event ? 'none (EVENT records)' : describeHolding(opts.holding),
      interimSeconds: opts.interimSeconds,
      followInterim: opts.followInterim === true,
      event: opts.event,
      template: opts.template.name,
      connections: opts.connections,
      workers: opts.workers,
      durationSeconds: opts.durationMs === undefined ? undefined : opts.durationMs / 1000,
      count: opts.count,
      warmupSeconds: opts.warmupMs / 1000,
      startDelayMs: opts.startDelayMs ?? 0,
      timeoutMs: opts.timeoutMs,
    },
    elapsedSeconds: round(secs, 3),
    sessions: { started: s.sessionsStarted, ended: s.sessionsEnded },
    requests: {
      sent: s.sent,
      answered: s.answered,
      timeouts: s.timeouts,
      lost: s.lost,
      lateAnswers: s.lateAnswers,
      closingStops: s.closingStops,
      byRecordType,
    },
    resultCodes,
    serverInterim,
    throughput: {
      answersPerSecond: round(s.answered / secs, 1),
      sessionsPerSecond: round(s.sessionsEnded / secs, 1),
    },
    latencyMs: summarise(s.latency),
    sendLagMs: lag,
    cpu: {
      userSeconds: round(i.cpu.user / 1e6, 3),
      systemSeconds: round(i.cpu.system / 1e6, 3),
      microsPerAnswer: s.answered ? round((i.cpu.user + i.cpu.system) / s.answered, 2) : 0,
      threadBusy: busy.map((b) => round(b, 3)),
    },
    errors: i.errors,
    notes,
  };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function resultName(rc: number): string {
  return RESULT_NAMES[rc] ?? '';
}

/** The text form, for a person. */
export function formatReport(r: LoadReport): string {
  const run = r.run;
  const shape =
    run.mode === 'open'
      ? `open loop, ${run.rate} new sessions/s (Poisson)`
      : `closed loop, ${run.concurrency} session${run.concurrency === 1 ? '' : 's'} in flight`;
  const every = run.interimSeconds ? ` every ${run.interimSeconds} s` : '';
  const interim = run.followInterim
    ? `, interim${every}${every ? ' or' : ''} as the server's ACA says`
    : every && `, interim${every}`;
  const sessions = run.event ? 'EVENT records' : `holding ${run.holding}${interim}`;
  const bound = [
    run.durationSeconds !== undefined ? `${run.durationSeconds} s` : '',
    run.count !== undefined ? `${fmtInt(run.count)} sessions` : '',
  ]
    .filter(Boolean)
    .join(' or ');
  const address = `${r.peer.address}${run.tls ? ' over TLS' : ''}`;
  const peer = r.peer.originHost
    ? `${address} (${r.peer.originHost}${r.peer.productName ? `, ${r.peer.productName}` : ''})`
    : address;
  const lines = [
    `diamkit load → ${peer}`,
    `  ${shape}; ${sessions}; template ${run.template}`,
    `  ${run.connections} connection${run.connections === 1 ? '' : 's'}, ${run.workers} thread${run.workers === 1 ? '' : 's'}; ${bound}${run.warmupSeconds ? ` after ${run.warmupSeconds} s warm-up` : ''}; timeout ${run.timeoutMs} ms${run.startDelayMs ? `; first ACR ${run.startDelayMs} ms after the CEA` : ''}`,
    '',
    `measured ${r.elapsedSeconds.toFixed(2)} s`,
    `  sessions   started ${fmtInt(r.sessions.started)}, ended ${fmtInt(r.sessions.ended)}`,
    `  requests   sent ${fmtInt(r.requests.sent)} (${
      Object.entries(r.requests.byRecordType)
        .map(([k, n]) => `${k} ${fmtInt(n)}`)
        .join(', ') || 'none'
    })`,
    `  answers    ${fmtInt(r.requests.answered)}; timeouts ${fmtInt(r.requests.timeouts)}; lost ${fmtInt(r.requests.lost)}; late ${fmtInt(r.requests.lateAnswers)}`,
  ];
  if (r.requests.closingStops) {
    lines.push(
      `  closing    ${fmtInt(r.requests.closingStops)} STOPs sent early at the end of the run (counted, not timed)`,
    );
  }
  const codes = Object.entries(r.resultCodes);
  if (codes.length) {
    lines.push('  by Result-Code');
    for (const [rc, n] of codes)
      lines.push(`    ${rc.padStart(4)} ${resultName(Number(rc)).padEnd(34)} ${fmtInt(n).padStart(12)}`);
  }
  if (r.serverInterim) lines.push(`  interim    ${serverInterimText(r.serverInterim)}`);
  const l = r.latencyMs;
  lines.push(
    `  throughput ${fmtInt(r.throughput.answersPerSecond)} answers/s, ${fmtInt(r.throughput.sessionsPerSecond)} sessions/s`,
    `  latency    p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  p99.9 ${ms(l.p999)}  max ${ms(l.max)}  (ms, from intended send time)`,
  );
  if (r.sendLagMs) {
    const g = r.sendLagMs;
    lines.push(
      `  send lag   p50 ${ms(g.p50)}  p99 ${ms(g.p99)}  max ${ms(g.max)}  (ms, actual − intended send time)`,
    );
  }
  lines.push(
    `  CPU        ${r.cpu.microsPerAnswer.toFixed(2)} µs per request/answer pair (user ${r.cpu.userSeconds.toFixed(2)} s + system ${r.cpu.systemSeconds.toFixed(2)} s); thread busy ${r.cpu.threadBusy.map(pct).join(', ')}`,
  );
  for (const e of r.errors) lines.push(`error: ${e}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

/** "3 sessions took the server's Acct-Interim-Interval: 0 s (no more INTERIMs) in 1 answer, 60 s in 4 answers" */
function serverInterimText(si: NonNullable<LoadReport['serverInterim']>): string {
  if (si.answers === 0 && si.sessions === 0)
    return 'no answer carried Acct-Interim-Interval: every session kept --interim';
  const values = Object.entries(si.bySeconds)
    .map(
      ([sec, n]) =>
        `${sec} s${sec === '0' ? ' (no more INTERIMs)' : ''} in ${fmtInt(n)} answer${n === 1 ? '' : 's'}`,
    )
    .join(', ');
  return `${fmtInt(si.sessions)} session${si.sessions === 1 ? '' : 's'} took the server's Acct-Interim-Interval${values ? `: ${values}` : ''}`;
}

function ms(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}
