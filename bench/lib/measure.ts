/**
 * Timing one operation: warm it up, then run it for a fixed time in batches (so the clock is read about
 * once a millisecond, not once a call), several times, and keep every sample. Both wall time and CPU time
 * (process.cpuUsage) are kept: two shared cores make wall time noisy (DESIGN.md, performance habits).
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection, run before every sample: without it one case's garbage (the npm package
 * makes a lot) is collected, and its major-GC marking done, during the next case's sample. The flag is
 * set at run time so that `npm run bench` needs no node option.
 */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

export interface MeasureOptions {
  /** Length of one sample. */
  sampleMs: number;
  /** Warm-up before the first sample, so the optimising compiler has seen the code. */
  warmupMs: number;
}

export interface Sample {
  ops: number;
  /** Operations per second of wall time. */
  opsPerSec: number;
  /** CPU time (user + system) per operation, in microseconds. */
  cpuMicrosPerOp: number;
}

/**
 * Results are stored here so the compiler cannot drop a call whose result is unused.
 * Exported only so that the store is observable from outside the module.
 */
export let sink: unknown;

/** Calls `fn` until `ms` have passed; returns the calls made and a batch size that takes about 1 ms. */
function calibrate(fn: () => unknown, ms: number): number {
  const t0 = performance.now();
  let n = 0;
  let t = t0;
  while (t - t0 < ms) {
    sink = fn();
    n++;
    t = performance.now();
  }
  return Math.max(1, Math.floor(n / (t - t0)));
}

export class Case {
  readonly samples: Sample[] = [];
  private batch = 1;

  constructor(
    readonly name: string,
    private readonly fn: () => unknown,
  ) {}

  warmUp(ms: number): void {
    this.batch = calibrate(this.fn, ms);
  }

  /** One timed run of about `ms` milliseconds. */
  sample(ms: number): Sample {
    const fn = this.fn;
    const batch = this.batch;
    let ops = 0;
    collectGarbage();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let t = t0;
    do {
      for (let i = 0; i < batch; i++) sink = fn();
      ops += batch;
      t = performance.now();
    } while (t - t0 < ms);
    const cpu = process.cpuUsage(cpu0);
    const s: Sample = {
      ops,
      opsPerSec: ops / ((t - t0) / 1000),
      cpuMicrosPerOp: (cpu.user + cpu.system) / ops,
    };
    this.samples.push(s);
    return s;
  }

  get medianOpsPerSec(): number {
    return median(this.samples.map((s) => s.opsPerSec));
  }

  get medianCpuMicrosPerOp(): number {
    return median(this.samples.map((s) => s.cpuMicrosPerOp));
  }

  /** Operations per second of CPU time: the rate one core would sustain if nothing else ran on it. */
  get medianOpsPerCpuSec(): number {
    return 1e6 / this.medianCpuMicrosPerOp;
  }

  /** Spread of the CPU-time samples: (max − min) / median, so a reader can see how noisy the figure is. */
  get spread(): number {
    const r = this.samples.map((s) => s.cpuMicrosPerOp);
    return (Math.max(...r) - Math.min(...r)) / median(r);
  }
}

/**
 * How many times faster `a` is than `b`: the median, over rounds, of the ratio of their samples taken in the
 * same round. Pairing samples taken a few seconds apart cancels the slow phases of a shared machine (when
 * every case slows down together), which a ratio of two medians would not.
 */
export function pairedRatio(a: Case, b: Case, by: 'cpu' | 'wall' = 'cpu'): number {
  const n = Math.min(a.samples.length, b.samples.length);
  const ratios: number[] = [];
  for (let r = 0; r < n; r++) {
    const x = a.samples[r]!;
    const y = b.samples[r]!;
    ratios.push(by === 'cpu' ? y.cpuMicrosPerOp / x.cpuMicrosPerOp : x.opsPerSec / y.opsPerSec);
  }
  return median(ratios);
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Warms every case up, then takes the samples round-robin (case A, B, C, A, B, C, …) so that a burst of
 * noise from the machine is spread over all cases instead of landing on one, and ratios taken between
 * cases of the same run stay fair.
 */
export function runCases(cases: readonly Case[], opts: MeasureOptions & { repeats: number }): void {
  for (const c of cases) c.warmUp(opts.warmupMs);
  for (let r = 0; r < opts.repeats; r++) {
    for (const c of cases) c.sample(opts.sampleMs);
  }
}
