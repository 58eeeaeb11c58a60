/**
 * Behaviour rules (src/node/rules.ts) on a real CDF over TCP: every action — Result-Code, Experimental-Result,
 * delay, drop, close, DPR after the answer, Acct-Interim-Interval override, a second answer — seen from the
 * client side, and rules switched on and off through the engine API between two requests.
 * Rules are added with cdf.server.rules.add(), as a test or the admin API does; raw-byte checks use a
 * RawPeer whose messages are built by hand (test/helpers/raw-peer.ts), not by the encoder under test.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { DiameterError } from '../../src/codec/errors.js';
import type { Message } from '../../src/codec/types.js';
import { DiameterNode } from '../../src/node/node.js';
import { acr, dictionary, imsServiceInformation, type AcrSpec } from '../helpers/acr-builder.js';
import { TestCdf, resultCodeOf, waitFor } from '../helpers/cdf-server.js';
import {
  AVP,
  CMD,
  E,
  M,
  R,
  RawPeer,
  acr as rawAcr,
  answerTo,
  avp,
  cer,
  find,
  resultCode,
  u32Of,
} from '../helpers/raw-peer.js';

const SUBSCRIBER_PATH = 'Service-Information/Subscription-Id/Subscription-Id-Data';
const VENDOR_3GPP = 10415;
const EXPERIMENTAL_RESULT = 297;
const EXPERIMENTAL_RESULT_CODE = 298;
const ACCT_INTERIM_INTERVAL = 85;

let n = 0;
/** An IMS EVENT ACR for subscriber `msisdn` (E.164), each with its own Session-Id. */
function eventFor(msisdn: string): AcrSpec {
  n++;
  return {
    sessionId: `ctf.example.com;rules;${n}`,
    recordType: 'EVENT_RECORD',
    recordNumber: 0,
    serviceInformation: imsServiceInformation({
      subscription: { type: 'END_USER_E164', data: msisdn },
      icid: `icid-rules-${n}`,
    }),
  };
}

function startRecord(): AcrSpec {
  n++;
  return {
    sessionId: `ctf.example.com;rules;${n}`,
    recordType: 'START_RECORD',
    recordNumber: 0,
    serviceInformation: imsServiceInformation({ icid: `icid-rules-${n}` }),
  };
}

function avpsOf(m: Message, code: number, vendorId = 0) {
  return m.avps.filter((a) => a.code === code && a.vendorId === vendorId);
}

/** Connects a raw peer to a second listener of the CDF and completes the capabilities exchange. */
async function rawClient(cdf: TestCdf, originHost: string): Promise<RawPeer> {
  const addr = await cdf.server.listen({ host: '127.0.0.1', port: 0 });
  const raw = await RawPeer.connect(addr.port);
  const cea = await raw.exchange(cer({ originHost }));
  assert.equal(resultCode(cea), 2001);
  return raw;
}

/** A raw ACR EVENT carrying Service-Information/Subscription-Id for `msisdn`, built octet by octet. */
function rawEvent(originHost: string, hbh: number, msisdn: string): Buffer {
  const subscription = avp(443, Buffer.concat([avp(450, 0), avp(444, msisdn)])); // Subscription-Id {E164, Data}
  const si = avp(873, Buffer.concat([subscription]), { vendorId: VENDOR_3GPP, flags: M | 0x80 }); // Service-Information
  return rawAcr({
    sessionId: `${originHost};raw;${hbh}`,
    originHost,
    hbh,
    e2e: hbh,
    recordType: 1,
    recordNumber: 0,
    extra: [si],
  });
}

describe('behaviour rules over TCP', () => {
  let cdf: TestCdf;
  before(async () => {
    cdf = await TestCdf.start({ settings: { interimInterval: 600 } });
  });
  after(() => cdf.close());
  afterEach(() => cdf.server.rules.clear());

  test('Subscription-Id-Data = 46700000001 → 5030 for that subscriber only; others get 2001', async () => {
    const id = cdf.server.rules.add({
      id: 'unknown-subscriber',
      match: { command: 'ACR', avp: { [SUBSCRIBER_PATH]: '46700000001' } },
      action: { result: 5030 },
    });
    const rejected = eventFor('46700000001');
    const aca = await cdf.send(rejected);
    assert.equal(aca.flags & E, 0, 'a 5xxx ACA keeps the ACA grammar (E clear)');
    assert.equal(avpsOf(aca, 268)[0]?.value, 5030, 'Result-Code');
    // The answer is a well-formed ACA: record type and number of the ACR, Acct-Application-Id 3.
    assert.equal(avpsOf(aca, 480)[0]?.value, 1, 'Accounting-Record-Type EVENT_RECORD echoed');
    assert.equal(avpsOf(aca, 485)[0]?.value, 0, 'Accounting-Record-Number echoed');
    assert.equal(avpsOf(aca, 259)[0]?.value, 3, 'Acct-Application-Id');
    assert.equal(avpsOf(aca, 263)[0]?.value, rejected.sessionId, 'Session-Id');

    const other = eventFor('46700000002');
    assert.equal(resultCodeOf(await cdf.sendJson(other)), 2001);
    // The rule answered instead of the CDF: no CDR for the rejected event, one for the other.
    assert.equal((await cdf.cdrs(rejected.sessionId)).length, 0);
    assert.equal((await cdf.cdrs(other.sessionId)).length, 1);
    assert.equal(cdf.server.rules.get(id)?.hits, 1, 'the rule counted the one message it touched');
  });

  test('a rule added through the engine API takes effect on the next request and stops when removed', async () => {
    assert.equal(resultCodeOf(await cdf.sendJson(eventFor('46700000003'))), 2001);
    const id = cdf.server.rules.add({ match: { recordType: 'EVENT' }, action: { result: 4002 } });
    assert.equal(resultCodeOf(await cdf.sendJson(eventFor('46700000003'))), 4002);
    assert.equal(resultCodeOf(await cdf.sendJson(eventFor('46700000004'))), 4002);
    assert.deepEqual(
      cdf.server.rules.list().map((r) => [r.id, r.hits]),
      [[id, 2]],
    );
    assert.equal(cdf.server.rules.remove(id), true);
    assert.equal(resultCodeOf(await cdf.sendJson(eventFor('46700000003'))), 2001);
    assert.equal(cdf.server.rules.size, 0);
  });

  test('drop: no answer, the client times out; the request never reaches the CDF', async () => {
    cdf.server.rules.add({ id: 'drop', match: { command: 271 }, action: { drop: true } });
    const spec = eventFor('46700000005');
    const msg = acr(spec);
    await assert.rejects(cdf.peer.request(msg, { timeoutMs: 300 }), (e: unknown) => {
      assert.ok(e instanceof DiameterError);
      assert.equal(e.code, 'REQUEST_TIMEOUT');
      return true;
    });
    assert.equal(cdf.server.rules.get('drop')?.hits, 1);
    assert.equal((await cdf.cdrs(spec.sessionId)).length, 0);
    cdf.server.rules.remove('drop');
    // The connection is still up: the next request is answered normally.
    assert.equal(resultCodeOf(await cdf.sendJson(eventFor('46700000005'))), 2001);
  });

  test('delay: the answer comes no sooner than the delay, and is the normal answer', async () => {
    cdf.server.rules.add({ action: { delay: 0.4 } });
    const t0 = Date.now();
    const aca = await cdf.send(eventFor('46700000006'));
    const took = Date.now() - t0;
    assert.equal(avpsOf(aca, 268)[0]?.value, 2001);
    assert.ok(took >= 390, `answered after ${took} ms, expected >= 400`);
    cdf.server.rules.clear();
    const t1 = Date.now();
    await cdf.send(eventFor('46700000006'));
    assert.ok(Date.now() - t1 < 390, 'without the rule the answer is not delayed');
  });

  test('experimentalResult: Experimental-Result {Vendor-Id 10415, code} in place of Result-Code', async () => {
    cdf.server.rules.add({ action: { experimentalResult: { code: 5030 }, errorMessage: 'rule says no' } });
    const aca = await cdf.send(eventFor('46700000007'));
    assert.equal(avpsOf(aca, 268).length, 0, 'no Result-Code');
    const exp = avpsOf(aca, EXPERIMENTAL_RESULT)[0];
    assert.ok(exp?.avps, 'Experimental-Result is there, grouped');
    assert.equal(exp.avps.find((a) => a.code === 266)?.value, VENDOR_3GPP);
    assert.equal(exp.avps.find((a) => a.code === EXPERIMENTAL_RESULT_CODE)?.value, 5030);
    assert.equal(avpsOf(aca, 281)[0]?.value, 'rule says no', 'Error-Message');
  });

  test('interimInterval: the ACA carries the rule’s Acct-Interim-Interval instead of the CDF’s', async () => {
    const before = await cdf.send(startRecord());
    assert.deepEqual(
      avpsOf(before, ACCT_INTERIM_INTERVAL).map((a) => a.value),
      [600],
      'the CDF imposes 600 without the rule',
    );
    cdf.server.rules.add({
      match: { recordType: ['START_RECORD', 'INTERIM_RECORD'] },
      action: { interimInterval: 42 },
    });
    const spec = startRecord();
    const aca = await cdf.send(spec);
    assert.equal(avpsOf(aca, 268)[0]?.value, 2001, 'the CDF still processed the START');
    assert.deepEqual(
      avpsOf(aca, ACCT_INTERIM_INTERVAL).map((a) => a.value),
      [42],
    );
    assert.equal((await cdf.store.getSession({ sessionId: spec.sessionId }))?.state, 'open');
  });

  test('close: the connection is closed and the client sees its request fail', async () => {
    const ctf = new DiameterNode({
      dictionary: dictionary(),
      identity: { originHost: 'close.example.com', originRealm: 'example.com' },
      shutdownTimeoutMs: 500,
    });
    ctf.register({ id: 3, name: 'rf-client', kind: 'acct', commands: new Map() });
    try {
      const addr = await cdf.server.listen({ host: '127.0.0.1', port: 0 });
      const peer = await ctf.connect({ host: '127.0.0.1', port: addr.port }, { timeoutMs: 3000 });
      cdf.server.rules.add({
        match: { avp: { 'Origin-Host': 'close.example.com' } },
        action: { drop: true, close: true },
      });
      const msg = acr({ ...eventFor('46700000008'), originHost: 'close.example.com' });
      await assert.rejects(peer.request(msg, { timeoutMs: 3000 }), (e: unknown) => {
        assert.ok(e instanceof DiameterError);
        assert.equal(e.code, 'CONNECTION_CLOSED');
        return true;
      });
      await waitFor(() => peer.state === 'Closed', 'the client peer to close');
      // The rule matched by Origin-Host: the shared CTF connection is untouched.
      assert.equal(resultCodeOf(await cdf.sendJson(eventFor('46700000008'))), 2001);
    } finally {
      await ctf.stop();
    }
  });

  test('3xxx result: the E bit and the answer-message form (RFC 6733 §7.1.3)', async () => {
    cdf.server.rules.add({ action: { result: 3004 } });
    const raw = await rawClient(cdf, 'raw-3xxx.example.com');
    try {
      const ans = await raw.exchange(rawEvent('raw-3xxx.example.com', 0x1001, '46700000009'));
      assert.equal(ans.command, CMD.ACR);
      assert.equal(ans.flags & R, 0);
      assert.equal(ans.flags & E, E, 'E bit set');
      assert.equal(ans.hbh, 0x1001);
      assert.equal(resultCode(ans), 3004);
      assert.equal(find(ans, AVP.ACCOUNTING_RECORD_TYPE), undefined, 'answer-message grammar: no ACA AVPs');
    } finally {
      raw.destroy();
    }
  });

  test('answerTwice: the same answer arrives twice, same Hop-by-Hop Identifier, same octets', async () => {
    cdf.server.rules.add({
      match: { avp: { [SUBSCRIBER_PATH]: '46700000010' } },
      action: { answerTwice: true },
    });
    const raw = await rawClient(cdf, 'raw-twice.example.com');
    try {
      const first = await raw.exchange(rawEvent('raw-twice.example.com', 0x2001, '46700000010'));
      const second = await raw.next(1000);
      assert.equal(resultCode(first), 2001);
      assert.equal(first.hbh, 0x2001);
      assert.deepEqual(second.bytes, first.bytes);
      // Another subscriber: one answer only.
      const other = await raw.exchange(rawEvent('raw-twice.example.com', 0x2002, '46700000011'));
      assert.equal(other.hbh, 0x2002);
      assert.equal(await raw.staysOpen(200), true);
      assert.equal(raw.queued, 0, 'no second answer for a request the rule does not match');
    } finally {
      raw.destroy();
    }
  });

  test('answerTwice after N seconds: the copy follows later', async () => {
    cdf.server.rules.add({ action: { answerTwice: { after: 0.3 } } });
    const raw = await rawClient(cdf, 'raw-twice-later.example.com');
    try {
      const first = await raw.exchange(rawEvent('raw-twice-later.example.com', 0x2101, '46700000012'));
      const t0 = Date.now();
      const second = await raw.next(2000);
      assert.ok(Date.now() - t0 >= 250, 'the second copy waited');
      assert.deepEqual(second.bytes, first.bytes);
    } finally {
      raw.destroy();
    }
  });

  test('dpr: the answer, then DPR with the chosen Disconnect-Cause; the DPA closes the connection', async () => {
    cdf.server.rules.add({ id: 'goodbye', action: { dpr: { cause: 'BUSY' } } });
    const raw = await rawClient(cdf, 'raw-dpr.example.com');
    try {
      const ans = await raw.exchange(rawEvent('raw-dpr.example.com', 0x3001, '46700000013'));
      assert.equal(ans.command, CMD.ACR);
      assert.equal(resultCode(ans), 2001, 'answered first');
      const dprMsg = await raw.next(2000);
      assert.equal(dprMsg.command, CMD.DPR);
      assert.equal(dprMsg.flags & R, R);
      assert.equal(u32Of(dprMsg, AVP.DISCONNECT_CAUSE), 1, 'BUSY');
      raw.send(answerTo(dprMsg, 'raw-dpr.example.com'));
      await raw.expectClose(3000);
      assert.equal(cdf.server.rules.get('goodbye')?.hits, 1);
    } finally {
      raw.destroy();
    }
  });

  test('limit: the rule takes N requests, then stops matching', async () => {
    cdf.server.rules.add({ id: 'twice-only', limit: 2, action: { result: 5012 } });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push(resultCodeOf(await cdf.sendJson(eventFor('46700000014'))));
    assert.deepEqual(codes, [5012, 5012, 2001]);
    const info = cdf.server.rules.get('twice-only')!;
    assert.equal(info.hits, 2);
    assert.equal(info.exhausted, true);
  });

  test('the first matching rule decides', async () => {
    cdf.server.rules.add({ id: 'general', match: { command: 'ACR' }, action: { result: 5012 } });
    cdf.server.rules.add(
      { id: 'specific', match: { avp: { [SUBSCRIBER_PATH]: '46700000015' } }, action: { result: 5030 } },
      { at: 0 },
    );
    assert.equal(resultCodeOf(await cdf.sendJson(eventFor('46700000015'))), 5030);
    assert.equal(resultCodeOf(await cdf.sendJson(eventFor('46700000016'))), 5012);
    assert.deepEqual(
      cdf.server.rules.list().map((r) => [r.id, r.position, r.hits]),
      [
        ['specific', 0, 1],
        ['general', 1, 1],
      ],
    );
  });

  test('a Grouped Subscription-Id: the value at the path is compared as text', async () => {
    // Subscription-Id occurs with another subscriber too: any occurrence matches.
    const spec = eventFor('46700000017');
    spec.serviceInformation = [
      {
        'Subscription-Id': [
          { 'Subscription-Id-Type': 'END_USER_IMSI' },
          { 'Subscription-Id-Data': '001010000000001' },
        ],
      },
      ...spec.serviceInformation!,
    ];
    cdf.server.rules.add({
      match: { avp: { [SUBSCRIBER_PATH]: ['46700000099', 46700000017] } },
      action: { result: 5030 },
    });
    assert.equal(resultCodeOf(await cdf.sendJson(spec)), 5030);
  });
});
