/**
 * `diamkit load` over TLS (RFC 6733 §2.1, §13.1: TLS from the first byte) against `diamkit serve
 * --tls-port 0` (child processes on 127.0.0.1, SQLite stores in a temp directory), with a throwaway PKI
 * made by openssl: a CA, a server certificate for cdf.test and a client certificate it signed, and an
 * unrelated CA. A run over TLS gets only 2001 answers and leaves its CDRs; a CA that did not sign the
 * server's certificate, or another server name, fails at once in one line naming the peer and the TLS
 * reason (exit 2); a server that requires client certificates takes ours and refuses us without one; the
 * TLS flags are checked as `diamkit send` checks them. Skips without openssl, except in CI.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LoadReport } from '../../src/client/load/report.js';
import { HAVE_OPENSSL, TestPki } from '../helpers/test-pki.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'diamkit-load-tls-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

const OPENSSL = HAVE_OPENSSL;
const pki = new TestPki(tmp);

/** Skips the test without openssl, except in CI, where that is a failure. */
function needOpenssl(t: TestContext): boolean {
  if (OPENSSL) return true;
  if (process.env.CI === 'true') assert.fail('openssl is needed to make the test certificates');
  t.skip('openssl not installed (apt-get install openssl): no certificates for TLS; CI runs this');
  return false;
}

const file = (name: string) => join(tmp, name);

interface Served {
  child: ChildProcess;
  tlsPort: number;
  store: string;
  exit: Promise<number | null>;
}

/** `diamkit serve` with a TLS listener on port 0; its port read from the log line that announces it. */
function serve(args: string[]): Promise<Served> {
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
      // info: the "serving Diameter/TLS" line carries the TLS port.
      '--log-level',
      'info',
      '--tls-port',
      '0',
      '--tls-cert',
      file('server.crt'),
      '--tls-key',
      file('server.key'),
      ...args,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serve did not listen within 60 s:\n${log}`)), 60_000);
    child.stdout!.on('data', (c: Buffer) => {
      log += c.toString();
      const m = /"port":(\d+)[^\n]*Diameter\/TLS/.exec(log);
      if (m) {
        clearTimeout(t);
        resolve({ child, tlsPort: Number(m[1]), store, exit });
      }
    });
    void exit.then((code) => reject(new Error(`serve exited ${code}:\n${log}`)));
  });
}

async function stop(s: Served): Promise<void> {
  s.child.kill('SIGTERM');
  assert.equal(await s.exit, 0);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a diamkit command to completion; killed after 60 s. */
function diamkit(args: string[]): Promise<Run> {
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
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The CDRs of a stopped server's store. */
async function cdrsOf(s: Served): Promise<{ sessionId: string; originHost: string; anomalies: unknown[] }[]> {
  const r = await diamkit(['cdrs', 'export', '--store', s.store, '--format', 'jsonl']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { sessionId: string; originHost: string; anomalies: unknown[] });
}

const verified = () => ['--tls', '--tls-ca', file('ca.crt'), '--tls-servername', 'cdf.test'];
const ours = () => ['--tls-cert', file('client.crt'), '--tls-key', file('client.key')];

describe('diamkit load over TLS', () => {
  let plain: Served | undefined;
  let mutual: Served | undefined;

  before(async () => {
    if (!OPENSSL) return;
    pki.selfSigned('ca', 'diamkit load test CA');
    pki.selfSigned('other', 'some other CA');
    pki.signedBy('server', 'cdf.test', 'ca', 'DNS:cdf.test');
    pki.signedBy('client', 'load.test', 'ca');
    // Side by side: each costs a couple of seconds of start-up.
    [plain, mutual] = await Promise.all([
      serve([]),
      serve(['--tls-ca', file('ca.crt'), '--tls-require-client-cert']),
    ]);
  });

  test('two workers, two connections: every ACR answered 2001, one CDR per session in the store', async (t) => {
    if (!needOpenssl(t)) return;
    const s = plain!;
    const r = await diamkit([
      'load',
      '--peer',
      `127.0.0.1:${s.tlsPort}`,
      ...verified(),
      '--concurrency',
      '4',
      '--count',
      '40',
      '--connections',
      '2',
      '--workers',
      '2',
      '--json',
      '--no-progress',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as LoadReport;
    assert.equal(rep.run.tls, true);
    assert.equal(rep.run.workers, 2);
    assert.equal(rep.peer.originHost, 'diamkit.localdomain');
    assert.equal(rep.sessions.started, 40);
    assert.equal(rep.sessions.ended, 40);
    assert.deepEqual(rep.requests.byRecordType, { START: 40, STOP: 40 });
    assert.deepEqual(rep.resultCodes, { '2001': 80 });
    assert.equal(rep.requests.timeouts + rep.requests.lost, 0);
    assert.deepEqual(rep.errors, []);
    await stop(s);
    const cdrs = await cdrsOf(s);
    assert.equal(cdrs.length, 40);
    assert.equal(new Set(cdrs.map((c) => c.sessionId)).size, 40);
    assert.deepEqual([...new Set(cdrs.map((c) => c.originHost))].sort(), [
      'load-1.localdomain',
      'load-2.localdomain',
    ]);
    for (const c of cdrs) assert.deepEqual(c.anomalies, []);
  });

  test('a CA that did not sign the server, or another server name: one line with the TLS reason, exit 2, at once', async (t) => {
    if (!needOpenssl(t)) return;
    const peer = `127.0.0.1:${mutual!.tlsPort}`;
    const run = (tls: string[], extra: string[] = []) =>
      diamkit(['load', '--peer', peer, ...tls, ...ours(), '--count', '5', '--no-progress', ...extra]);
    const [badCa, badCaWorkers, badName] = await Promise.all([
      run(['--tls', '--tls-ca', file('other.crt'), '--tls-servername', 'cdf.test']),
      run(
        ['--tls', '--tls-ca', file('other.crt'), '--tls-servername', 'cdf.test'],
        ['--connections', '2', '--workers', '2'],
      ),
      run(['--tls', '--tls-ca', file('ca.crt'), '--tls-servername', 'wrong.test']),
    ]);
    const at = peer.replace(/\./g, '\\.');
    for (const r of [badCa, badCaWorkers]) {
      assert.equal(r.code, 2, r.stderr);
      // OpenSSL's wording of an unknown issuer varies with the chain it was shown: any of its forms.
      assert.match(
        r.stderr,
        new RegExp(
          `^diamkit load: cannot connect to ${at} over TLS: (self-signed certificate|unable to (get local issuer certificate|verify the first certificate))[^\\n]*\\n$`,
        ),
      );
      assert.equal(r.stdout, '');
    }
    assert.equal(badName.code, 2, badName.stderr);
    assert.match(
      badName.stderr,
      new RegExp(
        `^diamkit load: cannot connect to ${at} over TLS: Hostname/IP does not match certificate's altnames: Host: wrong\\.test\\. is not in the cert's altnames: DNS:cdf\\.test\\n$`,
      ),
    );
    // The handshake failure itself ended the run: had it waited for the 10 s connect timeout, the line
    // would say "no TLS handshake within 10000 ms". (Not timed: three CLI processes starting under tsx on
    // a busy machine took 8–10 s, seen while the client tests ran beside them.)
  });

  test('a server requiring client certificates: ours (--tls-cert/--tls-key) is taken; without one, refused', async (t) => {
    if (!needOpenssl(t)) return;
    const s = mutual!;
    const peer = `127.0.0.1:${s.tlsPort}`;
    const [withCert, without] = await Promise.all([
      diamkit([
        'load',
        '--peer',
        peer,
        ...verified(),
        ...ours(),
        '--origin-host',
        'mutual.localdomain',
        '--concurrency',
        '2',
        '--count',
        '10',
        '--no-progress',
      ]),
      diamkit(['load', '--peer', peer, ...verified(), '--count', '10', '--no-progress']),
    ]);
    assert.equal(withCert.code, 0, withCert.stderr);
    // The text report says the run was over TLS.
    assert.match(
      withCert.stdout,
      new RegExp(`^diamkit load → ${peer.replace(/\./g, '\\.')} over TLS \\(diamkit\\.localdomain`),
    );
    assert.match(withCert.stdout, /^ +2001 DIAMETER_SUCCESS +20$/m);
    assert.doesNotMatch(withCert.stdout, /^ +[013-9]\d{3} /m, 'no other Result-Code');
    assert.equal(without.code, 2, without.stderr);
    // TLS 1.3: our handshake completes before the server has checked our (missing) certificate; its alert
    // then closes the connection while the CER waits for its CEA.
    assert.match(
      without.stderr,
      new RegExp(
        `^diamkit load: ${peer.replace(/\./g, '\\.')} over TLS: no CEA: connection closed: [^\\n]*certificate required\\n$`,
      ),
    );
    await stop(s);
    const cdrs = await cdrsOf(s);
    assert.equal(cdrs.length, 10);
    assert.ok(cdrs.every((c) => c.originHost === 'mutual.localdomain'));
  });
});

describe('diamkit load TLS flags', () => {
  test('checked as diamkit send checks them: the same one-line messages, exit 2', async () => {
    const cases = [
      ['--tls-ca', join(tmp, 'ca.crt')],
      ['--tls-servername', 'cdf.test'],
      ['--tls', '--tls-cert', join(tmp, 'client.crt')],
      ['--tls', '--tls-key', join(tmp, 'client.key')],
      ['--tls', '--tls-ca', join(tmp, 'none.crt')],
    ];
    const runs = await Promise.all(
      cases.flatMap((flags) => [
        diamkit(['load', '--peer', '127.0.0.1:1', '--no-progress', ...flags]),
        diamkit(['send', '--peer', '127.0.0.1:1', ...flags, join(tmp, 'none.yaml')]),
      ]),
    );
    const expected = [
      '--tls-cert/--tls-key/--tls-ca/--tls-servername need --tls',
      '--tls-cert/--tls-key/--tls-ca/--tls-servername need --tls',
      '--tls-cert and --tls-key go together',
      '--tls-cert and --tls-key go together',
      `--tls-ca: cannot read ${join(tmp, 'none.crt')}: ENOENT: no such file or directory, open '${join(tmp, 'none.crt')}'`,
    ];
    expected.forEach((msg, i) => {
      const load = runs[2 * i]!;
      const send = runs[2 * i + 1]!;
      assert.equal(load.code, 2, load.stderr);
      assert.equal(load.stderr, `diamkit load: ${msg}\n`);
      assert.equal(send.code, 2, send.stderr);
      assert.equal(send.stderr, `diamkit: ${msg}\n`);
    });
  });
});
