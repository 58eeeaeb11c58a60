/**
 * validateMessage (base-protocol.md §9.5 steps 5–6) on messages built by hand from Avp objects: which
 * error is reported when there are several, grammars that follow dictionary changes or nest in
 * themselves, and occurrence counts kept per level and per message.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { grammar } from '../../src/dictionary/grammar.js';
import { validateAvps, validateMessage } from '../../src/dictionary/validate.js';
import {
  TGPP,
  VM,
  acr,
  acrAvps,
  dict,
  expectError,
  grp,
  imsInformation,
  num,
  serviceInformation,
  str,
  tgpp,
} from './validate-helpers.js';

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
    for (let i = 0; i < 3; i++)
      assert.equal(validateMessage(acr(acrAvps(twoSubs)), dict), undefined, `run ${i}`);
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
