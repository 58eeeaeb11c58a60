/**
 * validateMessage (base-protocol.md §9.5 step 5, Failed-AVP shapes of §9.4) on messages built by hand
 * from Avp objects: valid messages, unknown AVPs with the M bit (5001) and unknown Enumerated values
 * (5004).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Message } from '../../src/codec/types.js';
import { validateMessage } from '../../src/dictionary/validate.js';
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

describe('valid messages', () => {
  test('a hand-built Rf ACR passes', () => {
    assert.equal(validateMessage(acr(), dict), undefined);
  });

  test('required and optional AVPs may come in any order after the fixed Session-Id', () => {
    const avps = acrAvps();
    fc.assert(
      fc.property(fc.shuffledSubarray(avps.slice(1), { minLength: avps.length - 1 }), (tail) => {
        assert.equal(validateMessage(acr([avps[0]!, ...tail]), dict), undefined);
      }),
      { numRuns: 200 },
    );
  });

  test('unknown AVPs without the M bit are accepted, also where the grammar has no * [ AVP ]', () => {
    const sub = grp(443, [num(450, 1), str(444, '001010123456789'), num(64000, 1, 0)]);
    const avps = [...acrAvps(serviceInformation(imsInformation(), sub)), num(64001, 7, 0x80, 99999)];
    assert.equal(validateMessage(acr(avps), dict), undefined);
  });

  test('a command the dictionary does not know is not judged', () => {
    assert.equal(validateMessage(message(R | P, 272, 3, [num(99999, 1)]), dict), undefined);
  });

  test('a grouped AVP with no grammar in the dictionary is not looked into', () => {
    // Offline-Charging (1278) is Grouped without a grammar: its unknown M child is not judged.
    const ps = tgpp.grp(874, [tgpp.grp(1278, [num(64002, 1)])]);
    assert.equal(validateMessage(acr(acrAvps(tgpp.grp(873, [ps]))), dict), undefined);
  });
});

describe('5001 AVP_UNSUPPORTED: unknown AVP with the M bit', () => {
  test('top level: Failed-AVP is the AVP as received', () => {
    const unknown = num(64000, 1);
    const e = validateMessage(acr([...acrAvps(), unknown]), dict);
    expectError(e, 'AVP_UNSUPPORTED', 5001, '64000');
    assert.equal(e.failedAvp, unknown);
  });

  test('a vendor AVP: the path names code and vendor', () => {
    const unknown = { code: 64000, flags: VM, vendorId: TGPP, value: 1 };
    expectError(validateMessage(acr([...acrAvps(), unknown]), dict), 'AVP_UNSUPPORTED', 5001, '64000:10415');
  });

  test('inside grouped AVPs: path through them, Failed-AVP nested in copies of the enclosing AVPs', () => {
    const unknown = { code: 4242, flags: VM, vendorId: TGPP, value: 1 };
    const ims = imsInformation([unknown]);
    const si = serviceInformation(ims);
    const e = validateMessage(acr(acrAvps(si)), dict);
    expectError(e, 'AVP_UNSUPPORTED', 5001, 'Service-Information/IMS-Information/4242:10415');
    assert.deepEqual(e.failedAvp, inServiceAndImsInformation(unknown));
    assert.equal(e.failedAvp!.avps![0]!.avps![0], unknown);
    // Without nesting, the AVP alone.
    assert.equal(validateMessage(acr(acrAvps(si)), dict, { nestFailedAvp: false })?.failedAvp, unknown);
  });

  test('lenient mode accepts it', () => {
    assert.equal(
      validateMessage(acr([...acrAvps(), num(64000, 1)]), dict, { allowUnknownMandatory: true }),
      undefined,
    );
  });

  test('the contents of Failed-AVP are never judged (vector 12: Accounting-Record-Type 7 inside)', () => {
    const answer = message(P | E, 271, 3, [
      str(263, 'ctf.example.com;1;4'),
      str(264, 'cdf.example.net'),
      str(296, 'example.net'),
      num(268, 5012),
      grp(279, [num(480, 7), num(64000, 1)]),
    ]);
    assert.equal(validateMessage(answer, dict), undefined);
  });
});

describe('5004 AVP_UNKNOWN_ENUM: M-flagged Enumerated value not in the dictionary', () => {
  test('top level, value from `value`', () => {
    const bad = num(480, 7);
    const e = validateMessage(acr(acrAvps().map((a) => (a.code === 480 ? bad : a))), dict);
    expectError(e, 'AVP_UNKNOWN_ENUM', 5004, 'Accounting-Record-Type');
    assert.equal(e.failedAvp, bad);
  });

  test('value read from the 4 data octets when there is no decoded value (signed)', () => {
    const withData = (bytes: number[]): Message =>
      acr(
        acrAvps().map((a) =>
          a.code === 480 ? { code: 480, flags: M, vendorId: 0, data: Uint8Array.from(bytes) } : a,
        ),
      );
    assert.equal(validateMessage(withData([0, 0, 0, 4]), dict), undefined);
    const e = validateMessage(withData([0xff, 0xff, 0xff, 0xff]), dict);
    expectError(e, 'AVP_UNKNOWN_ENUM', 5004, 'Accounting-Record-Type');
    assert.match(e.message, /value -1 /);
  });

  test('inside a grouped AVP', () => {
    const sub = grp(443, [num(450, 9), str(444, 'x')]);
    const e = validateMessage(acr(acrAvps(serviceInformation(imsInformation(), sub))), dict);
    expectError(e, 'AVP_UNKNOWN_ENUM', 5004, 'Service-Information/Subscription-Id/Subscription-Id-Type');
    assert.equal(e.failedAvp?.code, 873);
    assert.equal(e.failedAvp?.avps?.[0]?.code, 443);
    assert.deepEqual(e.failedAvp?.avps?.[0]?.avps, [num(450, 9)]);
  });

  test('not checked without the M bit, for integer types, or when turned off', () => {
    const noM = acrAvps().map((a) => (a.code === 480 ? num(480, 7, 0) : a));
    assert.equal(validateMessage(acr(noM), dict), undefined);
    // Change-Condition (2037) is Integer32 with names for display only.
    const ps = tgpp.grp(874, [tgpp.grp(2040, [tgpp.num(2037, 999)])]);
    assert.equal(validateMessage(acr(acrAvps(tgpp.grp(873, [ps]))), dict), undefined);
    const bad = acrAvps().map((a) => (a.code === 480 ? num(480, 7) : a));
    assert.equal(validateMessage(acr(bad), dict, { checkEnums: false }), undefined);
  });
});
