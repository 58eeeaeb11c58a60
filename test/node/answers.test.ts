/**
 * The answer every application request gets from a DiameterNode (base-protocol.md §9, RFC 6733 §6.2 and
 * §7), checked in the §9.5 order: header bits, command and application, routing, AVP layout, grammar, then
 * the handler; duplicate detection (§14.3); Session-Id and Proxy-Info echoed. Requests are hand-built
 * octets (raw-peer.ts) or the Erlang-made vectors; answers are read with raw-peer's own parser.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Message } from '../../src/codec/types.js';
import { buildAnswer } from '../../src/node/answers.js';
import { loadVector, loadVectorTables } from '../helpers/vectors.js';
import {
  AVP,
  CMD,
  E,
  P,
  R,
  T,
  acr,
  avp,
  children,
  find,
  findAll,
  grouped,
  message,
  resultCode,
  strOf,
  u32Of,
  type RawMessage,
} from '../helpers/raw-peer.js';
import { attach, openClient, sleep, testNode } from './fixture.js';

const tables = loadVectorTables();
/** Top-level AVP (code, flags) pairs of a vector, from test-vectors.md. */
const layout = (name: string) =>
  tables
    .get(name)!
    .avps.filter((r) => r.depth === 0)
    .map((r) => [r.code, r.flags]);
const shape = (m: RawMessage) => m.avps.map((a) => [a.code, a.flags]);

/** Vector 09's scenario: a CCR (272) sent with Application-Id 3 to the CDF. */
const ccr = (hbh = 0x4a5b0005, e2e = 0x7f000005) =>
  message({ flags: R | P, command: CMD.CCR, appId: 3, hbh, e2e }, [
    avp(AVP.SESSION_ID, 'ctf.example.com;1700000000;2'),
    avp(AVP.ORIGIN_HOST, 'ctf.example.com'),
    avp(AVP.ORIGIN_REALM, 'example.com'),
    avp(AVP.DESTINATION_REALM, 'example.net'),
    avp(AVP.AUTH_APPLICATION_ID, 4),
  ]);

const proxyInfo = (host: string, state: string) =>
  grouped(AVP.PROXY_INFO, [avp(AVP.PROXY_HOST, host), avp(AVP.PROXY_STATE, state)]);

/** `again` is `first` octet for octet, but for its Hop-by-Hop id (octets 12–15), which is `hbh`. */
function assertSameAnswerOtherHbh(again: { bytes: Buffer }, first: { bytes: Buffer }, hbh: number): void {
  const expected = Buffer.from(first.bytes);
  expected.writeUInt32BE(hbh, 12);
  assert.equal(again.bytes.toString('hex'), expected.toString('hex'));
}

describe('application requests (base-protocol.md §9.5)', () => {
  test('an ACR is handed to the application and its ACA 2001 goes back with the request ids and P bit', async () => {
    const { node, calls } = testNode();
    const c = await openClient(node);
    const aca = await c.exchange(acr({ hbh: 0x101, e2e: 0x202 }));
    assert.equal(calls.length, 1);
    assert.equal(aca.flags, P, 'R and E clear, P copied');
    assert.equal(aca.command, 271);
    assert.equal(aca.appId, 3);
    assert.equal(aca.hbh, 0x101);
    assert.equal(aca.e2e, 0x202);
    assert.equal(resultCode(aca), 2001);
    assert.equal(aca.avps[0]!.code, AVP.SESSION_ID, 'Session-Id first');
    assert.equal(strOf(aca, AVP.SESSION_ID), 'ctf.example.com;1700000000;1');
    assert.equal(u32Of(aca, AVP.ACCOUNTING_RECORD_TYPE), 2);
    c.destroy();
  });

  test('vector 05 (an IMS ACR START with 3GPP AVPs) passes validation and reaches the handler', async () => {
    const { node, calls } = testNode();
    const c = await openClient(node);
    const v = loadVector('05-acr-start');
    const aca = await c.exchange(Buffer.from(v.bytes));
    assert.equal(resultCode(aca), 2001);
    assert.equal(calls.length, 1);
    assert.equal(aca.hbh, tables.get('05-acr-start')!.hopByHop);
    c.destroy();
  });

  test('unknown command on application 3: 5012 with the E bit, answer-message layout of vector 12', async () => {
    const { node, calls } = testNode();
    const c = await openClient(node);
    const ans = await c.exchange(ccr());
    assert.equal(ans.flags, P | E);
    assert.equal(ans.command, 272);
    assert.equal(ans.appId, 3);
    assert.equal(resultCode(ans), 5012);
    assert.equal(strOf(ans, AVP.ERROR_MESSAGE), 'command 272 not supported on application 3');
    // Session-Id, Origin-Host, Origin-Realm, Result-Code, Error-Message: vector 12 without its Failed-AVP.
    assert.deepEqual(
      shape(ans),
      layout('12-error-5012-ebit-failed-avp').filter(([code]) => code !== AVP.FAILED_AVP),
    );
    assert.equal(calls.length, 0);
    c.destroy();
  });

  test('with unsupportedCommand 3001 the answer is exactly vector 09', async () => {
    const { node } = testNode({ unsupportedCommand: 3001 });
    const c = await openClient(node);
    const ans = await c.exchange(ccr());
    assert.equal(ans.bytes.toString('hex'), loadVector('09-error-3001-ebit').hex);
    c.destroy();
  });

  test('unknown application: 3007 with the E bit', async () => {
    const { node } = testNode();
    const c = await openClient(node);
    const ans = await c.exchange(acr({ hbh: 1, e2e: 1, appId: 16777255 }));
    assert.equal(resultCode(ans), 3007);
    assert.equal(ans.flags, P | E);
    assert.equal(ans.appId, 16777255);
    assert.deepEqual(shape(ans), layout('09-error-3001-ebit'));
    c.destroy();
  });

  test('E bit on a request: 3008 with the E bit, the handler is not called', async () => {
    const { node, calls } = testNode();
    const c = await openClient(node);
    const ans = await c.exchange(acr({ hbh: 2, e2e: 2, flags: R | P | E }));
    assert.equal(resultCode(ans), 3008);
    assert.equal(ans.flags, P | E, 'the answer has R clear, E set, P copied');
    assert.equal(calls.length, 0);
    c.destroy();
  });

  test('Destination-Realm not in realms: 3003 with the E bit; a served realm (any case) is answered', async () => {
    const { node, calls } = testNode({ realms: ['example.net'] });
    const c = await openClient(node);
    const ans = await c.exchange(acr({ hbh: 3, e2e: 3, destinationRealm: 'elsewhere.example' }));
    assert.equal(resultCode(ans), 3003);
    assert.equal(ans.flags & E, E);
    assert.equal(calls.length, 0);
    assert.equal(
      resultCode(await c.exchange(acr({ hbh: 4, e2e: 4, destinationRealm: 'EXAMPLE.net' }))),
      2001,
    );
    c.destroy();
  });

  test('Destination-Host naming another node: 3002 with the E bit', async () => {
    const { node } = testNode();
    const c = await openClient(node);
    const ans = await c.exchange(
      acr({ hbh: 5, e2e: 5, extra: [avp(AVP.DESTINATION_HOST, 'other.example.net')] }),
    );
    assert.equal(resultCode(ans), 3002);
    assert.equal(ans.flags & E, E);
    c.destroy();
  });

  test('missing required AVP: 5005, Failed-AVP holds an example of it (as vector 10 does)', async () => {
    const { node, calls } = testNode();
    const c = await openClient(node);
    const ans = await c.exchange(acr({ hbh: 6, e2e: 6, omit: [AVP.ACCOUNTING_RECORD_NUMBER] }));
    assert.equal(resultCode(ans), 5005);
    const failed = find(ans, AVP.FAILED_AVP);
    assert.ok(failed, 'Failed-AVP present');
    // Vector 10: Failed-AVP { Accounting-Record-Number, M, four zero octets }.
    const v10 = Buffer.from(loadVector('10-aca-5005-failed-avp').bytes);
    const row = tables.get('10-aca-5005-failed-avp')!.avps.find((r) => r.depth === 1)!;
    assert.equal(failed.data.toString('hex'), v10.subarray(row.offset, row.offset + 12).toString('hex'));
    assert.equal(calls.length, 0);
    c.destroy();
  });

  test('an application’s errorAnswer builds the 5xxx answer in the command’s own form (E clear)', async () => {
    const { node } = testNode();
    const app = node.registry.application(3)!;
    app.errorAnswer = (req: Message, err, identity) =>
      buildAnswer(req, identity, err.resultCode, {
        failedAvp: err.failedAvp,
        errorMessage: 'from the application',
      });
    const c = await openClient(node);
    const ans = await c.exchange(acr({ hbh: 7, e2e: 7, omit: [AVP.ACCOUNTING_RECORD_NUMBER] }));
    assert.equal(resultCode(ans), 5005);
    assert.equal(ans.flags, P);
    assert.equal(strOf(ans, AVP.ERROR_MESSAGE), 'from the application');
    c.destroy();
  });

  test('unknown AVP with the M bit: 5001 with that AVP, as received, in Failed-AVP', async () => {
    const { node, calls } = testNode();
    const c = await openClient(node);
    const unknown = avp(0x00fedcba, 'mystery', { flags: 0x40 });
    const ans = await c.exchange(acr({ hbh: 8, e2e: 8, extra: [unknown] }));
    assert.equal(resultCode(ans), 5001);
    const inner = children(find(ans, AVP.FAILED_AVP)!);
    assert.equal(inner.length, 1);
    assert.equal(Buffer.concat([inner[0]!.data]).toString(), 'mystery');
    assert.equal(inner[0]!.code, 0x00fedcba);
    assert.equal(inner[0]!.flags, 0x40);
    assert.equal(calls.length, 0);
    // Without the M bit the same AVP is ignored (RFC 6733 §4.1).
    const ok = await c.exchange(acr({ hbh: 9, e2e: 9, extra: [avp(0x00fedcba, 'mystery', { flags: 0 })] }));
    assert.equal(resultCode(ok), 2001);
    c.destroy();
  });

  test('allowUnknownMandatory (the CDF lenient mode): an unknown M-bit AVP reaches the application as it came', async () => {
    const { node, calls } = testNode({ allowUnknownMandatory: true });
    const c = await openClient(node);
    const unknown = avp(0x00fedcba, 'mystery', { flags: 0xc0, vendorId: 99999 });
    const ans = await c.exchange(acr({ hbh: 8, e2e: 8, extra: [unknown] }));
    assert.equal(resultCode(ans), 2001);
    assert.equal(calls.length, 1);
    const got = calls[0]!.avps.find((a) => a.code === 0x00fedcba);
    assert.equal(got?.vendorId, 99999);
    assert.equal(Buffer.from(got!.data!).toString(), 'mystery');
    // Everything else is still checked: a missing Accounting-Record-Number is 5005.
    const missing = await c.exchange(acr({ hbh: 10, e2e: 10, omit: [AVP.ACCOUNTING_RECORD_NUMBER], extra: [unknown] }));
    assert.equal(resultCode(missing), 5005);
    c.destroy();
  });
});

describe('malformed requests', () => {
  test('AVP length below 8: 5014 with Failed-AVP, Session-Id echoed; the connection stays usable', async () => {
    const { node, calls } = testNode();
    const c = await openClient(node);
    // User-Name (1) with AVP Length 4: shorter than its own header.
    const short = Buffer.from('0000000140000004', 'hex');
    const ans = await c.exchange(acr({ hbh: 10, e2e: 10, extra: [short] }));
    assert.equal(resultCode(ans), 5014);
    assert.equal(ans.hbh, 10);
    assert.equal(strOf(ans, AVP.SESSION_ID), 'ctf.example.com;1700000000;1');
    const failed = children(find(ans, AVP.FAILED_AVP)!);
    assert.equal(failed[0]!.code, 1);
    assert.equal(calls.length, 0);
    const next = await c.exchange(acr({ hbh: 11, e2e: 11 }));
    assert.equal(resultCode(next), 2001);
    assert.equal(calls.length, 1);
    c.destroy();
  });

  test('an AVP overrunning the message: 5014; the next request on the connection is answered', async () => {
    const { node } = testNode();
    const c = await openClient(node);
    // Accounting-Realtime-Required (483) claiming 100 octets where 12 remain; the Message Length is right.
    const overrun = Buffer.from('000001e34000006400000002', 'hex');
    const ans = await c.exchange(acr({ hbh: 12, e2e: 12, extra: [overrun] }));
    assert.equal(resultCode(ans), 5014);
    const failed = children(find(ans, AVP.FAILED_AVP)!);
    assert.equal(failed[0]!.code, 483);
    assert.equal(resultCode(await c.exchange(acr({ hbh: 13, e2e: 13 }))), 2001);
    c.destroy();
  });

  for (const [what, bytes] of [
    ['version 2', acr({ hbh: 14, e2e: 14 }).fill(2, 0, 1)],
    ['Message Length 12', message({ flags: R, command: 271, appId: 3, hbh: 15, e2e: 15, length: 12 }, [])],
    [
      'Message Length not a multiple of 4',
      message({ flags: R, command: 271, appId: 3, hbh: 16, e2e: 16, length: 42 }, [Buffer.alloc(24)]),
    ],
  ] as const) {
    test(`lost framing (${what}): the connection is closed unanswered, a new connection works`, async () => {
      const { node } = testNode();
      const c = await openClient(node);
      c.send(bytes);
      await c.expectClose(2000);
      assert.equal(c.received.length, 1, 'nothing but the CEA');
      const again = await openClient(node);
      assert.equal(resultCode(await again.exchange(acr({ hbh: 17, e2e: 17 }))), 2001);
      again.destroy();
    });
  }
});

describe('duplicate detection (RFC 6733 §6.1.1, base-protocol.md §14.3)', () => {
  test('a T-flagged retransmission gets the same answer with its own Hop-by-Hop id; the handler runs once', async () => {
    const { node, calls } = testNode();
    const c = await openClient(node);
    const first = await c.exchange(acr({ hbh: 0x1000, e2e: 0xe2e0001 }));
    const again = await c.exchange(acr({ hbh: 0x2000, e2e: 0xe2e0001, flags: R | P | T }));
    assert.equal(calls.length, 1);
    assert.equal(again.hbh, 0x2000);
    assert.equal(again.e2e, 0xe2e0001);
    assertSameAnswerOtherHbh(again, first, 0x2000);
    c.destroy();
  });

  test('the duplicate key is (Origin-Host, End-to-End): another Origin-Host or End-to-End id is processed', async () => {
    const { node, calls } = testNode();
    const c = await openClient(node);
    await c.exchange(acr({ hbh: 1, e2e: 0x77 }));
    await c.exchange(acr({ hbh: 2, e2e: 0x78, flags: R | P | T }));
    await c.exchange(acr({ hbh: 3, e2e: 0x77, flags: R | P | T, originHost: 'other-ctf.example.com' }));
    assert.equal(calls.length, 3);
    // And without the T flag a repeated End-to-End id is not looked up: the RFC leaves it to T.
    await c.exchange(acr({ hbh: 4, e2e: 0x77 }));
    assert.equal(calls.length, 4);
    c.destroy();
  });

  test('a T-flagged copy arriving while the original is in progress waits for the original’s answer', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const { node, calls } = testNode({}, async (req, ctx) => {
      await gate;
      return buildAnswer(req, ctx.identity, 2001, {
        avps: req.avps.filter(
          (a) => a.code === AVP.ACCOUNTING_RECORD_TYPE || a.code === AVP.ACCOUNTING_RECORD_NUMBER,
        ),
      });
    });
    const c = await openClient(node);
    c.send(acr({ hbh: 0x31, e2e: 0x99 }));
    c.send(acr({ hbh: 0x32, e2e: 0x99, flags: R | P | T }));
    await sleep(30);
    assert.equal(c.queued, 0, 'nothing answered before the handler finished');
    release();
    const a = await c.next();
    const b = await c.next();
    assert.deepEqual([a.hbh, b.hbh].sort(), [0x31, 0x32]);
    assert.equal(resultCode(a), 2001);
    assert.equal(a.bytes.subarray(20).toString('hex'), b.bytes.subarray(20).toString('hex'));
    assert.equal(calls.length, 1);
    c.destroy();
  });
});

describe('duplicate detection of answers given later (RFC 6733 §6.1)', () => {
  test('once a promised answer is sent, a T-flagged retransmission (Origin-Host in any case) gets its octets', async () => {
    const { node, calls } = testNode({}, async (req, ctx) => {
      await sleep(1);
      return buildAnswer(req, ctx.identity, 2001, {
        avps: req.avps.filter((a) => a.code === AVP.ACCOUNTING_RECORD_NUMBER),
      });
    });
    const c = await openClient(node);
    const first = await c.exchange(acr({ hbh: 0x51, e2e: 0xfffffff1 }));
    const again = await c.exchange(acr({ hbh: 0x52, e2e: 0xfffffff1, flags: R | P | T, originHost: 'CTF.Example.COM' }));
    assert.equal(calls.length, 1, 'the handler ran once');
    assert.equal(again.hbh, 0x52);
    assertSameAnswerOtherHbh(again, first, 0x52);
    c.destroy();
  });

  test('a promised answer that cannot be encoded is answered 5012, and the node goes on', async () => {
    let broken = true;
    const { node } = testNode({}, async (req, ctx) => {
      const a = buildAnswer(req, ctx.identity, 2001);
      if (broken) a.avps.push({ code: AVP.ACCOUNTING_RECORD_NUMBER, flags: 0x40, vendorId: 0, type: 'Unsigned32', value: -1 });
      return a;
    });
    const c = await openClient(node);
    const bad = await c.exchange(acr({ hbh: 0x61, e2e: 0x61 }));
    assert.equal(resultCode(bad), 5012);
    assert.equal(bad.hbh, 0x61);
    broken = false;
    assert.equal(resultCode(await c.exchange(acr({ hbh: 0x62, e2e: 0x62 }))), 2001);
    // The retransmission of the failed request gets the same 5012.
    const again = await c.exchange(acr({ hbh: 0x63, e2e: 0x61, flags: R | P | T }));
    assert.equal(resultCode(again), 5012);
    c.destroy();
  });
});

describe('echoed AVPs (RFC 6733 §6.2)', () => {
  test('Session-Id first and every Proxy-Info, in order, in the application’s answer and in error answers', async () => {
    const { node } = testNode();
    const c = await openClient(node);
    const pis = [proxyInfo('proxy-a.example.com', 'state-one'), proxyInfo('proxy-b.example.com', 'two')];
    const ok = await c.exchange(acr({ hbh: 21, e2e: 21, extra: pis }));
    const err = await c.exchange(
      message({ flags: R | P, command: CMD.CCR, appId: 3, hbh: 22, e2e: 22 }, [
        avp(AVP.SESSION_ID, 'ctf.example.com;9;9'),
        avp(AVP.ORIGIN_HOST, 'ctf.example.com'),
        avp(AVP.ORIGIN_REALM, 'example.com'),
        ...pis,
      ]),
    );
    const bad = await c.exchange(
      acr({ hbh: 23, e2e: 23, extra: [...pis, Buffer.from('0000000140000004', 'hex')] }),
    );
    for (const [ans, rc, sid] of [
      [ok, 2001, 'ctf.example.com;1700000000;1'],
      [err, 5012, 'ctf.example.com;9;9'],
      [bad, 5014, 'ctf.example.com;1700000000;1'],
    ] as const) {
      assert.equal(resultCode(ans), rc);
      assert.equal(ans.avps[0]!.code, AVP.SESSION_ID);
      assert.equal(strOf(ans, AVP.SESSION_ID), sid);
      const got = findAll(ans, AVP.PROXY_INFO).map((a) =>
        ans.bytes.subarray(a.offset, a.offset + ((a.length + 3) & ~3)).toString('hex'),
      );
      assert.deepEqual(
        got,
        pis.map((b) => b.toString('hex')),
        `Proxy-Info in the ${rc} answer`,
      );
    }
    c.destroy();
  });

  test('a request without Session-Id gets an answer without one', async () => {
    const { node } = testNode();
    const c = await openClient(node);
    const ans = await c.exchange(acr({ hbh: 24, e2e: 24, omit: [AVP.SESSION_ID] }));
    assert.equal(find(ans, AVP.SESSION_ID), undefined);
    assert.equal(resultCode(ans), 5005);
    c.destroy();
  });
});

test('nothing but CER/CEA before the capabilities exchange, even a well-formed ACR on a fresh connection', async () => {
  const { node, calls } = testNode();
  const c = attach(node);
  c.send(acr({ hbh: 1, e2e: 1 }));
  await c.expectClose(2000);
  assert.equal(calls.length, 0);
});
