/**
 * The file's `timers` reach the node and change what it does (docs/config.md; Tc is tested in
 * cli.test.ts). Where a running `diamkit serve --config` shows the effect within a second, the test
 * talks to that process: the CER timeout closes a silent connection; a T-flagged retransmission is
 * answered from the duplicate cache inside duplicateWindow and processed anew after it, or once
 * duplicateMaxEntries newer answers pushed it out. The request timeout governs requests the node sends,
 * and `serve` sends none of its own but CER, DWR and DPR, which have their own waits: it is tested on a
 * node built exactly as `serve` builds it (withConfigFile → serveNodeOptions). So is Tw, whose 6 s minimum
 * (RFC 3539 §3.4.1) is run on a hand-driven clock.
 *
 * A duplicate is told from a new request by its Session-Id: the retransmission carries another one, and
 * an answer copies the Session-Id of the request it was built for (RFC 6733 §8.8), so the cached answer
 * names the original's.
 */
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { after, describe, test } from 'node:test';
import type { Message } from '../../src/codec/types.js';
import { withConfigFile } from '../../src/cli/config-commands.js';
import { serveNodeOptions, type ServeOptions } from '../../src/cli/serve.js';
import { DiameterNode } from '../../src/node/node.js';
import { attach, sleep } from '../node/fixture.js';
import { ManualClock } from '../node/manual-clock.js';
import { AVP, CMD, P, R, RawPeer, T, acr, cer, resultCode, strOf } from '../helpers/raw-peer.js';
import { HEAD, serveProcesses } from './serve-process.js';

const procs = serveProcesses('diamkit-config-timers-');
after(() => procs.cleanup());

/** A bare terminator (no CDF, no admin HTTP) on a free port, configured by `lines`. */
async function serveFile(name: string, lines: string[]) {
  const f = procs.write(name, [...HEAD, ...lines, 'cdf:', '  enabled: false']);
  return procs.start(['--config', f, '--port', '0', '--no-admin']);
}

/** An open connection to the server (CER/CEA 2001) that answers the server's DWRs by itself. */
async function openPeer(port: number, originHost: string): Promise<RawPeer> {
  const c = await RawPeer.connect(port);
  c.answerWatchdogs = true;
  c.originHost = originHost;
  assert.equal(resultCode(await c.exchange(cer({ originHost }))), 2001);
  return c;
}

/** Sends an ACR and returns the Session-Id its answer names (and checks the Hop-by-Hop id). */
async function sessionOfAnswer(
  c: RawPeer,
  f: { hbh: number; e2e: number; sessionId: string; originHost: string; retransmission?: boolean },
): Promise<string | undefined> {
  const a = await c.exchange(acr({ ...f, flags: f.retransmission ? R | P | T : R | P }));
  assert.equal(a.command, CMD.ACR);
  assert.equal(a.hbh, f.hbh, 'the answer carries this request’s Hop-by-Hop id');
  return strOf(a, AVP.SESSION_ID);
}

describe('diamkit serve --config: timers in a running server', () => {
  test('timers.cerTimeout closes a connection that sends no CER within it; one that sends a CER stays', async () => {
    const s = await serveFile('cer-timeout.yaml', ['timers:', '  cerTimeout: 0.3']);
    const opened = await openPeer(s.port, 'ctf-cer.example.com');
    const silent = await RawPeer.connect(s.port);
    try {
      const t0 = Date.now();
      await silent.expectClose(3000); // the default, 10 s, would leave it open
      const took = Date.now() - t0;
      assert.ok(took >= 250, `closed after ${took} ms, not before the 300 ms of cerTimeout`);
      assert.equal(silent.received.length, 0, 'closed without an answer');
      assert.equal(opened.closed, false, 'the connection that sent its CER is kept');
    } finally {
      silent.destroy();
      opened.destroy();
      s.child.kill('SIGTERM');
    }
  });

  test('timers.duplicateWindow: a retransmission inside it gets the cached answer, after it a new one', async () => {
    const s = await serveFile('duplicate-window.yaml', ['timers:', '  duplicateWindow: 1']);
    const originHost = 'ctf-window.example.com';
    const c = await openPeer(s.port, originHost);
    try {
      const e2e = 0x1000;
      assert.equal(await sessionOfAnswer(c, { hbh: 1, e2e, sessionId: 'ctf;win;original', originHost }), 'ctf;win;original');
      assert.equal(
        await sessionOfAnswer(c, { hbh: 2, e2e, sessionId: 'ctf;win;retx', originHost, retransmission: true }),
        'ctf;win;original',
        'inside the window: the original’s answer again',
      );
      await sleep(1300);
      assert.equal(
        await sessionOfAnswer(c, { hbh: 3, e2e, sessionId: 'ctf;win;late', originHost, retransmission: true }),
        'ctf;win;late',
        'after the window (the default is 60 s): treated as a new request',
      );
    } finally {
      c.destroy();
      s.child.kill('SIGTERM');
    }
  });

  test('timers.duplicateMaxEntries: only that many answers are remembered, the oldest leaves first', async () => {
    const s = await serveFile('duplicate-bound.yaml', ['timers:', '  duplicateMaxEntries: 2']);
    const originHost = 'ctf-bound.example.com';
    const c = await openPeer(s.port, originHost);
    try {
      for (const n of [1, 2, 3]) {
        assert.equal(await sessionOfAnswer(c, { hbh: n, e2e: 0x2000 + n, sessionId: `ctf;bound;${n}`, originHost }), `ctf;bound;${n}`);
      }
      assert.equal(
        await sessionOfAnswer(c, { hbh: 12, e2e: 0x2002, sessionId: 'ctf;bound;retx2', originHost, retransmission: true }),
        'ctf;bound;2',
        'the second newest of three is still remembered',
      );
      assert.equal(
        await sessionOfAnswer(c, { hbh: 11, e2e: 0x2001, sessionId: 'ctf;bound;retx1', originHost, retransmission: true }),
        'ctf;bound;retx1',
        'the oldest was pushed out by the bound (the default keeps 65536): treated as a new request',
      );
    } finally {
      c.destroy();
      s.child.kill('SIGTERM');
    }
  });
});

type CliServeOptions = Parameters<typeof withConfigFile>[0];

/** Commander's options of `serve` when only --config was typed (src/cli/main.ts defaults). */
function cliWithConfig(file: string): CliServeOptions {
  const cli: Omit<ServeOptions, 'config'> & { dictionary: string[]; config: string } = {
    host: '127.0.0.1',
    port: '3868',
    originHost: 'diamkit.localdomain',
    originRealm: 'localdomain',
    unsupportedCommand: '5012',
    logLevel: 'info',
    store: './data/diamkit.db',
    realm: [],
    allowPeer: [],
    dictionary: [],
    config: file,
  };
  // ServeOptions.config is the parsed file (ServeExtras); commander hands withConfigFile its path.
  return cli as CliServeOptions;
}
/** Commander's answer for an option not typed on the command line. */
const noFlagsTyped = { getOptionValueSource: () => 'default' } as unknown as Command;

/** A node built from the file the way `diamkit serve --config FILE` builds it, on the given clock. */
async function nodeFromFile(name: string, lines: string[], clock?: ManualClock): Promise<DiameterNode> {
  const f = procs.write(name, [...HEAD, ...lines]);
  const { opts, dict } = await withConfigFile(cliWithConfig(f), noFlagsTyped);
  return new DiameterNode({ ...serveNodeOptions(opts, dict), watchdogClock: clock, shutdownTimeoutMs: 50 });
}

describe('diamkit serve --config: timers on the node serve builds from the file', () => {
  test('timers.watchdog: a silent peer gets a DWR after Tw ± 2 s (RFC 3539), not after the default 30 s', async () => {
    const clock = new ManualClock();
    const node = await nodeFromFile('watchdog.yaml', ['timers:', '  watchdog: 6'], clock);
    const c = attach(node);
    try {
      assert.equal(resultCode(await c.exchange(cer())), 2001);
      clock.advance(3_999);
      await sleep(20);
      assert.equal(c.received.length, 1, 'only the CEA before Tw − 2 s');
      clock.advance(4_001); // 8 s: Tw + 2 s
      const d = await c.next();
      assert.equal(d.command, CMD.DWR);
      assert.equal(d.flags & R, R);
      assert.equal(strOf(d, AVP.ORIGIN_HOST), 'cdf.example.net', 'the file’s identity');
    } finally {
      c.destroy();
      await node.stop();
    }
  });

  test('timers.requestTimeout: a request the node sends fails when no answer comes within it', async () => {
    const node = await nodeFromFile('request-timeout.yaml', ['timers:', '  requestTimeout: 0.2']);
    const c = attach(node);
    // The connection's sweep timer is unref'd and an in-memory stream holds no handle: keep the loop alive.
    const hold = setTimeout(() => undefined, 15_000);
    try {
      assert.equal(resultCode(await c.exchange(cer())), 2001);
      const peer = node.peers.get('ctf.example.com')!;
      const rar: Message = {
        version: 1,
        flags: R | P,
        commandCode: 258, // RAR: a request the raw peer leaves unanswered
        applicationId: 3,
        hopByHopId: 0,
        endToEndId: 0,
        avps: [node.identity.originHost, node.identity.originRealm],
      };
      const t0 = Date.now();
      const lost = peer.request(rar);
      assert.equal((await c.next()).command, 258, 'the request went out');
      await assert.rejects(lost, (e: Error & { code?: string }) => {
        assert.equal(e.code, 'REQUEST_TIMEOUT');
        assert.match(e.message, /within 200 ms/);
        return true;
      });
      const took = Date.now() - t0;
      assert.ok(took >= 190 && took < 2000, `failed after ${took} ms (requestTimeout 0.2 s; the default is 10 s)`);
    } finally {
      clearTimeout(hold);
      c.destroy();
      await node.stop();
    }
  });
});
