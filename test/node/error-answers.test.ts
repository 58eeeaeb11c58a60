/**
 * `diamkit:answer:error` (src/node/error-answers.ts): every answer the node sends to a request with a
 * Result-Code outside 2xxx is one event — the E-bit answers (3008, 3007, 3003, 3002, 5012 for an unserved
 * command), grammar errors in the application's own answer (5005), answers to requests that did not decode
 * (5014), a handler's failure (5012), a rule's injected error (with the rule's id), a refused CER — with
 * the request, the answer as sent, the error and the peer. A 2001 answer, also one replayed for a
 * retransmission, publishes nothing. What the client receives is read with raw-peer's own parser.
 */
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { DiameterError } from '../../src/codec/errors.js';
import { answerResultCode, type ErrorAnswerEvent } from '../../src/node/error-answers.js';
import {
  AVP,
  CMD,
  E,
  P,
  R,
  T,
  acr,
  avp,
  cer,
  message,
  resultCode,
  type RawMessage,
} from '../helpers/raw-peer.js';
import { attach, openClient, testNode } from './fixture.js';

let events: ErrorAnswerEvent[] = [];
const onEvent = (m: unknown) => events.push(m as ErrorAnswerEvent);
beforeEach(() => {
  events = [];
  diagnostics_channel.subscribe('diamkit:answer:error', onEvent);
});
afterEach(() => diagnostics_channel.unsubscribe('diamkit:answer:error', onEvent));

/** The one event there must be for `ans`: same ids, same Result-Code as the octets the client got. */
function eventFor(ans: RawMessage): ErrorAnswerEvent {
  const mine = events.filter(
    (e) => e.request.hopByHopId === ans.hbh && e.request.commandCode === ans.command,
  );
  assert.equal(mine.length, 1, `one event for the answer with Hop-by-Hop ${ans.hbh}`);
  const e = mine[0]!;
  assert.equal(e.resultCode, resultCode(ans), 'the event names the Result-Code sent');
  assert.equal(answerResultCode(e.answer), resultCode(ans), 'the event carries the answer sent');
  assert.equal(e.answer.hopByHopId, ans.hbh);
  return e;
}

const other = (command: number, appId: number, hbh: number, extra: Buffer[] = [], flags = R | P) =>
  message({ flags, command, appId, hbh, e2e: hbh }, [
    avp(AVP.SESSION_ID, `ctf.example.com;1;${hbh}`),
    avp(AVP.ORIGIN_HOST, 'ctf.example.com'),
    avp(AVP.ORIGIN_REALM, 'example.com'),
    avp(AVP.DESTINATION_REALM, 'example.net'),
    ...extra,
  ]);

describe('error-answer events', () => {
  test('2001 answers, also a replay for a T-flagged retransmission, publish nothing', async () => {
    const { node } = testNode();
    const c = await openClient(node);
    assert.equal(resultCode(await c.exchange(acr({ hbh: 1, e2e: 1 }))), 2001);
    assert.equal(resultCode(await c.exchange(acr({ hbh: 2, e2e: 1, flags: R | P | T }))), 2001);
    assert.deepEqual(events, []);
    c.destroy();
  });

  test('E-bit answers: E set on a request, an unserved application, an unserved command', async () => {
    const { node } = testNode();
    const c = await openClient(node);
    const e3008 = eventFor(await c.exchange(acr({ hbh: 3, e2e: 3, flags: R | P | E })));
    assert.equal(e3008.resultCode, 3008);
    assert.equal(e3008.peer?.originHost, 'ctf.example.com');
    assert.ok(e3008.connection);
    assert.equal(eventFor(await c.exchange(other(CMD.ACR, 4, 4))).resultCode, 3007);
    const e5012 = eventFor(await c.exchange(other(CMD.CCR, 3, 5)));
    assert.equal(e5012.resultCode, 5012);
    assert.equal(e5012.error, undefined);
    assert.equal(events.length, 3);
    c.destroy();
  });

  test('routing: a realm not served (3003), a Destination-Host that is not us (3002)', async () => {
    const { node } = testNode({ realms: ['example.net'] });
    const c = await openClient(node);
    assert.equal(
      eventFor(await c.exchange(acr({ hbh: 6, e2e: 6, destinationRealm: 'elsewhere.net' }))).resultCode,
      3003,
    );
    const toOther = acr({ hbh: 7, e2e: 7, extra: [avp(AVP.DESTINATION_HOST, 'other.example.net')] });
    assert.equal(eventFor(await c.exchange(toOther)).resultCode, 3002);
    c.destroy();
  });

  test('a grammar error (5005) and a request that did not decode (5014): the error and Failed-AVP', async () => {
    const { node } = testNode();
    const c = await openClient(node);
    const missing = eventFor(await c.exchange(acr({ hbh: 8, e2e: 8, omit: [AVP.ACCOUNTING_RECORD_NUMBER] })));
    assert.equal(missing.resultCode, 5005);
    assert.equal(missing.error?.code, 'AVP_MISSING');
    const failed = missing.answer.avps.find((a) => a.code === AVP.FAILED_AVP);
    assert.equal(failed?.avps?.[0]?.code, AVP.ACCOUNTING_RECORD_NUMBER);
    const short = Buffer.from('0000000140000004', 'hex'); // User-Name with AVP Length 4
    const bad = eventFor(await c.exchange(acr({ hbh: 9, e2e: 9, extra: [short] })));
    assert.equal(bad.resultCode, 5014);
    assert.equal(bad.error?.code, 'AVP_TOO_SHORT');
    c.destroy();
  });

  test("a handler's failure: its DiameterError's code, else 5012", async () => {
    let fail: unknown;
    const { node } = testNode({}, () => Promise.reject(fail));
    const c = await openClient(node);
    fail = new DiameterError('STORE_WRITE_FAILED', 'disk full');
    const full = eventFor(await c.exchange(acr({ hbh: 10, e2e: 10 })));
    assert.equal(full.resultCode, 4002);
    assert.equal(full.error?.code, 'STORE_WRITE_FAILED');
    fail = new Error('handler bug');
    const bug = eventFor(await c.exchange(acr({ hbh: 11, e2e: 11 })));
    assert.equal(bug.resultCode, 5012);
    assert.equal(bug.error?.code, 'BAD_MESSAGE_FORM');
    c.destroy();
  });

  test("a rule's injected error names the rule; a rule's 2001 publishes nothing", async () => {
    const { node } = testNode({
      rules: [
        { id: 'full-disk', match: { sessionId: 'full' }, action: { result: 4002 } },
        { id: 'fine', match: { sessionId: 'fine' }, action: { result: 2001 } },
      ],
    });
    const c = await openClient(node);
    assert.equal(resultCode(await c.exchange(acr({ hbh: 12, e2e: 12, sessionId: 'fine' }))), 2001);
    const e = eventFor(await c.exchange(acr({ hbh: 13, e2e: 13, sessionId: 'full' })));
    assert.equal(e.resultCode, 4002);
    assert.equal(e.rule, 'full-disk');
    assert.equal(events.length, 1);
    c.destroy();
  });

  test('a CER with no common application: the CEA 5010', async () => {
    const { node } = testNode();
    const c = attach(node);
    const cea = await c.exchange(cer({ originHost: 'wrong-app.example.com', acct: [], auth: [4], hbh: 14 }));
    assert.equal(resultCode(cea), 5010);
    const e = eventFor(cea);
    assert.equal(e.peer?.originHost, 'wrong-app.example.com');
    c.destroy();
  });
});
