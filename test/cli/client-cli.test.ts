/**
 * `diamkit send` and `diamkit run` as a user runs them, against `diamkit serve` (a child process on
 * 127.0.0.1 port 0 with a temporary SQLite store, TCP and TLS): the answer printed in each format, the
 * exit status (0 success, 1 an unmet expectation, 2 bad input or no connection), every shipped scenario
 * passing — and the CDRs they leave in the store, read back directly — and a wrong expectation failing
 * with a line that names the step, the AVP path, the expected and the actual value, also in JUnit XML.
 * Children run side by side: each costs a couple of seconds of start-up on this machine.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { SqliteStore } from '../../src/cdf/sqlite-store.js';
import { HAVE_OPENSSL, TestPki } from '../helpers/test-pki.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'diamkit-client-cli-'));
const storePath = join(tmp, 'cdr.db');
const children: ChildProcess[] = [];
let server: ChildProcess;
let port = 0;
let tlsPort: number | undefined;
let serverLog = '';

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source, feeding `input` on stdin; killed after 60 s. */
function cli(args: string[], input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.end(input);
  });
}

// Generous answer timeouts: a loaded CI machine must not turn a slow answer into a failure.
const peer = () => ['--peer', `127.0.0.1:${port}`, '--timeout', '30s'];

/** A throwaway certificate for the TLS listener (CN and SAN cdf.test), or undefined without openssl. */
function makeCert(): { cert: string; key: string } | undefined {
  if (!HAVE_OPENSSL) return undefined;
  const pem = new TestPki(tmp).selfSigned('cert', 'cdf.test', 'DNS:cdf.test');
  return { cert: pem.certFile, key: pem.keyFile };
}
let tlsFiles: { cert: string; key: string } | undefined;

before(async () => {
  tlsFiles = makeCert();
  const tlsArgs = tlsFiles ? ['--tls-port', '0', '--tls-cert', tlsFiles.cert, '--tls-key', tlsFiles.key] : [];
  server = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'serve',
      '--port',
      '0',
      '--store',
      storePath,
      '--log-level',
      'info',
      ...tlsArgs,
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(server);
  server.stderr!.on('data', (c: Buffer) => (serverLog += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`diamkit serve did not start within 30 s:\n${serverLog}`)),
      90_000,
    );
    server.stdout!.on('data', (c: Buffer) => {
      serverLog += c.toString();
      const tls = /"port":(\d+)[^\n]*Diameter\/TLS/.exec(serverLog);
      if (tls) tlsPort = Number(tls[1]);
      const m = /^diamkit listening on 127\.0\.0\.1:(\d+)$/m.exec(serverLog);
      if (m) port = Number(m[1]);
      if (port && (tlsPort || !tlsFiles)) {
        clearTimeout(t);
        resolve();
      }
    });
    server.on('exit', (code) => reject(new Error(`diamkit serve exited ${code}:\n${serverLog}`)));
  });
});

after(async () => {
  if (server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
});

const EVENT_ACR = `# an EVENT with only what the CDF needs; the client fills in the rest
command: ACR
avps:
  - Accounting-Record-Type: EVENT_RECORD
  - Accounting-Record-Number: 0
  - Acct-Application-Id: 3
  - Event-Timestamp: \${now}
`;
const NO_NUMBER_ACR = {
  command: 'ACR',
  avps: [{ 'Accounting-Record-Type': 'START_RECORD' }, { 'Acct-Application-Id': 3 }],
};

// Side by side: the tests share the server, but each client has its own Origin-Host — a server keeps one
// connection per peer (RFC 6733 §5.6.4) and refuses a second with the same name (4003).
describe('diamkit send', { concurrency: true }, () => {
  test('prints the answer as a tree, JSON or YAML; exit 0 on 2001, 1 on 5005 unless --expect 5005', async () => {
    const file = join(tmp, 'event.yaml');
    writeFileSync(file, EVENT_ACR);
    const [text, json, missing, expected] = await Promise.all([
      cli(['send', ...peer(), file]),
      cli(
        [
          'send',
          ...peer(),
          '--origin-host',
          'ctf.cli.test',
          '--origin-realm',
          'cli.test',
          '--format',
          'json',
          '-',
        ],
        JSON.stringify(YAML.parse(EVENT_ACR)),
      ),
      cli(['send', ...peer(), '--origin-host', 'missing.cli.test', '-'], JSON.stringify(NO_NUMBER_ACR)),
      cli(
        ['send', ...peer(), '--origin-host', 'expect.cli.test', '--expect', '5005', '--format', 'yaml', '-'],
        JSON.stringify(NO_NUMBER_ACR),
      ),
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stderr, '');
    const lines = text.stdout.trimEnd().split('\n');
    assert.match(
      lines[0]!,
      /^Accounting-Answer \(ACA\) code 271, flags P, application 3 \(Diameter Base Accounting\), hop-by-hop 0x[0-9a-f]{8}, end-to-end 0x[0-9a-f]{8}, length \d+$/,
    );
    assert.match(
      lines[1]!,
      /^ {2}Session-Id \(263\) -M-: diamkit-client\.localdomain;\d+;1;[0-9a-f]{6}$/,
      'the Session-Id the client made up',
    );
    assert.ok(lines.includes('  Result-Code (268) -M-: 2001'), text.stdout);
    assert.ok(lines.includes('  Accounting-Record-Type (480) -M-: EVENT_RECORD (1)'), text.stdout);
    assert.doesNotMatch(text.stdout, /\u001b\[/, 'no colour when stdout is not a terminal');

    assert.equal(json.code, 0, json.stderr);
    const aca = JSON.parse(json.stdout) as {
      command: string;
      flags: string;
      avps: Record<string, unknown>[];
    };
    assert.equal(aca.command, 'ACA');
    assert.equal(aca.flags, 'P');
    assert.match(
      String(aca.avps[0]!['Session-Id']),
      /^ctf\.cli\.test;\d+;1;[0-9a-f]{6}$/,
      'our --origin-host names the session',
    );
    assert.deepEqual(aca.avps.slice(1, 4), [
      { 'Result-Code': 2001 },
      { 'Origin-Host': 'diamkit.localdomain' },
      { 'Origin-Realm': 'localdomain' },
    ]);

    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stdout, /Result-Code \(268\) -M-: 5005/);
    assert.match(
      missing.stderr,
      /^diamkit: 5005 DIAMETER_MISSING_AVP from diamkit\.localdomain in [\d.]+ ms; expected a success Result-Code \(2xxx\)\n$/,
    );

    assert.equal(expected.code, 0, expected.stderr);
    const y = YAML.parse(expected.stdout) as { avps: Record<string, unknown>[] };
    assert.deepEqual(
      y.avps.find((a) => 'Failed-AVP' in a),
      { 'Failed-AVP': [{ 'Accounting-Record-Number': 0 }] },
    );
  });

  test('one session over two runs: no Origin-State-Id by default, so the second run is no CTF restart; --origin-state-id sends one', async () => {
    // START in one run, STOP in another a second later (Origin-State-Id in seconds would have risen): one
    // record, no anomaly. With --origin-state-id 5 then 6 the CDF sees a restart between the two runs and
    // closes the first run's session (accounting-rf.md §5.5).
    const acr = (sessionId: string, type: string, n: number) =>
      JSON.stringify({
        command: 'ACR',
        avps: [
          { 'Session-Id': sessionId },
          { 'Accounting-Record-Type': type },
          { 'Accounting-Record-Number': n },
          { 'Acct-Application-Id': 3 },
        ],
      });
    const twoRuns = async (host: string, first: string[], second: string[]) => {
      const sid = `${host};1;two-runs`;
      const start = await cli(['send', ...peer(), '--origin-host', host, ...first, '-'], acr(sid, 'START_RECORD', 0));
      assert.equal(start.code, 0, start.stderr);
      await new Promise((r) => setTimeout(r, 1100));
      const stop = await cli(['send', ...peer(), '--origin-host', host, ...second, '-'], acr(sid, 'STOP_RECORD', 1));
      assert.equal(stop.code, 0, stop.stderr);
      const store = new SqliteStore({ path: storePath });
      await store.open();
      try {
        return (await store.listCdrs({ sessionId: sid })).map((c) => c.anomalies);
      } finally {
        await store.close();
      }
    };
    const [plain, restarted] = await Promise.all([
      twoRuns('osi-none.cli.test', [], []),
      twoRuns('osi-set.cli.test', ['--origin-state-id', '5'], ['--origin-state-id', '6']),
    ]);
    assert.deepEqual(plain, [[]], 'one record, START to STOP, no anomaly');
    assert.equal(restarted.length, 2, `the restart closed the first record: ${JSON.stringify(restarted)}`);
    assert.ok(restarted[0]!.includes('ctfRestarted'), JSON.stringify(restarted));
    assert.ok(restarted[1]!.includes('aCRStartLost'), JSON.stringify(restarted));
    const bad = await cli(['send', ...peer(), '--origin-state-id', '-1', '-'], acr('x;1;bad', 'EVENT_RECORD', 0));
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'diamkit: --origin-state-id: expected a whole number 0..4294967295, got "-1"\n');
  });

  test('over TLS', async (t: TestContext) => {
    if (!tlsFiles) {
      if (process.env.CI === 'true') assert.fail('openssl is needed to make a test certificate');
      t.skip('openssl not found: no certificate for the TLS listener');
      return;
    }
    const r = await cli(
      [
        'send',
        '--peer',
        `127.0.0.1:${tlsPort}`,
        '--tls',
        '--tls-ca',
        tlsFiles.cert,
        '--tls-servername',
        'cdf.test',
        '--origin-host',
        'tls.cli.test',
        '-v',
        '-',
      ],
      EVENT_ACR,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Result-Code \(268\) -M-: 2001/);
    assert.match(r.stderr, /^diamkit: 2001 DIAMETER_SUCCESS from diamkit\.localdomain in [\d.]+ ms$/m);
    // -v also printed the request as sent, with what the client filled in.
    assert.match(r.stderr, /^ {2}Destination-Realm \(283\) -M-: localdomain$/m);
  });

  test('bad input and no peer: one line, exit 2; a bad message never connects', async () => {
    const [probe, badAvp, badPeer] = await Promise.all([
      cli(['send', '--peer', '127.0.0.1:1', '-'], EVENT_ACR),
      cli(['send', '--peer', '127.0.0.1:1', '-'], 'command: ACR\navps:\n  - Acounting-Record-Type: 1\n'),
      cli(['send', '--peer', 'nowhere:port', '-'], EVENT_ACR),
    ]);
    assert.equal(probe.code, 2);
    assert.match(probe.stderr, /^diamkit: 127\.0\.0\.1:1: .*ECONNREFUSED.*\n$/);
    assert.equal(badAvp.code, 2);
    // The form `diamkit encode` uses for the same mistake (src/cli/io.ts describeError).
    assert.equal(
      badAvp.stderr,
      'diamkit: stdin: UNKNOWN_NAME: avps[0]: unknown AVP "Acounting-Record-Type" [Result-Code 5012]\n',
    );
    assert.equal(badPeer.code, 2);
    assert.equal(
      badPeer.stderr,
      'diamkit: --peer: expected HOST:PORT (e.g. 127.0.0.1:3868), got "nowhere:port"\n',
    );
  });
});

describe('diamkit run', { concurrency: true }, () => {
  test('every shipped scenario passes against diamkit serve, and leaves the CDRs it should', async () => {
    const files = readdirSync(join(ROOT, 'scenarios'))
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => join('scenarios', f));
    const junit = join(tmp, 'shipped.xml');
    const r = await cli(['run', ...peer(), '--junit', junit, ...files]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout.match(/^ {2}PASSED: /gm)?.length, files.length, r.stdout);
    assert.match(r.stdout, new RegExp(`^${files.length} of ${files.length} scenarios passed$`, 'm'));
    assert.match(
      readFileSync(junit, 'utf8'),
      new RegExp(`<testsuites name="diamkit run" tests="\\d+" failures="0" errors="0" skipped="0"`),
    );

    // What the CDF stored (accounting-rf.md §5.2): the scenarios' identities name their sessions.
    const store = new SqliteStore({ path: storePath });
    await store.open();
    try {
      const cdrs = await store.listCdrs({ limit: 1000 });
      const of = (host: string) => cdrs.filter((c) => c.originHost === host);
      const ims = of('scscf1.ims.example.com');
      assert.deepEqual(
        ims.map((c) => [c.kind, c.recordType, c.anomalies]),
        [['ims', 63, []]],
        'one S-CSCF record, START to STOP',
      );
      const pgw = of('pgw1.epc.example.com');
      assert.equal(pgw.length, 3, 'one P-GW record per session');
      assert.deepEqual(
        pgw.map((c) => c.servedParty.find((p) => p.type === 1)?.data).sort(),
        ['001010000000001', '001010000000002', '001010000000003'],
        'IMSIs from subscribers.csv',
      );
      for (const c of pgw) {
        assert.equal(c.recordType, 85);
        assert.deepEqual(c.anomalies, []);
        const containers = c.fields.listOfServiceData as { ratingGroup: number }[];
        assert.deepEqual(
          containers.map((x) => x.ratingGroup).sort(),
          [100, 100, 100, 200, 200, 200],
          'two containers in each of 2 INTERIMs and the STOP',
        );
      }
      assert.deepEqual(
        of('scscf2.ims.example.com').map((c) => [c.kind, c.recordType, c.anomalies]),
        [['ims', 63, []]],
        'retransmitted START and STOP counted once: one record, no anomaly',
      );
      assert.deepEqual(
        of('smsc1.example.com').map((c) => c.kind),
        ['event', 'event'],
        'two SMS events',
      );
    } finally {
      await store.close();
    }
  });

  test('a wrong expectation fails: step, AVP path, expected and actual, on stdout and in JUnit; exit 1', async () => {
    const file = join(tmp, 'wrong.yaml');
    writeFileSync(
      file,
      `name: numbering
templates:
  acr:
    command: ACR
    avps:
      - Accounting-Record-Type: \${type}
      - Accounting-Record-Number: \${seq}
      - Acct-Application-Id: 3
steps:
  - { name: START, send: acr, with: { type: START_RECORD } }
  - { name: INTERIM, send: acr, with: { type: INTERIM_RECORD } }
  - name: STOP
    send: acr
    with: { type: STOP_RECORD }
    expect:
      result: 2001
      avps:
        Accounting-Record-Number: 3
  - { name: after, send: acr, with: { type: EVENT_RECORD } }
`,
    );
    const junit = join(tmp, 'wrong.xml');
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(
      bad,
      'steps:\n  - send: { command: ACR, avps: [] }\n    expect:\n      avps:\n        Acct-Record-Number: 1\n',
    );
    const [r, b] = await Promise.all([
      cli(['run', ...peer(), '--origin-host', 'wrong.cli.test', '--junit', junit, file]),
      cli(['run', ...peer(), file, bad]),
    ]);
    assert.equal(r.code, 1, r.stderr);
    const want = 'step 3 "STOP": Accounting-Record-Number: expected 3, got 2';
    assert.match(r.stdout, /^ {2}ok {4}step 2 "INTERIM": ACR → ACA 2001 DIAMETER_SUCCESS \([\d.]+ ms\)$/m);
    assert.match(r.stdout, /^ {2}FAIL {2}step 3 "STOP": ACR → ACA 2001 DIAMETER_SUCCESS \([\d.]+ ms\)$/m);
    assert.ok(r.stdout.includes(`\n        ${want}\n`), r.stdout);
    assert.match(r.stdout, /^ {2}skip {2}step 4 "after": skipped \(an earlier step failed\)$/m);
    assert.match(
      r.stdout,
      /^ {2}FAILED: 2 steps passed, 1 failed, 1 skipped; 0 of 1 session passed; 3 requests, 3 answers in [\d.]+ s$/m,
    );
    const xml = readFileSync(junit, 'utf8');
    assert.match(xml, /<testsuites name="diamkit run" tests="4" failures="1" errors="0" skipped="1"/);
    assert.ok(xml.includes(`<failure message="${want.replace(/"/g, '&quot;')}" type="expectation">`), xml);
    // A mistake in any file: nothing runs, one line with file and line, exit 2.
    assert.equal(b.code, 2);
    assert.equal(b.stdout, '');
    assert.equal(
      b.stderr,
      `diamkit: ${bad}:5: steps[0].expect.avps.Acct-Record-Number: unknown AVP "Acct-Record-Number"\n`,
    );
  });
});
