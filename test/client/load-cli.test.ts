/**
 * `diamkit load` as a user runs it, against `diamkit serve` (the CDF, a child process on 127.0.0.1 port 0
 * with a SQLite store in a temp directory): every ACR answered 2001, one CDR per session in the store,
 * the JSON and text reports, progress lines when stderr is not a terminal, worker threads, the interim
 * interval a CDF imposes (--follow-interim), and the exit status for bad arguments and an unreachable server.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LoadReport } from '../../src/client/load/report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'diamkit-load-cli-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

interface Served {
  child: ChildProcess;
  port: number;
  store: string;
  exit: Promise<number | null>;
}

/** `diamkit serve --port 0 --store <temp>` once it prints its listening line. */
function serve(args: string[] = []): Promise<Served> {
  const store = join(tmp, `cdr-${children.length}.db`);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'serve',
      '--port',
      '0',
      '--store',
      store,
      '--log-level',
      'warn',
      ...args,
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serve did not listen within 20 s: ${out} ${err}`)), 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /diamkit listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ child, port: Number(m[1]), store, exit });
      }
    });
    void exit.then((code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

/** Runs a diamkit command to completion (bounded). */
function diamkit(
  args: string[],
  maxMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), maxMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

async function stop(s: Served): Promise<void> {
  s.child.kill('SIGTERM');
  assert.equal(await s.exit, 0);
}

describe('diamkit load against diamkit serve', () => {
  test('closed loop, a count of sessions: every ACR answered 2001, one CDR per session in the store', async () => {
    const s = await serve();
    const r = await diamkit([
      'load',
      '--peer',
      `127.0.0.1:${s.port}`,
      '--concurrency',
      '5',
      '--count',
      '40',
      '--json',
      '--no-progress',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as LoadReport;
    assert.equal(rep.peer.originHost, 'diamkit.localdomain');
    assert.equal(rep.sessions.started, 40);
    assert.equal(rep.sessions.ended, 40);
    assert.deepEqual(rep.requests.byRecordType, { START: 40, STOP: 40 });
    assert.equal(rep.requests.answered, 80);
    assert.deepEqual(rep.resultCodes, { '2001': 80 });
    assert.equal(rep.latencyMs.count, 80);
    assert.ok(
      rep.latencyMs.p50 > 0 &&
        rep.latencyMs.p50 <= rep.latencyMs.p99 &&
        rep.latencyMs.p99 <= rep.latencyMs.max,
    );
    assert.ok(rep.cpu.microsPerAnswer > 0);
    await stop(s);
    const cdrs = await diamkit(['cdrs', 'export', '--store', s.store, '--format', 'jsonl']);
    assert.equal(cdrs.code, 0, cdrs.stderr);
    const lines = cdrs.stdout
      .trim()
      .split('\n')
      .map(
        (l) => JSON.parse(l) as { sessionId: string; causeForRecordClosing: number; anomalies: unknown[] },
      );
    assert.equal(lines.length, 40);
    assert.equal(new Set(lines.map((c) => c.sessionId)).size, 40);
    for (const c of lines) {
      assert.match(c.sessionId, /^load\.localdomain;\d+;\d{10}$/);
      assert.equal(c.causeForRecordClosing, 0, 'closed normally by its STOP');
      assert.deepEqual(c.anomalies, []);
    }
  });

  test('P-GW template: the CDR’s startTime and stopTime span the session as it ran, its container is the STOP’s', async () => {
    const s = await serve();
    const r = await diamkit(['load', '--peer', `127.0.0.1:${s.port}`, '--template', 'pgw', '--concurrency', '2', '--count', '2', '--holding', '2', '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    await stop(s);
    const cdrs = await diamkit(['cdrs', 'export', '--store', s.store, '--format', 'jsonl']);
    const lines = cdrs.stdout.trim().split('\n').map((l) => JSON.parse(l) as { fields: Record<string, unknown>; duration: number });
    assert.equal(lines.length, 2);
    for (const { fields, duration } of lines) {
      // Time AVPs have whole seconds: a 2 s session spans 1 to 3 of them.
      const span = (Date.parse(fields.stopTime as string) - Date.parse(fields.startTime as string)) / 1000;
      assert.ok(span >= 1 && span <= 3, `startTime ${String(fields.startTime)} → stopTime ${String(fields.stopTime)}`);
      assert.ok(Math.abs(span - duration) <= 1, `span ${span} s, duration ${duration} s`);
      const [container] = fields.listOfServiceData as { timeOfReport: string; timeUsage: number }[];
      assert.equal(container?.timeOfReport, fields.stopTime, 'Change-Time of the STOP’s container');
      assert.ok(container!.timeUsage >= 1 && container!.timeUsage <= 3, `Time-Usage ${container!.timeUsage} s since the START`);
    }
  });

  test('open loop, P-GW template, interims, two connections on two threads: text report and progress lines', async () => {
    const s = await serve();
    const r = await diamkit([
      'load',
      '--peer',
      `127.0.0.1:${s.port}`,
      '--rate',
      '40',
      '--duration',
      '2s',
      '--holding',
      'uniform:0.3,0.6',
      '--interim',
      '0.2',
      '--template',
      'pgw',
      '--connections',
      '2',
      '--workers',
      '2',
      '--progress-interval',
      '500ms',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /open loop, 40 new sessions\/s \(Poisson\)/);
    assert.match(r.stdout, /2 connections, 2 threads/);
    assert.match(r.stdout, /2001 DIAMETER_SUCCESS/);
    assert.match(r.stdout, /latency +p50 [\d.]+ +p90 [\d.]+ +p99 [\d.]+ +p99\.9 [\d.]+ +max [\d.]+/);
    assert.match(r.stdout, /INTERIM \d/);
    assert.doesNotMatch(r.stdout, /timeouts [1-9]/);
    // Not a terminal: plain lines, one per interval, no cursor control.
    const progress = r.stderr.split('\n').filter((l) => /answers\/s/.test(l));
    assert.ok(progress.length >= 3, r.stderr);
    assert.doesNotMatch(r.stderr, /\x1b\[/);
    await stop(s);
    const cdrs = await diamkit(['cdrs', 'export', '--store', s.store, '--format', 'jsonl']);
    const hosts = new Set(
      cdrs.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { originHost: string }).originHost),
    );
    assert.deepEqual([...hosts].sort(), ['load-1.localdomain', 'load-2.localdomain']);
  });

  test('--follow-interim: a CDF imposing 1 s gets an INTERIM a second instead of every --interim 30; without it, none', async () => {
    // The CDF imposes 1 s, and supervises after 10 × 1 s: the run without the flag sends no INTERIM, and
    // with the default factor (2) a STOP due 2.5 s after its START could meet supervision first (the
    // deadline counts from the START's Event-Timestamp, in whole seconds) on a slow machine.
    const config = join(tmp, 'follow-interim.yaml');
    writeFileSync(
      config,
      ['identity:', '  originHost: diamkit.localdomain', '  originRealm: localdomain', 'cdf:', '  interimInterval: 1', '  supervisionFactor: 10', ''].join('\n'),
    );
    const s = await serve(['--config', config]);
    const run = (originHost: string, extra: string[]) =>
      diamkit([
        'load',
        '--peer',
        `127.0.0.1:${s.port}`,
        '--template',
        'pgw',
        '--concurrency',
        '2',
        '--count',
        '2',
        '--holding',
        '2.5',
        '--interim',
        '30',
        '--origin-host',
        originHost,
        '--json',
        '--no-progress',
        ...extra,
      ]);
    const [follow, fixed] = await Promise.all([
      run('follow.localdomain', ['--follow-interim']),
      run('fixed.localdomain', []),
    ]);
    assert.equal(follow.code, 0, follow.stderr);
    assert.equal(fixed.code, 0, fixed.stderr);
    const f = JSON.parse(follow.stdout) as LoadReport;
    // INTERIMs due 1 s and 2 s after each START, the STOP at 2.5 s.
    assert.deepEqual(f.requests.byRecordType, { START: 2, INTERIM: 4, STOP: 2 });
    assert.deepEqual(f.serverInterim, { sessions: 2, answers: 6, bySeconds: { '1': 6 } });
    assert.deepEqual(f.resultCodes, { '2001': 8 });
    const x = JSON.parse(fixed.stdout) as LoadReport;
    assert.deepEqual(x.requests.byRecordType, { START: 2, STOP: 2 });
    assert.equal(x.serverInterim, undefined);
    await stop(s);
    // What the CDF recorded, per session: no anomaly (record numbers without a gap), and P-GW containers
    // of one second each (Time-Usage: since the previous record). (Containers are keyed by Change-Time, in
    // whole seconds, so the STOP's, 0.5 s after the second INTERIM, may be merged with it.)
    const cdrs = await diamkit(['cdrs', 'export', '--store', s.store, '--format', 'jsonl']);
    const byHost = new Map<string, { anomalies: unknown[]; timeUsage: number[] }[]>();
    for (const l of cdrs.stdout.trim().split('\n')) {
      const c = JSON.parse(l) as {
        originHost: string;
        anomalies: unknown[];
        fields: { listOfServiceData: { timeUsage: number }[] };
      };
      byHost.set(c.originHost, [
        ...(byHost.get(c.originHost) ?? []),
        { anomalies: c.anomalies, timeUsage: c.fields.listOfServiceData.map((d) => d.timeUsage) },
      ]);
    }
    const followed = byHost.get('follow.localdomain')!;
    assert.equal(followed.length, 2);
    for (const { anomalies, timeUsage } of followed) {
      assert.deepEqual(anomalies, []);
      assert.ok(timeUsage.length >= 1 && timeUsage.every((t) => t === 1), `Time-Usage ${timeUsage.join(', ')}`);
    }
    // Without the flag: START then STOP 2.5 s later, one container of 2 or 3 whole seconds.
    const kept = byHost.get('fixed.localdomain')!;
    assert.equal(kept.length, 2);
    for (const { anomalies, timeUsage } of kept) {
      assert.deepEqual(anomalies, []);
      assert.equal(timeUsage.length, 1);
      assert.ok(timeUsage[0]! >= 2, `Time-Usage ${timeUsage[0]}`);
    }
  });

  test('--same-origin-host needs a server that accepts several connections per peer', async () => {
    const s = await serve(['--multiple-connections']);
    const r = await diamkit([
      'load',
      '--peer',
      `127.0.0.1:${s.port}`,
      '--connections',
      '2',
      '--same-origin-host',
      '--count',
      '10',
      '--json',
      '--no-progress',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as LoadReport).resultCodes, { '2001': 20 });
    await stop(s);
  });
});

describe('diamkit load arguments', () => {
  test('bad arguments and an unreachable server exit 2 with one line', async () => {
    const cases: [string[], RegExp][] = [
      [['--peer', 'nowhere'], /--peer: expected HOST:PORT/],
      [['--peer', '127.0.0.1:1', '--rate', '5', '--concurrency', '5'], /exclude each other/],
      [['--peer', '127.0.0.1:1', '--holding', 'normal:3'], /--holding/],
      [['--peer', '127.0.0.1:1', '--template', join(tmp, 'none.yaml')], /neither a built-in template/],
      [['--peer', '127.0.0.1:1', '--count', '1'], /cannot connect to 127\.0\.0\.1:1/],
    ];
    for (const [args, msg] of cases) {
      const r = await diamkit(['load', '--no-progress', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
