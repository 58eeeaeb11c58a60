/**
 * The per-message metrics without sockets: frames published on the library's diagnostics channels (the
 * byte-exact vectors 05 ACR and 06 ACA) are counted per peer, timed request → answer, held back until the
 * connection's peer is known (a CER arrives before the peer exists), and folded into "other" past the
 * series limit. PendingRing keeps many outstanding requests apart.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AdminMetrics, PendingRing } from '../../src/admin/metrics.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { channels } from '../../src/peer/diagnostics.js';
import type { Peer } from '../../src/peer/peer.js';
import { parsePrometheusText, sampleValue, samplesMatching } from './prom-text.js';
import { loadVector } from '../helpers/vectors.js';

const ACR = Buffer.from(loadVector('05-acr-start').bytes);
const ACA = Buffer.from(loadVector('06-aca-start').bytes);
const CER = Buffer.from(loadVector('01-cer').bytes);
const dict = builtinDictionary();

/** A copy of `frame` with another Hop-by-Hop id. */
function withHbh(frame: Buffer, hbh: number): Buffer {
  const b = Buffer.from(frame);
  b.writeUInt32BE(hbh >>> 0, 12);
  return b;
}

/** A copy of an answer with another Result-Code (the first Result-Code AVP's value). */
function withResult(frame: Buffer, rc: number): Buffer {
  const b = Buffer.from(frame);
  const at = b.indexOf(Buffer.from('0000010c4000000c', 'hex'));
  assert.ok(at > 0);
  b.writeUInt32BE(rc, at + 8);
  return b;
}

function fakePeer(originHost: string, rConn: object): Peer {
  return {
    originHost,
    rConn,
    iConn: undefined,
    state: 'R-Open',
    watchdog: { state: 'OKAY' },
  } as unknown as Peer;
}

const rx = (connection: object, bytes: Buffer) => channels.messageReceived.publish({ connection, bytes });
const tx = (connection: object, bytes: Buffer) => channels.messageSent.publish({ connection, bytes });

async function scrape(m: AdminMetrics) {
  return parsePrometheusText(await m.text());
}

describe('per-message metrics', () => {
  test('counts by command, peer and Result-Code, and times each answer against its request', async () => {
    const m = new AdminMetrics({ dictionary: dict, processMetrics: false });
    try {
      const a = {};
      const b = {};
      m.watchNode({
        peers: new Map([
          ['a', fakePeer('a.example.com', a)],
          ['b', fakePeer('b.example.com', b)],
        ]),
      });
      for (let i = 0; i < 7; i++) rx(a, withHbh(ACR, 100 + i));
      for (let i = 0; i < 5; i++) tx(a, withHbh(ACA, 100 + i));
      tx(a, withResult(withHbh(ACA, 105), 4002));
      rx(b, withHbh(ACR, 100)); // same Hop-by-Hop id on another connection: its own request
      tx(b, withHbh(ACA, 100));
      tx(b, withHbh(ACA, 999)); // an answer to nothing pending: counted, not timed
      const s = await scrape(m);
      const l = (peer: string, command: string, result_code: string) => ({
        command,
        application: '3',
        peer,
        result_code,
      });
      assert.equal(sampleValue(s, 'diamkit_messages_received_total', l('a.example.com', 'ACR', '')), 7);
      assert.equal(sampleValue(s, 'diamkit_messages_sent_total', l('a.example.com', 'ACA', '2001')), 5);
      assert.equal(sampleValue(s, 'diamkit_messages_sent_total', l('a.example.com', 'ACA', '4002')), 1);
      assert.equal(sampleValue(s, 'diamkit_messages_received_total', l('b.example.com', 'ACR', '')), 1);
      assert.equal(sampleValue(s, 'diamkit_messages_sent_total', l('b.example.com', 'ACA', '2001')), 2);
      const lat = (peer: string) => ({ command: 'ACR', application: '3', peer, role: 'server' });
      assert.equal(
        sampleValue(s, 'diamkit_answer_latency_seconds_count', lat('a.example.com')),
        6,
        'one answer still outstanding',
      );
      assert.equal(sampleValue(s, 'diamkit_answer_latency_seconds_count', lat('b.example.com')), 1);
      const t = m.totals();
      assert.equal(t.received, 8);
      assert.equal(t.sent, 8);
      assert.equal(t.answersSent.get(2001), 7);
      assert.equal(t.answersSent.get(4002), 1);
    } finally {
      m.close();
    }
  });

  test('client role: requests we send, answers we receive', async () => {
    const m = new AdminMetrics({ dictionary: dict, processMetrics: false });
    try {
      const c = {};
      m.watchNode({ peers: new Map([['cdf', fakePeer('cdf.example.net', c)]]) });
      tx(c, withHbh(ACR, 1));
      rx(c, withHbh(ACA, 1));
      const s = await scrape(m);
      assert.equal(
        sampleValue(s, 'diamkit_answer_latency_seconds_count', {
          command: 'ACR',
          application: '3',
          peer: 'cdf.example.net',
          role: 'client',
        }),
        1,
      );
      assert.equal(
        sampleValue(s, 'diamkit_messages_received_total', {
          command: 'ACA',
          application: '3',
          peer: 'cdf.example.net',
          result_code: '2001',
        }),
        1,
      );
    } finally {
      m.close();
    }
  });

  test('messages before the peer is known are counted once it is (the CER of an inbound connection)', async () => {
    const m = new AdminMetrics({ dictionary: dict, processMetrics: false });
    try {
      const conn = {};
      const peers = new Map<string, Peer>();
      m.watchNode({ peers });
      rx(conn, CER);
      rx(conn, withHbh(ACR, 5));
      assert.equal(m.totals().received, 0, 'held back: no peer owns the connection yet');
      const p = fakePeer('late.example.com', conn);
      // The node binds the connection to the peer and its state machine moves (diamkit:peer:state).
      channels.peerState.publish({ peer: p, from: 'Closed', to: 'R-Open' });
      assert.equal(m.totals().received, 2);
      const s = await scrape(m);
      assert.equal(
        sampleValue(s, 'diamkit_messages_received_total', {
          command: 'CER',
          application: '0',
          peer: 'late.example.com',
          result_code: '',
        }),
        1,
      );
      assert.equal(
        sampleValue(s, 'diamkit_peer_transitions_total', {
          peer: 'late.example.com',
          from: 'Closed',
          to: 'R-Open',
        }),
        1,
      );
    } finally {
      m.close();
    }
  });

  test('Result-Codes past the series limit fold into "other" instead of growing the scrape', async () => {
    const m = new AdminMetrics({ dictionary: dict, processMetrics: false });
    try {
      const c = {};
      m.watchNode({ peers: new Map([['x', fakePeer('x.example.com', c)]]) });
      const N = 6000;
      for (let i = 0; i < N; i++) tx(c, withResult(withHbh(ACA, i), 10_000 + i));
      const s = await scrape(m);
      const series = samplesMatching(s, 'diamkit_messages_sent_total');
      assert.ok(series.length <= 5001, `${series.length} series`);
      assert.equal(
        series.reduce((a, x) => a + x.value, 0),
        N,
        'nothing lost',
      );
      assert.ok(
        (sampleValue(s, 'diamkit_messages_sent_total', {
          command: 'other',
          application: 'other',
          peer: 'other',
          result_code: 'other',
        }) ?? 0) > 0,
      );
    } finally {
      m.close();
    }
  });

  test('close() unsubscribes: later messages are not counted', () => {
    const m = new AdminMetrics({ dictionary: dict, processMetrics: false });
    const c = {};
    m.watchNode({ peers: new Map([['x', fakePeer('x.example.com', c)]]) });
    rx(c, ACR);
    m.close();
    rx(c, ACR);
    assert.equal(m.totals().received, 1);
  });
});

describe('PendingRing', () => {
  test('keeps thousands of outstanding sequential ids apart by growing', () => {
    const r = new PendingRing(16);
    const base = 0xfffff000; // wraps past 2^32
    for (let i = 0; i < 3000; i++) r.put((base + i) >>> 0, 1000 + i);
    assert.ok(r.size >= 4096);
    for (let i = 2999; i >= 0; i--) assert.equal(r.take((base + i) >>> 0), 1000 + i);
    assert.equal(r.take(base), -1, 'taken once');
  });

  test('an id never put, or put on another slot owner, is -1; a stale slot is reused without growing', () => {
    const r = new PendingRing(16);
    r.put(1, 5);
    assert.equal(r.take(17), -1);
    // 17 lands on 1's slot; 1 is over a minute old (never answered), so it is replaced.
    r.put(17, 5 + 61_000);
    assert.equal(r.size, 16);
    assert.equal(r.take(1), -1);
    assert.equal(r.take(17), 5 + 61_000);
  });
});
