/**
 * Reading a decoded message by AVP name and nested path (src/dictionary/accessors.ts), on the P-GW ACR
 * STOP vector (11) whose contents test-vectors.md lists: two Subscription-Id, PS-Information with a
 * Service-Data-Container, vendor-0 AVPs inside 3GPP groups.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DiameterError } from '../../src/codec/errors.js';
import { decodeMessage } from '../../src/codec/message.js';
import type { Avp } from '../../src/codec/types.js';
import { findAvp, getAvp, getAvps, getValue } from '../../src/dictionary/accessors.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { Dictionary } from '../../src/dictionary/dictionary.js';
import { loadVector } from '../helpers/vectors.js';

const dict = builtinDictionary();
const acr = decodeMessage(loadVector('11-acr-stop-pgw').bytes, dict.resolve);
const SDC = 'Service-Information/PS-Information/Service-Data-Container';

describe('getValue / getAvp / getAvps by name', () => {
  test('top-level AVPs by name', () => {
    assert.equal(getValue(acr, 'Session-Id', dict), 'pgw.example.com;1700000000;42');
    assert.equal(getValue(acr, 'Accounting-Record-Number', dict), 2);
    assert.equal(getValue(acr, 'Accounting-Record-Type', dict), 4);
    assert.equal(getValue<Date>(acr, 'Event-Timestamp', dict)?.toISOString(), '2024-01-01T00:10:00.000Z');
  });

  test('nested paths through 3GPP and vendor-0 AVPs', () => {
    assert.equal(getValue(acr, 'Service-Information/PS-Information/3GPP-Charging-Id', dict), 0xabcd);
    assert.equal(getValue(acr, 'Service-Information/PS-Information/Called-Station-Id', dict), 'internet');
    assert.equal(getValue(acr, 'Service-Information/PS-Information/PDP-Address', dict), '10.45.0.2');
    assert.equal(getValue(acr, `${SDC}/Accounting-Input-Octets`, dict), 12345n);
    assert.equal(getValue(acr, `${SDC}/Accounting-Output-Octets`, dict), 678901n);
    assert.equal(getValue(acr, `${SDC}/Rating-Group`, dict), 100);
    assert.equal(
      getValue<Date>(acr, `${SDC}/Time-First-Usage`, dict)?.toISOString(),
      '2024-01-01T00:05:00.000Z',
    );
  });

  test('every occurrence, in message order', () => {
    const data = getAvps(acr, 'Service-Information/Subscription-Id/Subscription-Id-Data', dict).map(
      (a) => a.value,
    );
    assert.deepEqual(data, ['001010123456789', '15551234567']);
    const types = getAvps(acr, 'Service-Information/Subscription-Id/Subscription-Id-Type', dict).map(
      (a) => a.value,
    );
    assert.deepEqual(types, [1, 0]);
    // getValue / getAvp give the first.
    assert.equal(
      getValue(acr, 'Service-Information/Subscription-Id/Subscription-Id-Data', dict),
      '001010123456789',
    );
  });

  test('a Grouped AVP comes back with its children', () => {
    const sdc = getAvp(acr, SDC, dict)!;
    assert.equal(sdc.code, 2040);
    assert.equal(sdc.vendorId, 10415);
    assert.equal(sdc.avps?.length, 9);
  });

  test('from a Grouped AVP or a list of AVPs as the starting point', () => {
    const si = getAvp(acr, 'Service-Information', dict)!;
    assert.equal(getValue(si, 'PS-Information/Node-Id', dict), 'pgw01');
    assert.equal(getAvps(si.avps!, 'Subscription-Id', dict).length, 2);
    const ps = getAvp(si, 'PS-Information', dict)!;
    assert.equal(getValue(ps, '3GPP-IMSI-MCC-MNC', dict), '00101');
  });

  test('absent AVPs give undefined / [], whatever the depth', () => {
    assert.equal(getValue(acr, 'User-Name', dict), undefined);
    assert.equal(getAvp(acr, 'Service-Information/IMS-Information', dict), undefined);
    assert.deepEqual(getAvps(acr, 'Service-Information/IMS-Information/Event-Type/SIP-Method', dict), []);
    // A path through a non-Grouped AVP finds nothing rather than failing.
    assert.deepEqual(getAvps(acr, 'Session-Id/Origin-Host', dict), []);
  });

  test('only the direct children at each step match', () => {
    // Rating-Group sits inside Service-Data-Container, not directly in PS-Information.
    assert.equal(getAvp(acr, 'Service-Information/PS-Information/Rating-Group', dict), undefined);
    assert.equal(getAvp(acr, 'Rating-Group', dict), undefined);
  });

  test('names are matched without regard to case, spaces around steps ignored', () => {
    assert.equal(getValue(acr, 'session-id', dict), 'pgw.example.com;1700000000;42');
    assert.equal(getValue(acr, ' Service-Information / PS-Information / Node-Id ', dict), 'pgw01');
  });

  test('an unknown name in a path is an error naming it and the path', () => {
    assert.throws(
      () => getValue(acr, 'Service-Information/PS-Informaton/Node-Id', dict),
      (e: unknown) =>
        e instanceof DiameterError &&
        e.code === 'UNKNOWN_NAME' &&
        e.message.includes('"PS-Informaton"') &&
        e.message.includes('Service-Information/PS-Informaton/Node-Id'),
    );
  });

  test('code and vendor both identify a step: same code, other vendor does not match', () => {
    // A user dictionary giving code 2 to a vendor-0 AVP: 3GPP-Charging-Id is code 2 under vendor 10415.
    const d = builtinDictionary().add({
      avps: [{ name: 'Test-Code-Two', code: 2, vendorId: 0, type: 'Unsigned32', mandatory: 'may' }],
    });
    const m = decodeMessage(loadVector('11-acr-stop-pgw').bytes, d.resolve);
    assert.equal(getValue(m, 'Service-Information/PS-Information/Test-Code-Two', d), undefined);
    assert.equal(getValue(m, 'Service-Information/PS-Information/3GPP-Charging-Id', d), 0xabcd);
  });

  test('paths resolve against the dictionary given, not a cached other one', () => {
    const avps: Avp[] = [
      { code: 70001, flags: 0, vendorId: 0, type: 'Unsigned32', value: 1 },
      { code: 70002, flags: 0, vendorId: 0, type: 'Unsigned32', value: 2 },
    ];
    const a = new Dictionary().add({
      avps: [{ name: 'X-Test', code: 70001, vendorId: 0, type: 'Unsigned32', mandatory: 'may' }],
    });
    const b = new Dictionary().add({
      avps: [{ name: 'X-Test', code: 70002, vendorId: 0, type: 'Unsigned32', mandatory: 'may' }],
    });
    assert.equal(getValue(avps, 'X-Test', a), 1);
    assert.equal(getValue(avps, 'X-Test', b), 2);
    assert.equal(getValue(avps, 'X-Test', a), 1);
  });
});

describe('findAvp: the numeric fast path', () => {
  test('by code, vendor 0 by default', () => {
    assert.equal(findAvp(acr.avps, 263)?.value, 'pgw.example.com;1700000000;42');
    assert.equal(findAvp(acr.avps, 485)?.value, 2);
  });

  test('by code and vendor', () => {
    assert.equal(findAvp(acr.avps, 873, 10415)?.code, 873);
    assert.equal(findAvp(acr.avps, 873), undefined);
    assert.equal(findAvp(acr.avps, 873, 5535), undefined);
  });

  test('only the top level is searched', () => {
    assert.equal(findAvp(acr.avps, 443), undefined); // Subscription-Id is inside Service-Information
  });
});
