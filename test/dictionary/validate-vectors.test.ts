/**
 * validateMessage on every test vector decoded by the codec (none may fail), and on mutated vectors
 * (base-protocol.md §9.5 step 6, Failed-AVP shapes of §9.4).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeMessage } from '../../src/codec/message.js';
import { validateMessage } from '../../src/dictionary/validate.js';
import { loadVector, loadVectors } from '../helpers/vectors.js';
import { dict, expectError } from './validate-helpers.js';

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
