/**
 * One `diamkit load` run: splits the traffic over threads (the main thread alone, or N worker threads,
 * each with its own connections and share of the rate / sessions in flight / count), reports progress
 * while it runs, and builds the final report. CPU time is the process's (all threads), taken from the
 * end of the warm-up to the end of the traffic.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { builtinDictionary } from '../../dictionary/builtin.js';
import type { Dictionary } from '../../dictionary/dictionary.js';
import { loadDictionaries } from '../../dictionary/load.js';
import { LoadEngine, type EngineResult, type EngineShare } from './engine.js';
import { ConnectError } from './load-connection.js';
import type { LoadOptions } from './options.js';
import { buildReport, type LoadReport } from './report.js';
import { mergeSnapshots, type StatsSnapshot } from './stats.js';

export interface ProgressSample {
  /** Since traffic started. */
  elapsedMs: number;
  warmingUp: boolean;
  snapshot: StatsSnapshot;
}

export interface RunHooks {
  onProgress?(p: ProgressSample): void;
  progressIntervalMs?: number;
  /** Called once every connection is open (CER/CEA done), before traffic starts. */
  onConnected?(peer: { originHost: string; originRealm: string; productName?: string }): void;
  /** Aborting ends the run early, as its deadline would: no new sessions, STOP for the open ones. */
  signal?: AbortSignal;
}

/** Messages from a worker thread (worker.ts). */
export type WorkerMessage =
  | { type: 'connected'; peer: { originHost: string; originRealm: string; productName?: string } }
  | { type: 'failed'; message: string }
  | { type: 'measuring' }
  | { type: 'progress'; snapshot: StatsSnapshot }
  | { type: 'traffic-end' }
  | { type: 'result'; result: EngineResult };

export interface WorkerInput {
  opts: LoadOptions;
  share: EngineShare;
  progressIntervalMs: number;
}

export function dictionaryFor(files: readonly string[]): Dictionary {
  const d = builtinDictionary();
  if (files.length) loadDictionaries([...files], d);
  return d;
}

/** `auto`: one thread per core, at most one per connection. */
export function resolveWorkers(spec: string | number, connections: number): number {
  if (spec === 'auto') return Math.max(1, Math.min(connections, availableParallelism()));
  return Number(spec);
}

/** Each thread's share: connections dealt round-robin; rate, concurrency and count split evenly. */
export function splitShares(opts: LoadOptions, sessionHigh: number, sessionBase: number): EngineShare[] {
  const w = opts.workers;
  const shares: EngineShare[] = [];
  const part = (total: number, i: number) => Math.floor(total / w) + (i < total % w ? 1 : 0);
  for (let i = 0; i < w; i++) {
    const connectionIndexes: number[] = [];
    for (let c = i; c < opts.connections; c += w) connectionIndexes.push(c);
    shares.push({
      connectionIndexes,
      rate: opts.rate / w,
      concurrency: part(opts.concurrency, i),
      count: opts.count === undefined ? undefined : part(opts.count, i),
      sessionNumberStart: sessionBase + i,
      sessionNumberStep: w,
      sessionHigh,
      seed: opts.seed === undefined ? undefined : (opts.seed + i * 0x9e3779b9) >>> 0,
    });
  }
  return shares;
}

export async function runLoad(opts: LoadOptions, hooks: RunHooks = {}): Promise<LoadReport> {
  const now = Date.now();
  const sessionHigh = Math.floor(now / 1000);
  // Session numbers start at the run's millisecond × 10^6, so runs in the same second do not share ids.
  const shares = splitShares(opts, sessionHigh, (now % 1000) * 1_000_000);
  const interval = hooks.progressIntervalMs ?? 1000;
  const out =
    opts.workers === 1
      ? await runInThread(opts, shares[0]!, hooks, interval)
      : await runInWorkers(opts, shares, hooks, interval);
  const first = out.results.find((r) => r.peer)?.peer;
  return buildReport({
    opts,
    snapshot: mergeSnapshots(out.results.map((r) => r.snapshot)),
    measuredMs: Math.max(...out.results.map((r) => r.measuredMs)),
    cpu: out.cpu,
    threadBusy: out.results.map((r) => r.busy),
    peer: first
      ? { originHost: first.originHost, originRealm: first.originRealm, productName: first.productName }
      : undefined,
    errors: out.results.flatMap((r) => r.errors),
    notes: [...new Set(out.results.flatMap((r) => r.notes))],
  });
}

interface Outcome {
  results: EngineResult[];
  cpu: NodeJS.CpuUsage;
}

async function runInThread(
  opts: LoadOptions,
  share: EngineShare,
  hooks: RunHooks,
  interval: number,
): Promise<Outcome> {
  const engine = new LoadEngine(opts, share, dictionaryFor(opts.dictionaryFiles));
  const peer = await engine.connect();
  hooks.onConnected?.(peer);
  let cpu0 = process.cpuUsage();
  let cpu: NodeJS.CpuUsage | undefined;
  let measuring = opts.warmupMs === 0;
  engine.onMeasureStart = () => {
    measuring = true;
    cpu0 = process.cpuUsage();
  };
  engine.onTrafficEnd = () => (cpu = process.cpuUsage(cpu0));
  hooks.signal?.addEventListener('abort', () => engine.stopNow(), { once: true });
  const t0 = Date.now();
  const progress = hooks.onProgress
    ? setInterval(
        () =>
          hooks.onProgress!({
            elapsedMs: Date.now() - t0,
            warmingUp: !measuring,
            snapshot: engine.snapshot(),
          }),
        interval,
      )
    : undefined;
  try {
    const result = await engine.run();
    return { results: [result], cpu: cpu ?? process.cpuUsage(cpu0) };
  } finally {
    if (progress) clearInterval(progress);
  }
}

/** Starts worker.ts; under tsx (a .ts module), the worker registers tsx itself before loading it. */
function startWorker(input: WorkerInput): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const url = new URL('./worker.ts', here).href;
    // Resolved here, next to this module: the worker's eval code would resolve from the working directory.
    const tsx = import.meta.resolve('tsx/esm/api');
    return new Worker(
      `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); })`,
      { eval: true, workerData: input },
    );
  }
  return new Worker(new URL('./worker.js', here), { workerData: input });
}

async function runInWorkers(
  opts: LoadOptions,
  shares: EngineShare[],
  hooks: RunHooks,
  interval: number,
): Promise<Outcome> {
  const workers = shares.map((share) => startWorker({ opts, share, progressIntervalMs: interval }));
  const latest: (StatsSnapshot | undefined)[] = shares.map(() => undefined);
  const results: (EngineResult | undefined)[] = shares.map(() => undefined);
  let connected = 0;
  let measuring = 0;
  let ended = 0;
  let cpu0 = process.cpuUsage();
  let cpu: NodeJS.CpuUsage | undefined;
  let t0 = Date.now();
  let progress: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      workers.forEach((w, i) => {
        w.on('error', reject);
        w.on('exit', (code) => {
          if (!results[i]) reject(new Error(`load worker ${i + 1} exited (code ${code}) before reporting`));
        });
        w.on('message', (m: WorkerMessage) => {
          switch (m.type) {
            case 'connected':
              if (++connected === workers.length) {
                hooks.onConnected?.(m.peer);
                t0 = Date.now();
                if (opts.warmupMs === 0) cpu0 = process.cpuUsage();
                for (const x of workers) x.postMessage({ type: 'go' });
                hooks.signal?.addEventListener(
                  'abort',
                  () => workers.forEach((x) => x.postMessage({ type: 'stop' })),
                  { once: true },
                );
                if (hooks.onProgress) {
                  progress = setInterval(() => {
                    const have = latest.filter((s): s is StatsSnapshot => !!s);
                    if (have.length)
                      hooks.onProgress!({
                        elapsedMs: Date.now() - t0,
                        warmingUp: measuring < workers.length && opts.warmupMs > 0,
                        snapshot: mergeSnapshots(have),
                      });
                  }, interval);
                }
              }
              break;
            case 'failed':
              // A worker fails only in engine.connect() (connecting, or compiling templates for the
              // server's realm): reported in one line, as in one thread.
              reject(new ConnectError(m.message));
              break;
            case 'measuring':
              if (++measuring === workers.length && opts.warmupMs > 0) cpu0 = process.cpuUsage();
              break;
            case 'progress':
              latest[i] = m.snapshot;
              break;
            case 'traffic-end':
              if (++ended === workers.length) cpu = process.cpuUsage(cpu0);
              break;
            case 'result':
              results[i] = m.result;
              if (results.every((r) => r)) resolve();
              break;
          }
        });
      });
    });
  } finally {
    if (progress) clearInterval(progress);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { results: results as EngineResult[], cpu: cpu ?? process.cpuUsage(cpu0) };
}
