/**
 * Expectations on answers (src/client/expect.ts), checked against messages decoded from the test vectors'
 * octets (made by an independent implementation): vector 10 (ACA 5005 with Failed-AVP), vector 12 (E-bit
 * answer 5012), vector 11 (a P-GW ACR with two Subscription-Ids and Unsigned64 volumes). Each unmet
 * expectation must name the path, the expected and the actual value.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeMessage } from '../../src/codec/message.js';
import type { Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { checkAnswer, parseExpectation, ExpectationError } from '../../src/client/expect.js';
import { loadVector } from '../helpers/vectors.js';

const dict = builtinDictionary();
const decoded = (name: string): Message => decodeMessage(loadVector(name).bytes, dict.resolve);
const aca5005 = decoded('10-aca-5005-failed-avp');
const ebit5012 = decoded('12-error-5012-ebit-failed-avp');
const pgwStop = decoded('11-acr-stop-pgw');

function check(m: Message, raw: unknown): string[] {
  return checkAnswer(m, parseExpectation(raw, dict, 'expect'), dict);
}

describe('expectations that hold', () => {
  test('vector 10: Result-Code, E bit, values by name or number, Failed-AVP path, regex, absence', () => {
    assert.deepEqual(
      check(aca5005, {
        result: 5005,
        error: false,
        avps: {
          'Session-Id': 'ctf.example.com;1700000000;3',
          'Accounting-Record-Type': 'START_RECORD',
          'Accounting-Record-Number': '0',
          'Failed-AVP/Accounting-Record-Number': 0,
          'Error-Message': { match: '^missing Accounting-Record-Number$' },
          'Acct-Interim-Interval': { absent: true },
          'Origin-Host': { present: true },
          'Acct-Application-Id': { not: 4 },
        },
      }),
      [],
    );
    // The same enumerated value written as its number (RFC 6733 §9.8.1: START_RECORD is 2).
    assert.deepEqual(check(aca5005, { avps: { 'Accounting-Record-Type': 2 } }), []);
    assert.deepEqual(check(aca5005, { result: [2001, 5005] }), [], 'any of a list');
  });

  test('vector 12: the E bit and a Grouped Failed-AVP compared child by child', () => {
    assert.deepEqual(
      check(ebit5012, {
        result: 5012,
        error: true,
        avps: {
          'Failed-AVP': [{ 'Accounting-Record-Type': 7 }],
          'Error-Message': 'invalid Accounting-Record-Type',
          'Accounting-Record-Type': { absent: true },
        },
      }),
      [],
    );
  });

  test('vector 11: indexed paths, every occurrence, counts, Unsigned64 and Time values', () => {
    assert.deepEqual(
      check(pgwStop, {
        avps: {
          'Service-Information/Subscription-Id[1]/Subscription-Id-Data': '15551234567',
          'Service-Information/Subscription-Id[0]/Subscription-Id-Type': 'END_USER_IMSI',
          'Service-Information/Subscription-Id/Subscription-Id-Data': {
            values: ['001010123456789', '15551234567'],
          },
          'Service-Information/Subscription-Id': { count: 2 },
          'Service-Information/PS-Information/Service-Data-Container/Accounting-Output-Octets': 678901,
          'Service-Information/PS-Information/Service-Data-Container/Accounting-Input-Octets': '12345',
          'Service-Information/PS-Information/Stop-Time': '2024-01-01T00:10:00Z',
          'Event-Timestamp': '2024-01-01T00:10:00.000+00:00',
          'Service-Information/PS-Information/PDP-Address': '10.45.0.2',
          'Service-Information/PS-Information/3GPP-RAT-Type': { hex: '06' },
        },
      }),
      [],
    );
  });
});

describe('expectations that fail say what and where', () => {
  test('wrong values: path, expected and actual in each line', () => {
    assert.deepEqual(
      check(aca5005, {
        result: 2001,
        error: true,
        avps: {
          'Accounting-Record-Type': 'STOP_RECORD',
          'Failed-AVP/Accounting-Record-Number': 3,
          'Error-Message': { match: 'Session-Id' },
          'Result-Code': { absent: true },
          'Acct-Interim-Interval': { present: true },
          'Acct-Application-Id': { not: 3 },
          'Proxy-Info': { count: 1 },
        },
      }),
      [
        'Result-Code: expected 2001 DIAMETER_SUCCESS, got 5005 DIAMETER_MISSING_AVP',
        'E bit: expected set (protocol error), got clear',
        'Accounting-Record-Type: expected STOP_RECORD, got START_RECORD (2)',
        'Failed-AVP/Accounting-Record-Number: expected 3, got 0',
        'Error-Message: expected to match /Session-Id/, got missing Accounting-Record-Number',
        'Result-Code: expected absent, got 5005',
        'Acct-Interim-Interval: expected present, got nothing (no such AVP)',
        'Acct-Application-Id: expected anything but 3, got 3',
        'Proxy-Info: expected 1 occurrence(s), got 0',
      ],
    );
  });

  test('Grouped, indexed and multi-valued paths', () => {
    assert.deepEqual(check(ebit5012, { avps: { 'Failed-AVP': [{ 'Accounting-Record-Type': 6 }] } }), [
      'Failed-AVP: expected [{"Accounting-Record-Type":6}], got [{"Accounting-Record-Type":7}]',
    ]);
    assert.deepEqual(
      check(pgwStop, {
        avps: {
          'Service-Information/Subscription-Id[2]/Subscription-Id-Data': 'x',
          'Service-Information/Subscription-Id/Subscription-Id-Data': {
            values: ['15551234567', '001010123456789'],
          },
        },
      }),
      [
        'Service-Information/Subscription-Id[2]/Subscription-Id-Data: expected x, got nothing (no such AVP)',
        'Service-Information/Subscription-Id/Subscription-Id-Data: expected the values [15551234567, 001010123456789], got [001010123456789, 15551234567]',
      ],
    );
  });

  test('a value that is no value of the AVP type is reported, not thrown', () => {
    const [line] = check(aca5005, { avps: { 'Accounting-Record-Type': 'FINAL_RECORD' } });
    assert.match(line!, /^Accounting-Record-Type: .*no value named "FINAL_RECORD"/);
  });
});

describe('reading expectations', () => {
  const bad = (raw: unknown, sub: (string | number)[], detail: RegExp) => {
    assert.throws(
      () => parseExpectation(raw, dict, 'steps[0].expect'),
      (e: unknown) =>
        e instanceof ExpectationError && assert.deepEqual(e.sub, sub) === undefined && detail.test(e.detail),
    );
  };
  test('unknown AVP names, operators and keys are refused with where they are', () => {
    bad({ avps: { 'Result-Cod': 2001 } }, ['avps', 'Result-Cod'], /^unknown AVP "Result-Cod"$/);
    bad(
      { avps: { 'Failed-AVP/Nope': 1 } },
      ['avps', 'Failed-AVP/Nope'],
      /unknown AVP "Nope" in "Failed-AVP\/Nope"/,
    );
    bad({ avps: { 'Session-Id': { match: '(' } } }, ['avps', 'Session-Id'], /^match: /);
    bad({ avps: { 'Session-Id': { absent: true, present: true } } }, ['avps', 'Session-Id'], /stands alone/);
    bad({ avps: { 'Session-Id': null } }, ['avps', 'Session-Id'], /absent: true/);
    bad({ result: 'ok' }, ['result'], /Result-Code number, a list of them or "any"/);
    bad({ status: 1 }, ['status'], /unknown key/);
  });
});
