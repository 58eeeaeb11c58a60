/**
 * Load-generator benchmark (issue 5): `diamkit load` closed loop against the project's fastest ACR server,
 * and, in the same run against the same server, an Erlang/OTP diameter client generating the same ACR
 * sessions (bench/erlang/acr_client.escript). Judged on each generator's own CPU time per request/answer
 * pair: diamkit's must be at most 0.25× the Erlang client's.
 *
 * The server is bench/lib/echo-aca-server.ts, a minimal Node server that answers each ACR with an ACA
 * assembled from octets (no decoding, no store). It is the fastest ACR server the project has — faster
 * than `diamkit serve` with the CDF (decoding, validation, CDRs) or `--no-cdf` (which answers ACR with
 * 3007) — so the generators, not the server, set the pace. It runs in its own process; so does each
 * generator, so their CPU times are their own:
 *
 * - diamkit: `diamkit load --json` reports process.cpuUsage() (all its threads) over its measured part,
 *   from the end of its warm-up to its last answer;
 * - Erlang: utime + stime of the escript's beam from /proc/PID/stat, read when it prints the start and
 *   the end of its measured part (its own warm-up excluded the same way).
 *
 * Both run one connection with the same number of sessions in flight, each session START then STOP with
 * the built-in IMS template's AVPs (the Erlang client sends the 3GPP AVPs its stock dictionary lacks as
 * raw AVPs of the same bytes). Runs alternate diamkit / Erlang for a few rounds; the ratio is the median
 * of the rounds' ratios.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  compileAcr,
  forEachTopLevelAvp,
  loadTemplate,
  type TemplateVars,
} from '../src/client/load/acr-template.js';
import type { LoadReport } from '../src/client/load/report.js';
import { builtinDictionary } from '../src/dictionary/builtin.js';
import { median } from './lib/measure.js';
import {
  fmtInt,
  fmtRatio,
  type BenchModule,
  type BenchOptions,
  type BenchReport,
  type Check,
} from './lib/report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ESCRIPT = fileURLToPath(new URL('./erlang/acr_client.escript', import.meta.url));
/** diamkit's CPU per pair must be at most this fraction of the Erlang client's. */
export const MAX_FRACTION_OF_ERLANG = 0.25;
/** …and at most this many microseconds (issue 5: about 0.25 × 60 µs here). */
export const MAX_MICROS_PER_PAIR = 15;
const CONCURRENCY = 100;
const ROUNDS = 3;

interface Sample {
  answersPerSecond: number;
  cpuMicrosPerPair: number;
  answered: number;
  errors: number;
}

/** Starts a child, collects its output, resolves with the first match of `ready` in its stdout. */
function startChild(
  cmd: string,
  args: string[],
  ready: RegExp,
  what: string,
  maxMs: number,
): Promise<{ child: ChildProcess; match: RegExpExecArray; out: () => string }> {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const kill = setTimeout(() => child.kill('SIGKILL'), maxMs);
  child.on('exit', () => clearTimeout(kill));
  return new Promise((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = ready.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        resolve({ child, match: m, out: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) =>
      reject(new Error(`${what} exited (${code}) before it was ready\n${out}\n${err}`)),
    );
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((r) => child.on('exit', (code) => r(code)));
}

/** One `diamkit load` run as a user would start it; its JSON report has the figures. */
async function runDiamkit(port: number, warmupMs: number, durationMs: number): Promise<Sample> {
  const args = [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'load',
    '--peer',
    `127.0.0.1:${port}`,
    '--concurrency',
    String(CONCURRENCY),
    '--holding',
    '0',
    '--template',
    'ims',
    '--warmup',
    `${warmupMs}ms`,
    '--duration',
    `${durationMs}ms`,
    '--origin-host',
    'diamkit-bench.localdomain',
    '--json',
    '--no-progress',
  ];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const kill = setTimeout(() => child.kill('SIGKILL'), warmupMs + durationMs + 60_000);
  const code = await exited(child);
  clearTimeout(kill);
  if (code !== 0) throw new Error(`diamkit load exited ${code}\n${out}\n${err}`);
  const r = JSON.parse(out) as LoadReport;
  const errors = r.requests.sent - (r.resultCodes['2001'] ?? 0);
  return {
    answersPerSecond: r.throughput.answersPerSecond,
    cpuMicrosPerPair: r.cpu.microsPerAnswer,
    answered: r.requests.answered,
    errors,
  };
}

/** utime + stime of a process, in clock ticks (proc(5): fields 14 and 15). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

function clockTicksPerSecond(): number {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
}

interface ErlangAcrs {
  userName: string;
  serviceContextId: string;
  startSi: string;
  stopSi: string;
}

/** The IMS template's Service-Information AVPs (whole AVPs, hex), as diamkit sends them. */
function erlangAcrs(): ErlangAcrs {
  const dict = builtinDictionary();
  const src = loadTemplate('ims');
  const vars: TemplateVars = {
    originHost: 'erlang-bench.localdomain',
    originRealm: 'localdomain',
    destinationRealm: 'localdomain',
    sessionHigh: 1,
  };
  const si = (kind: 'start' | 'stop') => {
    const t = compileAcr(src, kind, vars, dict);
    let hex = '';
    forEachTopLevelAvp(t.bytes, (code, vendor, at, len) => {
      if (code === 873 && vendor === 10415) hex = t.bytes.subarray(at - 12, at + len).toString('hex');
    });
    if (!hex) throw new Error('the ims template has no Service-Information');
    return hex;
  };
  return {
    userName: 'user0000000001@localdomain',
    serviceContextId: '32260@3gpp.org',
    startSi: si('start'),
    stopSi: si('stop'),
  };
}

async function runErlang(
  port: number,
  warmupMs: number,
  durationMs: number,
  acrs: ErlangAcrs,
  tck: number,
): Promise<Sample> {
  const args = [
    ESCRIPT,
    String(port),
    String(CONCURRENCY),
    String(warmupMs),
    String(durationMs),
    'erlang-bench.localdomain',
    'localdomain',
    'localdomain',
    acrs.userName,
    acrs.serviceContextId,
    acrs.startSi,
    acrs.stopSi,
  ];
  const { child, match } = await startChild(
    'escript',
    args,
    /^PID (\d+)$/m,
    'the Erlang client',
    warmupMs + durationMs + 60_000,
  );
  const pid = Number(match[1]);
  const marks: { answered: number; micros: number; ticks: number; errors: number }[] = [];
  let buf = '';
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const m = /^MEASURE (start|end) (\d+) (-?\d+)(?: (\d+))?$/.exec(line);
      if (m)
        marks.push({
          ticks: cpuTicks(pid),
          answered: Number(m[2]),
          micros: Number(m[3]),
          errors: Number(m[4] ?? 0),
        });
    }
  });
  const code = await exited(child);
  if (code !== 0 || marks.length !== 2)
    throw new Error(`the Erlang client exited ${code} with ${marks.length} of 2 MEASURE lines`);
  const [a, b] = marks as [(typeof marks)[0], (typeof marks)[0]];
  const answered = b.answered - a.answered;
  return {
    answersPerSecond: answered / ((b.micros - a.micros) / 1e6),
    cpuMicrosPerPair: (((b.ticks - a.ticks) / tck) * 1e6) / answered,
    answered,
    errors: b.errors,
  };
}

export async function runLoadgenBench(opts: BenchOptions): Promise<BenchReport> {
  const warmupMs = Math.max(1000, opts.warmupMs);
  const durationMs = Math.max(2000, opts.sampleMs * 2);
  const notes: string[] = [];
  const haveErlang = spawnSync('escript', ['-h'], { stdio: 'ignore' }).error === undefined;
  const tck = clockTicksPerSecond();
  const acrs = erlangAcrs();

  const { child: server, match } = await startChild(
    process.execPath,
    ['--import', 'tsx', 'bench/lib/echo-aca-server.ts', '--port', '0'],
    /echo-aca listening on 127\.0\.0\.1:(\d+)/,
    'the echo-ACA server',
    30 * 60_000,
  );
  const port = Number(match[1]);
  const ours: Sample[] = [];
  const theirs: Sample[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      ours.push(await runDiamkit(port, warmupMs, durationMs));
      if (haveErlang) theirs.push(await runErlang(port, warmupMs, durationMs, acrs, tck));
    }
  } finally {
    server.kill('SIGTERM');
    await exited(server);
  }

  const table: string[][] = [
    ['load generator', 'answers/s', 'CPU µs/pair', 'per round (µs/pair)', 'non-2001'],
  ];
  const row = (name: string, s: Sample[]) =>
    table.push([
      name,
      fmtInt(median(s.map((x) => x.answersPerSecond))),
      median(s.map((x) => x.cpuMicrosPerPair)).toFixed(2),
      s.map((x) => x.cpuMicrosPerPair.toFixed(1)).join(' / '),
      fmtInt(s.reduce((n, x) => n + x.errors, 0)),
    ]);
  row('diamkit load (closed loop)', ours);
  if (haveErlang) row('Erlang/OTP diameter client (escript)', theirs);
  const oursMicros = median(ours.map((x) => x.cpuMicrosPerPair));
  const checks: Check[] = [
    {
      label: `diamkit load CPU per pair within ${MAX_MICROS_PER_PAIR} µs (${MAX_MICROS_PER_PAIR} µs ÷ measured)`,
      value: MAX_MICROS_PER_PAIR / oursMicros,
      need: 1,
      unit: '×',
      aside: `${oursMicros.toFixed(2)} µs per request/answer pair`,
    },
  ];
  if (haveErlang) {
    const ratios = ours.map((o, i) => theirs[i]!.cpuMicrosPerPair / o.cpuMicrosPerPair);
    const theirMicros = median(theirs.map((x) => x.cpuMicrosPerPair));
    checks.push({
      label: `Erlang client CPU per pair ÷ diamkit load's (diamkit ≤ ${MAX_FRACTION_OF_ERLANG}× Erlang)`,
      value: median(ratios),
      need: 1 / MAX_FRACTION_OF_ERLANG,
      unit: '×',
      aside: `Erlang ${theirMicros.toFixed(1)} µs vs diamkit ${oursMicros.toFixed(2)} µs per pair; rounds ${ratios.map((x) => fmtRatio(x)).join(', ')}`,
    });
  } else {
    notes.push(
      'escript not found (Debian: erlang-base, erlang-diameter, erlang-dev): no Erlang baseline, no ratio.',
    );
  }
  notes.push(
    `Server: bench/lib/echo-aca-server.ts (Node; answers each ACR with an ACA assembled from octets, stores nothing), its own process on 127.0.0.1.`,
    `Each run: 1 connection, ${CONCURRENCY} sessions in flight, START then STOP per session (IMS template), ${warmupMs} ms warm-up then ${durationMs} ms measured; ${ROUNDS} rounds, diamkit and Erlang alternating; medians shown.`,
    'CPU per pair: diamkit = process.cpuUsage() (user + system, all threads) over its measured part ÷ answers (its --json report); Erlang = utime + stime of its beam from /proc/PID/stat between its MEASURE lines ÷ answers.',
    `The Erlang client runs with +sbwt none (idle schedulers do not busy-wait), string_decode false, the stock diameter_gen_acct_rfc6733 dictionary; /proc counts in ${tck} Hz ticks.`,
    "Both generators share two cores with the server, so answers/s is what the three processes manage together; CPU per pair is each generator's own.",
  );
  return {
    title: `loadgen: diamkit load vs the Erlang/OTP diameter client, closed loop against the same echo-ACA server`,
    table,
    checks,
    notes,
  };
}

export const loadgenBench: BenchModule = {
  name: 'loadgen',
  description:
    'diamkit load vs an Erlang/OTP diameter client: CPU per request/answer pair (need ≤ 0.25×, ≤ 15 µs)',
  run: runLoadgenBench,
};
