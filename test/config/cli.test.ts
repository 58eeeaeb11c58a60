/**
 * The config file from the command line, as a user runs it (child processes of src/cli/main.ts):
 * `diamkit config check` passes the shipped example and fails a wrong type, an unknown key and a missing
 * field with one line naming file:line and the field (exit 2); `diamkit serve --config` refuses a bad
 * file the same way without opening anything, and with a good file serves what it says — identity,
 * CDF settings, behaviour rules — with flags typed on the command line taking precedence.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { HEAD, serveProcesses } from './serve-process.js';
import { AVP, M, RawPeer, acr, answerTo, avp, cer, dwr, resultCode, strOf, u32Of } from '../helpers/raw-peer.js';

const procs = serveProcesses('diamkit-config-cli-');
after(() => procs.cleanup());
const { write, run, start: startServe, dir: tmp } = procs;

describe('diamkit config check', () => {
  test('the shipped example passes', async () => {
    const r = await run(['config', 'check', 'examples/diamkit.yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^examples\/diamkit\.yaml: ok /);
    assert.equal(r.stderr, '');
  });

  const bad: [string, string[], RegExp][] = [
    [
      'wrong type',
      [...HEAD, 'cdf:', '  interimInterval: often'],
      /^FILE:5: cdf\.interimInterval: expected whole seconds > 0, got "often"$/,
    ],
    [
      'unknown key',
      [...HEAD, 'peers:', '  alow: [ctf.example.com]'],
      /^FILE:5: peers\.alow: unknown key \(did you mean allow\?\)$/,
    ],
    [
      'missing required field',
      ['identity:', '  originHost: cdf.example.net'],
      /^FILE:1: identity\.originRealm: required field missing: expected /,
    ],
  ];
  for (const [name, lines, expected] of bad) {
    test(`${name}: one line naming file:line and the field, exit status 2`, async () => {
      const f = write(`${name.replace(/ /g, '-')}.yaml`, lines);
      const r = await run(['config', 'check', f]);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      const out = r.stderr.trimEnd().split('\n');
      assert.equal(out.length, 1, r.stderr);
      assert.match(out[0]!.replace(f, 'FILE'), expected);
    });
  }

  test('config schema prints a JSON Schema', async () => {
    const r = await run(['config', 'schema']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { $schema: string; properties: Record<string, unknown> };
    assert.match(s.$schema, /json-schema\.org/);
    assert.ok(s.properties.rules);
  });
});

describe('diamkit serve --config', () => {
  test('a bad file: one line, exit status 2, nothing opened', async () => {
    const store = join(tmp, 'never.db');
    const f = write('bad-serve.yaml', [...HEAD, `store: ${store}`, 'timers:', '  watchdog: 2']);
    const r = await run(['serve', '--config', f]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    const out = r.stderr.trimEnd().split('\n');
    assert.equal(out.length, 1, r.stderr);
    assert.equal(out[0], `diamkit: ${f}:6: timers.watchdog: expected seconds >= 6 (RFC 3539: Tw), got 2`);
    assert.equal(existsSync(store), false);
  });

  test('serves the file’s identity, CDF settings and rules; command-line flags override the file', async () => {
    const f = write('good.yaml', [
      ...HEAD,
      'listeners:',
      '  - transport: tcp',
      '    host: 127.0.0.1',
      '    port: 3868', // overridden by --port 0 below
      'store: cdr/config-test.db', // relative to this file
      'cdf:',
      '  interimInterval: 77',
      'logging:',
      '  level: warn',
      'admin:',
      '  port: 0', // any free port: test processes run side by side
      'allowUnknownMandatory: true',
      'rules:',
      '  - id: unknown-subscriber',
      '    match:',
      '      command: ACR',
      '      avp:',
      '        Service-Information/Subscription-Id/Subscription-Id-Data: 46700000001',
      '    action: { result: 5030 }',
    ]);
    const s = await startServe(['--config', f, '--port', '0', '--origin-host', 'override.example.net']);
    const c = await RawPeer.connect(s.port);
    try {
      c.answerWatchdogs = true;
      const cea = await c.exchange(cer());
      assert.equal(resultCode(cea), 2001);
      assert.equal(strOf(cea, AVP.ORIGIN_HOST), 'override.example.net', 'the flag wins');
      assert.equal(strOf(cea, AVP.ORIGIN_REALM), 'example.net', 'the file where no flag was given');

      const subscriber = (msisdn: string) =>
        avp(873, avp(443, Buffer.concat([avp(450, 0), avp(444, msisdn)])), { vendorId: 10415, flags: M });
      const rejected = await c.exchange(
        acr({ hbh: 1, e2e: 1, sessionId: 'ctf;cfg;1', recordType: 1, extra: [subscriber('46700000001')] }),
      );
      assert.equal(resultCode(rejected), 5030);
      const accepted = await c.exchange(
        acr({ hbh: 2, e2e: 2, sessionId: 'ctf;cfg;2', recordType: 1, extra: [subscriber('46700000002')] }),
      );
      assert.equal(resultCode(accepted), 2001);
      const start = await c.exchange(acr({ hbh: 3, e2e: 3, sessionId: 'ctf;cfg;3', recordType: 2 }));
      assert.equal(resultCode(start), 2001);
      assert.equal(u32Of(start, 85), 77, 'Acct-Interim-Interval from cdf.interimInterval');
      const vendorAvp = avp(0x00fedcba, 'mystery', { vendorId: 99999, flags: M });
      const lenient = await c.exchange(acr({ hbh: 4, e2e: 4, sessionId: 'ctf;cfg;4', recordType: 1, extra: [vendorAvp] }));
      assert.equal(resultCode(lenient), 2001, 'allowUnknownMandatory: an unknown M-bit AVP is accepted, not 5001');
      assert.equal(
        existsSync(join(tmp, 'cdr/config-test.db')),
        true,
        'store path relative to the config file',
      );
    } finally {
      c.destroy();
      s.child.kill('SIGTERM');
    }
  });
});

describe('diamkit serve --config: peers to connect to', () => {
  test('peers.connect opens a connection with CER (the file’s identity); timers.reconnect brings it back after a close', async () => {
    // A raw peer listening on 127.0.0.1 takes each connection the server makes.
    const queue: RawPeer[] = [];
    const listener = net.createServer((sock) => {
      const p = new RawPeer(sock);
      p.answerWatchdogs = true;
      queue.push(p);
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as net.AddressInfo).port;
    const nextConnection = async (what: string): Promise<RawPeer> => {
      for (const end = Date.now() + 10_000; queue.length === 0; await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() > end) throw new Error(`no ${what} within 10 s`);
      }
      return queue.shift()!;
    };
    const opened = async (p: RawPeer, hbh: number): Promise<void> => {
      const c = await p.next(5000);
      assert.equal(c.command, 257, 'the server opens with a CER');
      assert.equal(strOf(c, AVP.ORIGIN_HOST), 'cdf.example.net', 'the identity of the file');
      p.send(answerTo(c, 'peer.example.com', [avp(AVP.ACCT_APPLICATION_ID, 3)]));
      // Open now: a DWR the peer sends is answered.
      assert.equal(resultCode(await p.exchange(dwr(hbh, hbh, 'peer.example.com'))), 2001);
    };
    const f = write('connect.yaml', [
      ...HEAD,
      'peers:',
      '  connect:',
      '    - host: 127.0.0.1',
      `      port: ${port}`,
      'timers:',
      '  reconnect: 0.3', // Tc, seconds
      'cdf:',
      '  enabled: false',
    ]);
    const s = await startServe(['--config', f, '--port', '0', '--no-admin']);
    const all: RawPeer[] = [];
    try {
      const first = await nextConnection('connection');
      all.push(first);
      await opened(first, 0x51);
      const t0 = Date.now();
      first.destroy(); // the transport fails: Tc later the server connects again (RFC 6733 §2.1, Tc)
      const second = await nextConnection('reconnection');
      all.push(second);
      const after = Date.now() - t0;
      assert.ok(after >= 250, `reconnected after ${after} ms, not before Tc (300 ms)`);
      await opened(second, 0x52);
    } finally {
      s.child.kill('SIGTERM');
      for (const p of all) p.destroy();
      listener.close();
    }
  });
});
