/**
 * Live progress while a load runs, on stderr (stdout stays for the report, e.g. --json): on a terminal
 * one line rewritten in place; otherwise one plain line per interval, for logs and CI.
 */
import type { ProgressSample } from './run-load.js';
import { fmtInt } from './report.js';

export class ProgressPrinter {
  private lastAnswered = 0;
  private lastMs = 0;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly tty: boolean,
  ) {}

  update(p: ProgressSample): void {
    const s = p.snapshot;
    const dt = (p.elapsedMs - this.lastMs) / 1000;
    // Counters restart at the end of the warm-up: then the whole count is this interval's.
    const delta = s.answered >= this.lastAnswered ? s.answered - this.lastAnswered : s.answered;
    this.lastAnswered = s.answered;
    this.lastMs = p.elapsedMs;
    const rate = dt > 0 ? delta / dt : 0;
    const codes = s.resultCodes.map(([rc, n]) => `${rc || 'none'}:${fmtInt(n)}`).join(' ') || '-';
    const p99 = s.latency.count ? `${(s.latency.percentile(99) / 1000).toFixed(2)} ms` : '-';
    const line =
      `${(p.elapsedMs / 1000).toFixed(1).padStart(6)}s${p.warmingUp ? ' warm-up' : ''}  ` +
      `${fmtInt(rate)} answers/s  in flight ${fmtInt(s.inFlight)} (${fmtInt(s.sessionsOpen)} sessions)  ` +
      `answers ${codes}  timeouts ${fmtInt(s.timeouts)}  p99 ${p99}`;
    if (this.tty) {
      this.out.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else {
      this.out.write(`${line}\n`);
    }
  }

  /** Clears the live line before the report is printed. */
  done(): void {
    if (this.tty && this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}
