/**
 * validateMessage (base-protocol.md §9.5 steps 5–6, Failed-AVP shapes of §9.4) on messages built by hand
 * from Avp objects, with numeric codes taken from the spec tables; then every test vector decoded by the
 * codec (none may fail), and mutated vectors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeMessage, encodeMessage } from '../../src/codec/message.js';
import type { DiameterError } from '../../src/codec/errors.js';
import type { Avp, Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { grammar } from '../../src/dictionary/grammar.js';
import { validateAvps, validateMessage } from '../../src/dictionary/validate.js';
import { loadVector, loadVectors, loadVectorTables } from '../helpers/vectors.js';

const dict = builtinDictionary();
const M = 0x40;
const VM = 0xc0;
const TGPP = 10415;
const R = 0x80;
const P = 0x40;
const E = 0x20;

const num = (code: number, value: number, flags = M, vendorId = 0): Avp => ({ code, flags, vendorId, value });
const str = (code: number, value: string, flags = M, vendorId = 0): Avp => ({ code, flags, vendorId, value });
const grp = (code: number, avps: Avp[], flags = M, vendorId = 0): Avp => ({ code, flags, vendorId, avps });
const tgpp = {
  num: (code: number, value: number) => num(code, value, VM, TGPP),
  str: (code: number, value: string) => str(code, value, VM, TGPP),
  grp: (code: number, avps: Avp[]) => grp(code, avps, VM, TGPP),
};

function message(flags: number, commandCode: number, applicationId: number, avps: Avp[]): Message {
  return { version: 1, flags, commandCode, applicationId, hopByHopId: 1, endToEndId: 2, avps };
}

/** An IMS ACR START (codes from accounting-rf.md §1.3, §3.1, §3.2), valid for the Rf grammar. */
function imsInformation(extra: Avp[] = []): Avp {
  return tgpp.grp(876, [
    tgpp.num(862, 0), // Node-Functionality S-CSCF
    tgpp.grp(823, [tgpp.str(824, 'INVITE')]), // Event-Type { SIP-Method }
    tgpp.num(829, 0), // Role-Of-Node
    ...extra,
  ]);
}
function serviceInformation(ims: Avp = imsInformation(), subscriptionId?: Avp): Avp {
  return tgpp.grp(873, [subscriptionId ?? grp(443, [num(450, 2), str(444, 'sip:alice@example.com')]), ims]);
}
function acrAvps(service: Avp = serviceInformation()): Avp[] {
  return [
    str(263, 'ctf.example.com;1;1'), // Session-Id
    str(264, 'ctf.example.com'), // Origin-Host
    str(296, 'example.com'), // Origin-Realm
    str(283, 'example.net'), // Destination-Realm
    num(480, 2), // Accounting-Record-Type START
    num(485, 0), // Accounting-Record-Number
    num(259, 3), // Acct-Application-Id
    str(461, '32260@3gpp.org'), // Service-Context-Id
    service,
  ];
}
const acr = (avps: Avp[] = acrAvps()): Message => message(R | P, 271, 3, avps);

/** base-protocol.md §9.4 nesting: copies of Service-Information and IMS-Information holding only `inner`. */
function inServiceAndImsInformation(inner: Avp): Avp {
  const copy = (code: number, avps: Avp[]): Avp => ({
    code,
    flags: VM,
    vendorId: TGPP,
    type: 'Grouped',
    avps,
  });
  return copy(873, [copy(876, [inner])]);
}

function expectError(
  e: DiameterError | undefined,
  code: string,
  resultCode: number,
  path: string,
): asserts e is DiameterError {
  assert.ok(e, `expected ${code}, got no error`);
  assert.equal(e.code, code, e.message);
  assert.equal(e.resultCode, resultCode);
  assert.equal(e.path, path);
}

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
    const example = { code: 862, flags: VM, vendorId: TGPP, type: 'Enumerated' as const, data: new Uint8Array(4) };
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

describe('which error comes first', () => {
  test('step 5 (unknown M AVP, bad enum) before step 6 (grammar), wherever they are', () => {
    const avps = acrAvps().filter((a) => a.code !== 283); // Destination-Realm missing
    avps.push(num(64000, 1));
    assert.equal(validateMessage(acr(avps), dict)?.code, 'AVP_UNSUPPORTED');
    const deepEnum = acrAvps(serviceInformation(imsInformation(), grp(443, [num(450, 9), str(444, 'x')])));
    assert.equal(
      validateMessage(acr(deepEnum.filter((a) => a.code !== 283)), dict)?.code,
      'AVP_UNKNOWN_ENUM',
    );
  });

  test('the first step-5 error in message order', () => {
    const avps = acrAvps(
      serviceInformation(imsInformation([{ code: 4242, flags: VM, vendorId: TGPP, value: 1 }])),
    );
    avps.push(num(64000, 1));
    assert.equal(validateMessage(acr(avps), dict)?.path, 'Service-Information/IMS-Information/4242:10415');
  });

  test('missing before too many; the outer level before grouped AVPs', () => {
    const avps = acrAvps(serviceInformation(tgpp.grp(876, []))).filter((a) => a.code !== 283);
    avps.push(str(264, 'again'));
    assert.equal(validateMessage(acr(avps), dict)?.path, 'Destination-Realm');
    assert.equal(validateMessage(acr(avps.concat(str(283, 'd'))), dict)?.code, 'AVP_TOO_MANY');
    const onlyNested = acrAvps(serviceInformation(tgpp.grp(876, [])));
    assert.equal(
      validateMessage(acr(onlyNested), dict)?.path,
      'Service-Information/IMS-Information/Node-Functionality',
    );
  });

  test('grouped AVPs in message order', () => {
    const sub1 = grp(443, [num(450, 0)]); // Subscription-Id-Data missing
    const si = tgpp.grp(873, [sub1, tgpp.grp(876, [])]);
    assert.equal(
      validateMessage(acr(acrAvps(si)), dict)?.path,
      'Service-Information/Subscription-Id/Subscription-Id-Data',
    );
  });
});

describe('dictionary changes and nesting', () => {
  test('a grammar recompiles when the dictionary changes', () => {
    const d = builtinDictionary();
    const g = grammar('{ Late-AVP }\n* [ AVP ]');
    assert.equal(validateAvps([], g, d), undefined); // the name means nothing yet
    assert.equal(validateAvps([num(64100, 1)], g, d)?.code, 'AVP_UNSUPPORTED');
    d.add({ avps: [{ name: 'Late-AVP', code: 64100, vendorId: 0, type: 'Unsigned32', mandatory: 'must' }] });
    assert.equal(validateAvps([], g, d)?.path, 'Late-AVP');
    assert.equal(validateAvps([num(64100, 1)], g, d), undefined);
  });

  test('a grammar nested in itself keeps separate counts per level', () => {
    const d = builtinDictionary().add({
      avps: [
        {
          name: 'Loop',
          code: 64200,
          vendorId: 0,
          type: 'Grouped',
          mandatory: 'must',
          grammar: grammar('[ Loop ]\n[ Leaf ]'),
        },
        { name: 'Leaf', code: 64201, vendorId: 0, type: 'Unsigned32', mandatory: 'must' },
      ],
    });
    const g = grammar('[ Loop ]');
    const ok = [grp(64200, [grp(64200, [num(64201, 2)]), num(64201, 1)])]; // Leaf after the inner level
    assert.equal(validateAvps(ok, g, d), undefined);
    const extra = num(64201, 4);
    const bad = [grp(64200, [num(64201, 1), grp(64200, [num(64201, 3), extra])])];
    const e = validateAvps(bad, g, d);
    assert.equal(e?.code, 'AVP_TOO_MANY');
    assert.equal(e?.path, 'Loop/Loop/Leaf');
    assert.equal(e?.failedAvp?.avps?.[0]?.avps?.[0], extra);
  });
});

describe('counts are per level and per message', () => {
  test('sibling grouped AVPs of one grammar, and the same message again, count afresh', () => {
    const sub = (type: number) => grp(443, [num(450, type), str(444, `id-${type}`)]);
    const twoSubs = tgpp.grp(873, [sub(2), sub(0), imsInformation()]);
    for (let i = 0; i < 3; i++) assert.equal(validateMessage(acr(acrAvps(twoSubs)), dict), undefined, `run ${i}`);
    // A real excess is still seen after those runs, and the runs after it are clean again.
    const extra = num(450, 1);
    const bad = tgpp.grp(873, [sub(2), grp(443, [num(450, 0), str(444, 'x'), extra]), imsInformation()]);
    const e = validateMessage(acr(acrAvps(bad)), dict);
    expectError(e, 'AVP_TOO_MANY', 5009, 'Service-Information/Subscription-Id/Subscription-Id-Type');
    assert.equal(validateMessage(acr(acrAvps(twoSubs)), dict), undefined);
  });

  test('AVP codes beyond the dense index range are found in the grammar', () => {
    const d = builtinDictionary().add({
      avps: [
        { name: 'Far-Away', code: 900_000, vendorId: 0, type: 'Unsigned32', mandatory: 'must' },
        { name: 'Far-Vendor', code: 70_000, vendorId: 4242, type: 'Unsigned32', mandatory: 'must' },
      ],
    });
    const g = grammar('{ Far-Away }\n[ Far-Vendor ]');
    assert.equal(validateAvps([num(900_000, 1), num(70_000, 2, VM, 4242)], g, d), undefined);
    expectError(validateAvps([num(70_000, 2, VM, 4242)], g, d), 'AVP_MISSING', 5005, 'Far-Away');
    expectError(validateAvps([num(900_000, 1), num(900_000, 2)], g, d), 'AVP_TOO_MANY', 5009, 'Far-Away');
  });
});

describe('test vectors decoded by the codec', () => {
  for (const v of loadVectors()) {
    test(`${v.name} validates`, () => {
      assert.equal(validateMessage(decodeMessage(v.bytes, dict.resolve), dict), undefined);
    });
  }

  test('vector 05 without Node-Functionality', () => {
    const m = decodeMessage(loadVector('05-acr-start').bytes, dict.resolve);
    const ims = m.avps.find((a) => a.code === 873)!.avps!.find((a) => a.code === 876)!;
    ims.avps = ims.avps!.filter((a) => a.code !== 862);
    expectError(
      validateMessage(m, dict),
      'AVP_MISSING',
      5005,
      'Service-Information/IMS-Information/Node-Functionality',
    );
  });

  test('vector 11 with a second 3GPP-Charging-Id in PS-Information', () => {
    const m = decodeMessage(loadVector('11-acr-stop-pgw').bytes, dict.resolve);
    const ps = m.avps.find((a) => a.code === 873)!.avps!.find((a) => a.code === 874)!;
    const dup = { ...ps.avps!.find((a) => a.code === 2)! };
    ps.avps!.push(dup);
    const e = validateMessage(m, dict);
    expectError(e, 'AVP_TOO_MANY', 5009, 'Service-Information/PS-Information/3GPP-Charging-Id');
    assert.equal(e.failedAvp?.avps?.[0]?.avps?.[0], dup);
  });
});
