/**
 * `--start-delay` / `startDelayMs`: the client waits that long after the CEA before its first request
 * (for servers such as Erlang/OTP diameter, which drop requests that arrive right after their CEA). A
 * scripted raw-byte server on 127.0.0.1 notes when it wrote its CEA and when each request arrived, so the
 * gap is measured where it matters, for `diamkit send` (the CLI), the scenario runner and `diamkit load`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadTemplate } from '../../src/client/load/acr-template.js';
import { LoadOptionError } from '../../src/client/load/options.js';
import { runLoad } from '../../src/client/load/run-load.js';
import { runScenario, scenarioPassed } from '../../src/client/runner.js';
import { loadScenario } from '../../src/client/scenario.js';
import { loadOptionsFrom } from '../../src/cli/load-command.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { avp, find, ipv4, message, RawPeer, type RawMessage } from '../helpers/raw-peer.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'diamkit-start-delay-'));
const servers: net.Server[] = [];
after(() => {
  for (const s of servers) s.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** What the server saw on its connections: when it wrote each CEA, when each request arrived. */
interface Timeline {
  port: number;
  ceaAt: number[];
  requestsAt: number[];
}

/** A server that accepts any CER, answers every application request 2001, and DPR with DPA. */
async function timedServer(): Promise<Timeline> {
  const tl: Timeline = { port: 0, ceaAt: [], requestsAt: [] };
  const server = net.createServer((sock) => {
    sock.on('error', () => undefined);
    const peer = new RawPeer(sock);
    void (async () => {
      try {
        for (;;) {
          const m = await peer.next(30_000);
          if (!(m.flags & 0x80)) continue;
          if (m.command === 257) {
            peer.send(
              reply(m, [
                avp(257, ipv4('127.0.0.1')),
                avp(266, 0),
                avp(269, 'timed', { flags: 0 }),
                avp(259, 3),
              ]),
            );
            tl.ceaAt.push(performance.now());
          } else if (m.command === 280 || m.command === 282) {
            peer.send(reply(m, []));
          } else {
            tl.requestsAt.push(performance.now());
            const copy = [263, 480, 485].flatMap((code) => {
              const a = find(m, code);
              return a ? [m.bytes.subarray(a.offset, a.offset + ((a.length + 3) & ~3))] : [];
            });
            peer.send(reply(m, copy));
          }
        }
      } catch {
        /* closed */
      }
    })();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  tl.port = (server.address() as net.AddressInfo).port;
  return tl;
}

/** An answer to `req` with Result-Code 2001 and our identity (octets built by hand, raw-peer.ts). */
function reply(req: RawMessage, extra: Buffer[]): Buffer {
  return message(
    { flags: req.flags & 0x40, command: req.command, appId: req.appId, hbh: req.hbh, e2e: req.e2e },
    [avp(268, 2001), avp(264, 'timed.server.test'), avp(296, 'server.test'), ...extra],
  );
}

/** Milliseconds from the (only) CEA to the first request. */
function gap(tl: Timeline): number {
  assert.equal(tl.ceaAt.length, 1);
  assert.ok(tl.requestsAt.length > 0, 'a request arrived');
  return tl.requestsAt[0]! - tl.ceaAt[0]!;
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

const ACR = `command: ACR
avps:
  - Accounting-Record-Type: EVENT_RECORD
  - Accounting-Record-Number: 0
  - Acct-Application-Id: 3
`;

describe('diamkit send --start-delay', () => {
  test('the request leaves that long after the CEA', { timeout: 60_000 }, async () => {
    const tl = await timedServer();
    const file = join(tmp, 'acr.yaml');
    writeFileSync(file, ACR);
    const r = await cli(['send', file, '--peer', `127.0.0.1:${tl.port}`, '--start-delay', '600ms']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Result-Code \(268\) -M-: 2001/);
    const ms = gap(tl);
    // A timer never fires early; 5 ms for the clocks of two processes and rounding.
    assert.ok(ms >= 595, `first request ${ms.toFixed(1)} ms after the CEA`);
  });

  test('a bad value is refused before connecting: one line, exit 2', { timeout: 60_000 }, async () => {
    const tl = await timedServer();
    const file = join(tmp, 'acr.yaml');
    writeFileSync(file, ACR);
    for (const bad of ['soon', '2m', '-5']) {
      const r = await cli(['send', file, '--peer', `127.0.0.1:${tl.port}`, '--start-delay', bad]);
      assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /--start-delay: expected milliseconds or a duration up to 1m/);
    }
    assert.equal(tl.ceaAt.length, 0, 'never connected');
  });
});

test('the scenario runner waits startDelayMs after the CEA before the first session', async () => {
  const tl = await timedServer();
  const file = join(tmp, 'scenario.yaml');
  writeFileSync(
    file,
    `steps:\n  - send: { command: ACR, avps: [{ Accounting-Record-Type: EVENT_RECORD }, { Accounting-Record-Number: 0 }] }\n`,
  );
  const dict = builtinDictionary();
  const r = await runScenario(loadScenario(file, dict), {
    host: '127.0.0.1',
    port: tl.port,
    dictionary: dict,
    startDelayMs: 500,
  });
  assert.ok(scenarioPassed(r), JSON.stringify(r.error ?? r.steps));
  const ms = gap(tl);
  assert.ok(ms >= 498, `first request ${ms.toFixed(1)} ms after the CEA`);
});

describe('diamkit load --start-delay', () => {
  test('every connection waits that long after its CEA before its first ACR; the report says so', async () => {
    const tl = await timedServer();
    const r = await runLoad({
      host: '127.0.0.1',
      port: tl.port,
      mode: 'closed',
      rate: 0,
      concurrency: 4,
      holding: { kind: 'fixed', seconds: 0 },
      interimSeconds: 0,
      event: false,
      template: loadTemplate('ims'),
      connections: 2,
      workers: 1,
      count: 8,
      warmupMs: 0,
      startDelayMs: 500,
      timeoutMs: 5000,
      originHost: 'load.localdomain',
      originRealm: 'localdomain',
      sameOriginHost: false,
      dictionaryFiles: [],
      maxInFlightPerConnection: 64,
    });
    assert.deepEqual(r.resultCodes, { '2001': 16 });
    assert.equal(r.run.startDelayMs, 500);
    assert.equal(tl.ceaAt.length, 2);
    const first = Math.min(...tl.requestsAt);
    const lastCea = Math.max(...tl.ceaAt);
    assert.ok(first - lastCea >= 498, `first ACR ${(first - lastCea).toFixed(1)} ms after the last CEA`);
  });

  test('the flag: a duration (bare numbers are seconds, as for every load flag), at most 1m', () => {
    const flags = (startDelay: string): Parameters<typeof loadOptionsFrom>[0] => ({
      peer: '127.0.0.1:3868',
      holding: '0',
      interim: '0',
      template: 'ims',
      connections: '1',
      workers: '1',
      warmup: '0',
      startDelay,
      timeout: '5s',
      originHost: 'load.localdomain',
      originRealm: 'localdomain',
      maxInFlight: '1024',
      progress: false,
      progressInterval: '1s',
      dictionary: [],
    });
    assert.equal(loadOptionsFrom(flags('0')).options.startDelayMs, 0);
    assert.equal(loadOptionsFrom(flags('250ms')).options.startDelayMs, 250);
    assert.equal(loadOptionsFrom(flags('1.5')).options.startDelayMs, 1500);
    assert.throws(
      () => loadOptionsFrom(flags('2m')),
      (e: Error) => e instanceof LoadOptionError && /--start-delay: at most 1m/.test(e.message),
    );
    assert.throws(
      () => loadOptionsFrom(flags('soon')),
      (e: Error) => e instanceof LoadOptionError && /--start-delay/.test(e.message),
    );
  });
});
