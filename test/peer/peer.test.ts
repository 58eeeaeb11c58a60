/**
 * The Peer driving the RFC 6733 §5.6 state machine over in-memory connections, with a scripted raw peer
 * on the far end of each: the initiator path (Wait-Conn-Ack → Wait-I-CEA → I-Open), refused CEAs, the
 * §5.6.4 election in each of its orders (the winner keeps the responder connection, the loser its own),
 * DPR/DPA both ways, and the RFC 3539 watchdog closing a peer that stops answering DWRs, on a hand-driven clock.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeMessage } from '../../src/codec/message.js';
import type { Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { buildAnswer } from '../../src/node/answers.js';
import { IdentityAvps } from '../../src/node/identity.js';
import { appIdSet, commonApplications, readCapabilities } from '../../src/peer/capabilities.js';
import { Connection } from '../../src/peer/connection.js';
import { Peer, type PeerHost } from '../../src/peer/peer.js';
import { duplexPair } from '../helpers/duplex-pair.js';
import { ManualClock } from '../node/manual-clock.js';
import {
  AVP,
  CMD,
  E,
  RawPeer,
  acr,
  answerTo,
  avp,
  cer,
  dpr,
  dwr,
  message,
  resultCode,
  strOf,
  u32Of,
  type RawMessage,
} from '../helpers/raw-peer.js';

const dict = builtinDictionary();
const APPS = { auth: [], acct: [3], vendorSpecific: [], supportedVendors: [10415] };

interface Harness {
  host: PeerHost;
  /** The far ends of the connections the peer initiated, in order. */
  far: RawPeer[];
  requests: Message[];
  /** Resolves the next openTransport call by hand when `manualConnect` is set. */
  connect?: { resolve: () => void; reject: (e: Error) => void };
}

function harness(
  localHost: string,
  opts: { manualConnect?: boolean; watchdogMs?: number; clock?: ManualClock } = {},
): Harness {
  const identity = new IdentityAvps({
    originHost: localHost,
    originRealm: 'example.net',
    vendorId: 0,
    productName: 'peer-test',
    originStateId: 5,
  });
  let e2e = 1;
  const h: Harness = {
    far: [],
    requests: [],
    host: {
      identity,
      applications: APPS,
      connectionOptions: { resolve: dict.resolve },
      watchdogMs: opts.watchdogMs,
      ...(opts.clock ? { watchdogClock: opts.clock } : {}),
      judgeCapabilities: (caps) =>
        commonApplications(appIdSet(APPS), caps.appIds).length ? { resultCode: 2001 } : { resultCode: 5010 },
      onRequest: (_peer, conn, msg) => {
        h.requests.push(msg);
        conn.sendMessage(buildAnswer(msg, identity, 2001));
      },
      onMalformed: () => undefined,
      newEndToEnd: () => e2e++,
      openTransport: () => {
        const [near, far] = duplexPair();
        const raw = new RawPeer(far);
        if (!opts.manualConnect) {
          h.far.push(raw);
          return Promise.resolve(near);
        }
        return new Promise((resolve, reject) => {
          h.connect = {
            resolve: () => {
              h.far.push(raw);
              resolve(near);
            },
            reject,
          };
        });
      },
    },
  };
  return h;
}

/** A CEA from `originHost` answering the CER `req`. */
function cea(req: RawMessage, originHost: string, rc = 2001, acct = [3]): Buffer {
  return message({ flags: 0, command: CMD.CER, hbh: req.hbh, e2e: req.e2e }, [
    avp(AVP.RESULT_CODE, rc),
    avp(AVP.ORIGIN_HOST, originHost),
    avp(AVP.ORIGIN_REALM, 'example.net'),
    avp(AVP.HOST_IP_ADDRESS, Buffer.from([0, 1, 192, 0, 2, 1])),
    avp(AVP.VENDOR_ID, 0),
    avp(AVP.PRODUCT_NAME, 'far', { flags: 0 }),
    ...acct.map((a) => avp(AVP.ACCT_APPLICATION_ID, a)),
  ]);
}

/** Delivers an inbound connection whose CER came from `originHost`; returns the raw far end. */
function inbound(peer: Peer, h: Harness, originHost: string, acct = [3]): RawPeer {
  const [near, far] = duplexPair();
  const conn = new Connection(
    near,
    { onMessage() {}, onMalformed() {}, onClose() {} },
    h.host.connectionOptions,
  );
  const msg = decodeMessage(cer({ originHost, acct }), dict.resolve);
  peer.inboundCer(conn, msg, readCapabilities(msg));
  return new RawPeer(far);
}

const tick = () => new Promise<void>((r) => setImmediate(r));
async function until(cond: () => boolean, what: string, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function states(peer: Peer): string[] {
  const seen: string[] = [];
  peer.on('state', (_from: string, to: string) => seen.push(to));
  return seen;
}

describe('initiator (RFC 6733 §5.6)', () => {
  test('Start → Wait-Conn-Ack → Wait-I-CEA → I-Open: the CER carries our capabilities', async () => {
    const h = harness('alpha.example.net');
    const peer = new Peer(h.host, { originHost: 'bravo.example.net' });
    const seen = states(peer);
    peer.start();
    assert.equal(peer.state, 'Wait-Conn-Ack');
    const far = await until(() => h.far.length === 1, 'connect').then(() => h.far[0]!);
    const req = await far.next();
    assert.equal(req.command, CMD.CER);
    assert.equal(req.flags, 0x80, 'R set, P clear');
    assert.equal(strOf(req, AVP.ORIGIN_HOST), 'alpha.example.net');
    assert.equal(u32Of(req, AVP.ACCT_APPLICATION_ID), 3);
    assert.equal(u32Of(req, AVP.ORIGIN_STATE_ID), 5);
    assert.equal(peer.state, 'Wait-I-CEA');
    far.send(cea(req, 'bravo.example.net'));
    await until(() => peer.state === 'I-Open', 'I-Open');
    assert.deepEqual(seen, ['Wait-Conn-Ack', 'Wait-I-CEA', 'I-Open']);
    assert.equal(peer.capabilities?.originHost, 'bravo.example.net');
    // Requests flow on the initiated connection.
    const a = await far.exchange(acr({ hbh: 1, e2e: 1 }));
    assert.equal(resultCode(a), 2001);
    assert.equal(h.requests.length, 1);
    far.destroy();
    await until(() => peer.state === 'Closed', 'Closed after the peer disconnects');
  });

  for (const [what, rc, acct] of [
    ['Result-Code 5010', 5010, [3]],
    ['2001 but no common application', 2001, [4]],
  ] as const) {
    test(`a CEA with ${what} leaves the peer Closed and closes the connection`, async () => {
      const h = harness('alpha.example.net');
      const peer = new Peer(h.host);
      const refused: number[] = [];
      peer.on('cea-refused', (code: number) => refused.push(code));
      peer.start();
      await until(() => h.far.length === 1, 'connect');
      const far = h.far[0]!;
      far.send(cea(await far.next(), 'bravo.example.net', rc, [...acct]));
      await far.expectClose(1000);
      assert.equal(peer.state, 'Closed');
      assert.deepEqual(refused, [rc]);
    });
  }

  for (const [what, bytes] of [
    ['an application request', acr({ hbh: 9, e2e: 9 })],
    ['a DWR', dwr(9, 9, 'bravo.example.net')],
  ] as const) {
    test(`${what} instead of the CEA: Error, the connection closes (I-Rcv-Non-CEA)`, async () => {
      const h = harness('alpha.example.net');
      const peer = new Peer(h.host);
      peer.start();
      await until(() => h.far.length === 1, 'connect');
      const far = h.far[0]!;
      await far.next(); // the CER
      far.send(bytes);
      await far.expectClose(1000);
      assert.equal(peer.state, 'Closed');
      assert.equal(h.requests.length, 0);
      assert.equal(far.queued, 0, 'nothing answered');
    });
  }

  test('requests right behind the CEA, in the same segment, find the peer I-Open and are answered', async () => {
    const h = harness('alpha.example.net');
    const peer = new Peer(h.host);
    peer.start();
    await until(() => h.far.length === 1, 'connect');
    const far = h.far[0]!;
    const ourCer = await far.next();
    // A reopening peer sends a DWR at once (RFC 3539 REOPEN); a busy one its first request.
    far.send(
      Buffer.concat([
        cea(ourCer, 'bravo.example.net'),
        dwr(0x71, 0x71, 'bravo.example.net'),
        acr({ hbh: 0x72, e2e: 0x72 }),
      ]),
    );
    const a = await far.next();
    const b = await far.next();
    assert.deepEqual([a.hbh, b.hbh], [0x71, 0x72]);
    assert.deepEqual([a.command, resultCode(a)], [CMD.DWR, 2001]);
    assert.deepEqual([b.command, resultCode(b)], [CMD.ACR, 2001]);
    assert.equal(peer.state, 'I-Open');
    far.destroy();
  });

  test('a failed connect (I-Rcv-Conn-Nack) goes back to Closed', async () => {
    const h = harness('alpha.example.net', { manualConnect: true });
    const peer = new Peer(h.host);
    const errors: Error[] = [];
    peer.on('connect-error', (e: Error) => errors.push(e));
    peer.start();
    await tick();
    h.connect!.reject(new Error('ECONNREFUSED'));
    await until(() => peer.state === 'Closed', 'Closed');
    assert.equal(errors[0]?.message, 'ECONNREFUSED');
  });
});

describe('election (RFC 6733 §5.6.4)', () => {
  test('winner in Wait-I-CEA: closes the connection it initiated, answers the CER on the other, R-Open', async () => {
    const h = harness('bravo.example.net'); // bravo > alpha: bravo wins
    const peer = new Peer(h.host, { originHost: 'alpha.example.net' });
    const seen = states(peer);
    peer.start();
    await until(() => h.far.length === 1, 'connect');
    const iFar = h.far[0]!;
    await iFar.next(); // our CER
    const rFar = inbound(peer, h, 'alpha.example.net');
    const ans = await rFar.next();
    assert.equal(ans.command, CMD.CER);
    assert.equal(resultCode(ans), 2001);
    await iFar.expectClose(1000);
    assert.equal(peer.state, 'R-Open');
    assert.deepEqual(seen, ['Wait-Conn-Ack', 'Wait-I-CEA', 'Wait-Returns', 'R-Open']);
    assert.equal(peer.iConn, undefined);
    assert.equal(resultCode(await rFar.exchange(acr({ hbh: 3, e2e: 3 }))), 2001);
    rFar.destroy();
  });

  test('loser, CEA first: keeps the connection it initiated, closes the responder one, I-Open', async () => {
    const h = harness('alpha.example.net'); // alpha < bravo: alpha loses
    const peer = new Peer(h.host, { originHost: 'bravo.example.net' });
    const seen = states(peer);
    peer.start();
    await until(() => h.far.length === 1, 'connect');
    const iFar = h.far[0]!;
    const ourCer = await iFar.next();
    const rFar = inbound(peer, h, 'bravo.example.net');
    await tick();
    assert.equal(peer.state, 'Wait-Returns', 'the loser waits');
    assert.equal(rFar.queued, 0, 'the loser sends no CEA on the responder connection');
    // The winner answers our CER before it closes its own connection to us.
    iFar.send(cea(ourCer, 'bravo.example.net'));
    await rFar.expectClose(1000);
    assert.equal(peer.state, 'I-Open');
    assert.deepEqual(seen, ['Wait-Conn-Ack', 'Wait-I-CEA', 'Wait-Returns', 'I-Open']);
    assert.equal(peer.rConn, undefined);
    assert.ok(peer.iConn && !peer.iConn.isClosed, 'the initiated connection is open');
    assert.ok(await iFar.staysOpen(30));
    assert.equal(resultCode(await iFar.exchange(dwr(4, 4, 'bravo.example.net'))), 2001);
    iFar.destroy();
  });

  test('loser, disconnect first: Wait-Returns → Wait-I-CEA → I-Open', async () => {
    const h = harness('alpha.example.net');
    const peer = new Peer(h.host, { originHost: 'bravo.example.net' });
    const seen = states(peer);
    peer.start();
    await until(() => h.far.length === 1, 'connect');
    const iFar = h.far[0]!;
    const ourCer = await iFar.next();
    const rFar = inbound(peer, h, 'bravo.example.net');
    rFar.destroy();
    await until(() => peer.state === 'Wait-I-CEA', 'back to Wait-I-CEA');
    iFar.send(cea(ourCer, 'bravo.example.net'));
    await until(() => peer.state === 'I-Open', 'I-Open');
    assert.deepEqual(seen, ['Wait-Conn-Ack', 'Wait-I-CEA', 'Wait-Returns', 'Wait-I-CEA', 'I-Open']);
    iFar.destroy();
  });

  test('CER while still connecting (Wait-Conn-Ack/Elect), then the connect succeeds: the winner keeps R', async () => {
    const h = harness('bravo.example.net', { manualConnect: true });
    const peer = new Peer(h.host, { originHost: 'alpha.example.net' });
    const seen = states(peer);
    peer.start();
    const rFar = inbound(peer, h, 'alpha.example.net');
    assert.equal(peer.state, 'Wait-Conn-Ack/Elect');
    h.connect!.resolve();
    await until(() => peer.state === 'R-Open', 'R-Open');
    assert.equal(resultCode(await rFar.next()), 2001);
    await h.far[0]!.expectClose(1000);
    assert.deepEqual(seen, ['Wait-Conn-Ack', 'Wait-Conn-Ack/Elect', 'Wait-Returns', 'R-Open']);
    rFar.destroy();
  });

  test('CER while still connecting, then the connect fails: the CER is answered, R-Open', async () => {
    const h = harness('alpha.example.net', { manualConnect: true });
    const peer = new Peer(h.host, { originHost: 'bravo.example.net' });
    peer.start();
    const rFar = inbound(peer, h, 'bravo.example.net');
    h.connect!.reject(new Error('ECONNREFUSED'));
    assert.equal(resultCode(await rFar.next()), 2001);
    assert.equal(peer.state, 'R-Open');
    rFar.destroy();
  });

  test('another CER while open: R-Reject closes the new connection, the open one stays', async () => {
    const h = harness('alpha.example.net');
    const peer = new Peer(h.host);
    const first = inbound(peer, h, 'bravo.example.net');
    assert.equal(resultCode(await first.next()), 2001);
    assert.equal(peer.state, 'R-Open');
    const second = inbound(peer, h, 'bravo.example.net');
    const ans = await second.next();
    assert.equal(resultCode(ans), 4003);
    await second.expectClose(1000);
    assert.equal(peer.state, 'R-Open');
    assert.equal(resultCode(await first.exchange(dwr(1, 1, 'bravo.example.net'))), 2001);
    first.destroy();
  });
});

describe('DPR/DPA (RFC 6733 §5.4)', () => {
  test('stop() in I-Open: DPR with Disconnect-Cause, DPA → Closed and the connection closed', async () => {
    const h = harness('alpha.example.net');
    const peer = new Peer(h.host);
    peer.start();
    await until(() => h.far.length === 1, 'connect');
    const far = h.far[0]!;
    far.send(cea(await far.next(), 'bravo.example.net'));
    await until(() => peer.state === 'I-Open', 'I-Open');
    const stopped = peer.stop(1);
    const req = await far.next();
    assert.equal(req.command, CMD.DPR);
    assert.equal(u32Of(req, AVP.DISCONNECT_CAUSE), 1);
    assert.equal(peer.state, 'Closing');
    far.send(answerTo(req, 'bravo.example.net'));
    await stopped;
    assert.equal(peer.state, 'Closed');
    await far.expectClose(1000);
  });

  test('a request arriving in Closing (sent before the peer saw our DPR) is still answered', async () => {
    const h = harness('alpha.example.net');
    const peer = new Peer(h.host);
    const far = inbound(peer, h, 'bravo.example.net');
    await far.next(); // CEA
    const stopped = peer.stop();
    const d = await far.next();
    assert.equal(d.command, CMD.DPR);
    const ans = await far.exchange(acr({ hbh: 0x55, e2e: 0x55 }));
    assert.equal(ans.hbh, 0x55);
    assert.equal(resultCode(ans), 2001);
    far.send(answerTo(d, 'bravo.example.net'));
    await stopped;
    assert.equal(peer.state, 'Closed');
  });

  test('DO_NOT_WANT_TO_TALK_TO_YOU from the peer: DPA, and no reconnect', async () => {
    const h = harness('alpha.example.net');
    const peer = new Peer(h.host, { reconnect: true, reconnectMs: 20 });
    peer.start();
    await until(() => h.far.length === 1, 'connect');
    const far = h.far[0]!;
    far.send(cea(await far.next(), 'bravo.example.net'));
    await until(() => peer.state === 'I-Open', 'I-Open');
    const dpa = await far.exchange(dpr(7, 7, 2, 'bravo.example.net'));
    assert.equal(dpa.command, CMD.DPR);
    assert.equal(dpa.flags & (0x80 | E), 0);
    assert.equal(resultCode(dpa), 2001);
    far.destroy();
    await until(() => peer.state === 'Closed', 'Closed');
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(h.far.length, 1, 'no new connection after DO_NOT_WANT_TO_TALK_TO_YOU');
  });

  test('a peer lost without DPR is reconnected after Tc', async () => {
    const h = harness('alpha.example.net');
    const peer = new Peer(h.host, { reconnect: true, reconnectMs: 20 });
    peer.start();
    await until(() => h.far.length === 1, 'connect');
    const far = h.far[0]!;
    far.send(cea(await far.next(), 'bravo.example.net'));
    await until(() => peer.state === 'I-Open', 'I-Open');
    far.destroy();
    await until(() => h.far.length === 2, 'reconnect');
    const again = h.far[1]!;
    again.answerWatchdogs = true;
    again.originHost = 'bravo.example.net';
    again.send(cea(await again.next(), 'bravo.example.net'));
    await until(() => peer.state === 'I-Open', 'I-Open again');
    const stopping = peer.stop();
    const d = await again.next();
    assert.equal(d.command, CMD.DPR);
    again.send(answerTo(d, 'bravo.example.net'));
    await stopping;
    assert.equal(peer.state, 'Closed');
  });
});

describe('watchdog (RFC 3539) on a hand-driven clock', () => {
  const TW = 30_000;
  let clock = new ManualClock();
  // Each Tw is TwInit ± 2 s of jitter: a step of TwInit + 2 s always reaches the next expiry, and never
  // two (the next Tw is counted from the expiry and is at least TwInit − 2 s).
  const step = () => clock.advance(TW + 2000);

  async function openWithWatchdog() {
    clock = new ManualClock();
    const h = harness('alpha.example.net', { clock, watchdogMs: TW });
    const peer = new Peer(h.host);
    const far = inbound(peer, h, 'bravo.example.net');
    assert.equal(resultCode(await far.next()), 2001);
    assert.equal(peer.watchdog.state, 'OKAY');
    return { h, peer, far };
  }

  test('no traffic for Tw: a DWR; answered, the peer stays OKAY and open', async () => {
    const { peer, far } = await openWithWatchdog();
    for (let i = 0; i < 3; i++) {
      step();
      const d = await far.next();
      assert.equal(d.command, CMD.DWR);
      assert.equal(u32Of(d, AVP.ORIGIN_STATE_ID), 5);
      far.send(answerTo(d, 'bravo.example.net'));
      await tick();
      assert.equal(peer.watchdog.pending, false);
    }
    assert.equal(peer.watchdog.state, 'OKAY');
    assert.equal(peer.state, 'R-Open');
    far.destroy();
  });

  test('a peer that stops answering DWRs: SUSPECT after 2 Tw, closed after 3 Tw', async () => {
    const { peer, far } = await openWithWatchdog();
    const wd: string[] = [];
    peer.on('watchdog', (_f: string, to: string) => wd.push(to));
    step();
    assert.equal((await far.next()).command, CMD.DWR);
    assert.equal(peer.watchdog.state, 'OKAY');
    step();
    assert.equal(peer.watchdog.state, 'SUSPECT');
    assert.equal(peer.state, 'R-Open');
    step();
    await far.expectClose(1000);
    assert.equal(peer.watchdog.state, 'DOWN');
    await tick();
    assert.equal(peer.state, 'Closed');
    assert.deepEqual(wd, ['SUSPECT', 'DOWN']);
  });

  test('traffic in SUSPECT brings the peer back to OKAY (failback)', async () => {
    const { peer, far } = await openWithWatchdog();
    step();
    await far.next(); // DWR, left unanswered
    step();
    assert.equal(peer.watchdog.state, 'SUSPECT');
    const ans = await far.exchange(acr({ hbh: 1, e2e: 1 }));
    assert.equal(resultCode(ans), 2001);
    assert.equal(peer.watchdog.state, 'OKAY');
    far.destroy();
  });
});
