/**
 * validateMessage (base-protocol.md §9.5 step 6, Failed-AVP shapes of §9.4) on messages built by hand
 * from Avp objects: the grammar's fixed positions and occurrence counts (5005 missing, 5008 not allowed,
 * 5009 too many), and the one-of rule of Vendor-Specific-Application-Id.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeMessage, encodeMessage } from '../../src/codec/message.js';
import type { Avp, Message } from '../../src/codec/types.js';
import { grammar } from '../../src/dictionary/grammar.js';
import { validateAvps, validateMessage } from '../../src/dictionary/validate.js';
import { loadVector, loadVectorTables } from '../helpers/vectors.js';
import {
  E,
  M,
  P,
  R,
  TGPP,
  VM,
  acr,
  acrAvps,
  dict,
  expectError,
  grp,
  imsInformation,
  inServiceAndImsInformation,
  message,
  num,
  serviceInformation,
  str,
  tgpp,
} from './validate-helpers.js';

describe('fixed position (< Session-Id >)', () => {
  test('Session-Id elsewhere than first → 5008 with the misplaced AVP', () => {
    const avps = acrAvps();
    const sid = avps.shift()!;
    avps.splice(3, 0, sid);
    const e = validateMessage(acr(avps), dict);
    expectError(e, 'AVP_NOT_ALLOWED', 5008, 'Session-Id');
    assert.equal(e.failedAvp, sid);
  });

  test('Session-Id absent → 5005 with an example Session-Id', () => {
    const e = validateMessage(acr(acrAvps().slice(1)), dict);
    expectError(e, 'AVP_MISSING', 5005, 'Session-Id');
    assert.deepEqual(e.failedAvp, {
      code: 263,
      flags: M,
      vendorId: 0,
      type: 'UTF8String',
      data: new Uint8Array(0),
    });
  });

  test('0*1 < Session-Id > of answer-message: absent is fine, misplaced is not', () => {
    const body = [str(264, 'cdf.example.net'), str(296, 'example.net'), num(268, 3001)];
    assert.equal(validateMessage(message(E, 272, 3, body), dict), undefined);
    const e = validateMessage(message(E, 272, 3, [...body, str(263, 's')]), dict);
    expectError(e, 'AVP_NOT_ALLOWED', 5008, 'Session-Id');
  });
});

describe('5005 AVP_MISSING', () => {
  test('the shape of vector 10: Accounting-Record-Number example with M set and 4 zero octets', () => {
    const e = validateMessage(acr(acrAvps().filter((a) => a.code !== 485)), dict);
    expectError(e, 'AVP_MISSING', 5005, 'Accounting-Record-Number');
    // What test-vectors.md shows inside the Failed-AVP of 10-aca-5005-failed-avp.
    const row = loadVectorTables()
      .get('10-aca-5005-failed-avp')!
      .avps.find((r) => r.depth === 1)!;
    const f = e.failedAvp!;
    assert.equal(f.code, row.code);
    assert.equal(f.flags, row.flags);
    assert.equal(f.vendorId, row.vendorId ?? 0);
    assert.deepEqual(f.data, new Uint8Array(row.length - 8));
  });

  test('the example encodes to the bytes of vector 10', () => {
    const e = validateMessage(acr(acrAvps().filter((a) => a.code !== 485)), dict)!;
    const v = loadVector('10-aca-5005-failed-avp');
    const aca = decodeMessage(v.bytes, dict.resolve);
    const failed = aca.avps.find((a) => a.code === 279)!;
    const rebuilt = { ...aca, avps: aca.avps.map((a) => (a === failed ? grp(279, [e.failedAvp!]) : a)) };
    assert.equal(Buffer.from(encodeMessage(rebuilt)).toString('hex'), v.hex);
  });

  test('inside grouped AVPs: 3GPP example with V and M, nested in copies', () => {
    const ims = tgpp.grp(876, [tgpp.num(829, 0)]); // no Node-Functionality
    const si = serviceInformation(ims);
    const e = validateMessage(acr(acrAvps(si)), dict);
    expectError(e, 'AVP_MISSING', 5005, 'Service-Information/IMS-Information/Node-Functionality');
    const example = {
      code: 862,
      flags: VM,
      vendorId: TGPP,
      type: 'Enumerated' as const,
      data: new Uint8Array(4),
    };
    assert.deepEqual(e.failedAvp, inServiceAndImsInformation(example));
    assert.deepEqual(validateMessage(acr(acrAvps(si)), dict, { nestFailedAvp: false })?.failedAvp, example);
  });

  test('64-bit and grouped examples have 8 and 0 octets', () => {
    const need = (text: string, avps: Avp[] = []) =>
      validateAvps(avps, grammar(text), dict)?.failedAvp?.data?.length;
    assert.equal(need('{ Accounting-Sub-Session-Id }'), 8);
    assert.equal(need('{ Proxy-Info }'), 0);
    assert.equal(need('{ Vendor-Id }'), 4);
  });

  test('a request checked with the answer grammar misses Result-Code', () => {
    expectError(validateMessage(message(P, 271, 3, acrAvps()), dict), 'AVP_MISSING', 5005, 'Result-Code');
  });

  test('E bit: the answer-message grammar, not the ACA one', () => {
    const body = [str(263, 's'), str(264, 'cdf.example.net'), str(296, 'example.net'), num(268, 5012)];
    assert.equal(validateMessage(message(P | E, 271, 3, body), dict), undefined);
    expectError(
      validateMessage(message(P, 271, 3, body), dict),
      'AVP_MISSING',
      5005,
      'Accounting-Record-Type',
    );
    expectError(
      validateMessage(message(P | E, 271, 3, body.slice(0, 3)), dict),
      'AVP_MISSING',
      5005,
      'Result-Code',
    );
  });

  test('a required wildcard ("2* { AVP }") counts the other known AVPs', () => {
    const g = grammar('{ Origin-Host }\n2* { AVP }');
    const e = validateAvps([str(264, 'h'), str(296, 'r')], g, dict);
    assert.equal(e?.code, 'AVP_MISSING');
    assert.equal(e?.path, undefined);
    assert.equal(e?.failedAvp, undefined);
    assert.equal(validateAvps([str(264, 'h'), str(296, 'r'), str(283, 'd')], g, dict), undefined);
  });
});

describe('5009 AVP_TOO_MANY and 5008 AVP_NOT_ALLOWED', () => {
  test('the first instance beyond the limit', () => {
    const second = str(264, 'other.example.com');
    const e = validateMessage(acr([...acrAvps(), second, str(264, 'third.example.com')]), dict);
    expectError(e, 'AVP_TOO_MANY', 5009, 'Origin-Host');
    assert.equal(e.failedAvp, second);
  });

  test('whatever the order, the second Origin-Host in message order is reported', () => {
    const extra = str(264, 'other.example.com');
    const avps = acrAvps();
    fc.assert(
      fc.property(fc.shuffledSubarray([...avps.slice(1), extra], { minLength: avps.length }), (tail) => {
        const e = validateMessage(acr([avps[0]!, ...tail]), dict);
        const hosts = tail.filter((a) => a.code === 264);
        assert.equal(e?.code, 'AVP_TOO_MANY');
        assert.equal(e?.failedAvp, hosts[1]);
      }),
      { numRuns: 200 },
    );
  });

  test('n*m limits and 1* without limit', () => {
    const g = grammar('2*3 { Route-Record }\n* [ AVP ]');
    const rr = (n: number) => Array.from({ length: n }, (_, i) => str(282, `r${i}.example.com`));
    assert.equal(validateAvps(rr(1), g, dict)?.code, 'AVP_MISSING');
    assert.equal(validateAvps(rr(2), g, dict), undefined);
    assert.equal(validateAvps(rr(3), g, dict), undefined);
    const four = rr(4);
    assert.equal(validateAvps(four, g, dict)?.failedAvp, four[3]);
    const cer = [str(264, 'a'), str(296, 'b'), num(266, 0), str(269, 'p', 0)];
    const ips = Array.from({ length: 20 }, () => ({ code: 257, flags: M, vendorId: 0, value: '192.0.2.1' }));
    assert.equal(validateMessage(message(R, 257, 0, [...cer, ...ips]), dict), undefined);
  });

  test('a rule with max 0 forbids the AVP', () => {
    const forbidden = str(293, 'cdf.example.net');
    const e = validateAvps([forbidden], grammar('*0 [ Destination-Host ]\n* [ AVP ]'), dict);
    expectError(e, 'AVP_NOT_ALLOWED', 5008, 'Destination-Host');
    assert.equal(e.failedAvp, forbidden);
  });

  test('a known AVP the grammar does not list, in a grammar without * [ AVP ]', () => {
    const stray = str(461, 'x');
    const sub = grp(443, [num(450, 0), str(444, '15551234567'), stray]);
    const e = validateMessage(acr(acrAvps(serviceInformation(imsInformation(), sub))), dict);
    expectError(e, 'AVP_NOT_ALLOWED', 5008, 'Service-Information/Subscription-Id/Service-Context-Id');
    assert.equal(e.failedAvp?.avps?.[0]?.avps?.[0], stray);
  });

  test('"* [ AVP ]" with a maximum counts the other AVPs', () => {
    const g = grammar('{ Origin-Host }\n*1 [ AVP ]');
    const two = [str(296, 'r'), str(283, 'd')];
    const e = validateAvps([str(264, 'h'), ...two], g, dict);
    assert.equal(e?.code, 'AVP_TOO_MANY');
    assert.equal(e?.failedAvp, two[1]);
  });
});

describe('Vendor-Specific-Application-Id: exactly one of Auth-/Acct-Application-Id', () => {
  const cer = (vsai: Avp): Message =>
    message(R, 257, 0, [
      str(264, 'a'),
      str(296, 'b'),
      { code: 257, flags: M, vendorId: 0, value: '192.0.2.1' },
      num(266, 0),
      str(269, 'p', 0),
      vsai,
    ]);

  test('one of them is fine, several Vendor-Id too (RFC 3588)', () => {
    assert.equal(validateMessage(cer(grp(260, [num(266, TGPP), num(259, 3)])), dict), undefined);
    assert.equal(
      validateMessage(cer(grp(260, [num(266, TGPP), num(266, 5535), num(258, 4)])), dict),
      undefined,
    );
  });

  test('neither → 5005 with an example of each inside the grouped AVP', () => {
    const e = validateMessage(cer(grp(260, [num(266, TGPP)])), dict);
    expectError(e, 'AVP_MISSING', 5005, 'Vendor-Specific-Application-Id');
    assert.deepEqual(e.failedAvp, {
      code: 260,
      flags: M,
      vendorId: 0,
      type: 'Grouped',
      avps: [258, 259].map((code) => ({
        code,
        flags: M,
        vendorId: 0,
        type: 'Unsigned32',
        data: new Uint8Array(4),
      })),
    });
  });

  test('both → 5009 with both as received', () => {
    const auth = num(258, 4);
    const acctId = num(259, 3);
    const e = validateMessage(cer(grp(260, [num(266, TGPP), auth, acctId])), dict);
    expectError(e, 'AVP_TOO_MANY', 5009, 'Vendor-Specific-Application-Id');
    assert.equal(e.failedAvp?.code, 260);
    assert.equal(e.failedAvp?.avps?.[0], auth);
    assert.equal(e.failedAvp?.avps?.[1], acctId);
  });
});
