/**
 * A scenario run against an independent server: Erlang/OTP's diameter application (an escript in
 * fixtures/ that answers ACR and prints what arrived, as OTP decoded it). The CER advertised
 * application 3; the three ACRs of one session arrived with the Session-Id, identity and
 * Destination-Realm the client filled in, record types 2, 3, 4 numbered 0, 1, 2, and no decode errors;
 * the run passed on OTP's ACAs and left with DPR (OTP reports peer_down).
 * OTP drops a request that comes within ~150 ms of its CEA (shared/DESIGN.md): the scenario starts
 * with a wait, as a user's would. Each run uses its own Origin-Host (OTP remembers vanished peers).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { runScenario, scenarioPassed } from '../../src/client/runner.js';
import { loadScenario } from '../../src/client/scenario.js';
import { requireTool } from '../interop/helpers/require-tool.js';

const ESCRIPT = fileURLToPath(new URL('./fixtures/erlang-acr-server.escript', import.meta.url));

test('diamkit run against an Erlang/OTP diameter server', { timeout: 60_000 }, async (t) => {
  if (!requireTool(t, 'escript')) return;
  const tmp = mkdtempSync(join(tmpdir(), 'diamkit-erlang-run-'));
  const me = `ctf-${process.pid}-${Date.now().toString(36)}.client.test`;
  const erl = spawn('escript', [ESCRIPT, 'otp.server.test', 'server.test', '40'], {
    cwd: tmp,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  erl.stdout.on('data', (c: Buffer) => (out += c.toString()));
  erl.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => erl.on('exit', (code) => r(code)));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no LISTENING line within 30 s:\n${out}\n${err}`)),
        30_000,
      );
      erl.stdout.on('data', () => {
        const m = /^LISTENING (\d+)$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      erl.on('exit', (code) => reject(new Error(`escript exited ${code}:\n${out}\n${err}`)));
    });
    const file = join(tmp, 'otp.yaml');
    writeFileSync(
      file,
      `name: Rf session to OTP
identity: { originHost: ${me}, originRealm: client.test }
templates:
  acr:
    command: ACR
    avps:
      - Accounting-Record-Type: \${type}
      - Accounting-Record-Number: \${seq}
      - Acct-Application-Id: 3
steps:
  - wait: 300ms
  - send: acr
    with: { type: START_RECORD }
    expect: { result: 2001, avps: { Origin-Host: otp.server.test, Accounting-Record-Type: START_RECORD, Accounting-Record-Number: 0 } }
  - send: acr
    with: { type: INTERIM_RECORD }
  - send: acr
    with: { type: STOP_RECORD }
    expect: { avps: { Accounting-Record-Number: 2, Session-Id: '\${session}' } }
`,
    );
    const dict = builtinDictionary();
    const r = await runScenario(loadScenario(file, dict), { host: '127.0.0.1', port, dictionary: dict });
    assert.ok(scenarioPassed(r), JSON.stringify(r.error ?? r.steps.filter((s) => s.status !== 'passed')));
    assert.equal(r.peer?.host, 'otp.server.test');
    assert.equal(r.peer?.realm, 'server.test');
    // peer_down comes once OTP has seen our DPR; give it a moment, bounded.
    for (let i = 0; i < 50 && !out.includes('RESULT peer_down'); i++)
      await new Promise((res) => setTimeout(res, 100));
  } finally {
    erl.stdin.end();
  }
  assert.equal(await exited, 0, err);
  const results = out
    .split('\n')
    .filter((l) => l.startsWith('RESULT '))
    .map((l) => l.slice(7));
  const acrs = results.filter((l) => l.startsWith('acr ')).map((l) => l.slice(4).split('|'));
  assert.equal(acrs.length, 3, out);
  const sid = acrs[0]![0]!;
  assert.match(
    sid,
    new RegExp(`^${me.replace(/\./g, '\\.')};\\d+;\\d+;[0-9a-f]{6}$`),
    'a Session-Id of RFC 6733 §8.8 form, filled in',
  );
  assert.deepEqual(acrs, [
    [sid, me, 'client.test', 'server.test', '2', '0', '[3]', '[]'],
    [sid, me, 'client.test', 'server.test', '3', '1', '[3]', '[]'],
    [sid, me, 'client.test', 'server.test', '4', '2', '[3]', '[]'],
  ]);
  assert.deepEqual(
    results.filter((l) => !l.startsWith('acr ')),
    [`peer_up ${me} [3]`, `peer_down ${me}`],
    'CER advertised application 3; DPR at the end',
  );
  rmSync(tmp, { recursive: true, force: true });
});
