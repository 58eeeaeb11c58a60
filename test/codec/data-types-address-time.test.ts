/**
 * The Address and Time derived data types (RFC 6733 §4.3.1) against hand-computed octets, the values
 * each refuses, and the SNTP era rule of Time (RFC 4330 §3) as a fast-check property.
 * Expected bytes are written out here from the RFC layouts, never produced by the encoder under test.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeTime, encodeTime } from '../../src/codec/time.js';
import type { OtherAddress } from '../../src/codec/types.js';
import { RUNS, dec, enc, refuses } from './data-types-helpers.js';

describe('Address (RFC 6733 §4.3.1)', () => {
  test('IPv4: family 1 + 4 octets', () => {
    assert.equal(enc('Address', '192.0.2.10'), '0001c000020a');
    assert.equal(dec('Address', '0001c0000214'), '192.0.2.20');
    assert.equal(dec('Address', '00010a2d0002'), '10.45.0.2');
  });

  test('IPv6: family 2 + 16 octets, decoded to RFC 5952 text', () => {
    assert.equal(enc('Address', '2001:db8::1'), '000220010db8000000000000000000000001');
    assert.equal(enc('Address', '::'), '000200000000000000000000000000000000');
    assert.equal(enc('Address', '::ffff:192.0.2.1'), '000200000000000000000000ffffc0000201');
    assert.equal(dec('Address', '000220010db8000000000000000000000001'), '2001:db8::1');
    assert.equal(dec('Address', '000200000000000000000000000000000000'), '::');
    assert.equal(dec('Address', '0002fe800000000000000000000000000001'), 'fe80::1');
    // Longest zero run is compressed, the first one on a tie, and a single zero group is not.
    assert.equal(dec('Address', '000220010db8000000010000000000000001'), '2001:db8:0:1::1');
    assert.equal(dec('Address', '000220010000000000010000000000000001'), '2001:0:0:1::1');
    assert.equal(dec('Address', '000220010db8000100010001000100010001'), '2001:db8:1:1:1:1:1:1');
    assert.equal(dec('Address', '000220010000000000010000000000010001'), '2001::1:0:0:1:1');
    assert.equal(dec('Address', '000220010db8000000010001000100010001'), '2001:db8:0:1:1:1:1:1');
  });

  test('other families are kept as raw octets (e.g. 8 = E.164)', () => {
    const e164 = Buffer.from('15551234567', 'ascii');
    assert.equal(enc('Address', { family: 8, bytes: e164 }), `0008${e164.toString('hex')}`);
    const v = dec('Address', `0008${e164.toString('hex')}`) as OtherAddress;
    assert.equal(v.family, 8);
    assert.equal(Buffer.from(v.bytes).toString('ascii'), '15551234567');
    const empty = dec('Address', 'ffff') as OtherAddress;
    assert.equal(empty.family, 65535);
    assert.equal(empty.bytes.length, 0);
  });

  test('text that is not an IP address is refused', () => {
    refuses('Address', 'cdf.example.net');
    refuses('Address', '192.0.2.256');
    refuses('Address', 42);
  });
});

describe('Time (RFC 6733 §4.3.1, SNTP era rule of RFC 4330 §3)', () => {
  const pairs: [string, string][] = [
    ['2024-01-01T00:00:00Z', 'e93c7f00'], // vector 05 SIP-Request-Timestamp
    ['2024-01-01T00:00:02Z', 'e93c7f02'],
    ['2024-01-01T00:10:00Z', 'e93c8158'], // vector 11 Event-Timestamp
    ['1970-01-01T00:00:00Z', '83aa7e80'], // 2208988800 s from 1900
    ['2036-02-07T06:28:15Z', 'ffffffff'], // last second of era 0
    ['2036-02-07T06:28:16Z', '00000000'], // the wrap: era 1 starts
    ['2036-02-07T06:28:17Z', '00000001'],
    ['1968-01-20T03:14:08Z', '80000000'], // earliest: top bit set ⇒ 1968–2036
    ['2104-02-26T09:42:23Z', '7fffffff'], // latest: top bit clear ⇒ 2036–2104
  ];
  for (const [iso, hex] of pairs) {
    test(`${iso} ↔ ${hex}`, () => {
      assert.equal(enc('Time', new Date(iso)), hex);
      assert.equal((dec('Time', hex) as Date).toISOString(), iso.replace('Z', '.000Z'));
    });
  }

  test('instants outside 1968-01-20T03:14:08Z .. 2104-02-26T09:42:23Z cannot be encoded', () => {
    refuses('Time', new Date('1968-01-20T03:14:07Z'));
    refuses('Time', new Date('2104-02-26T09:42:24Z'));
    refuses('Time', new Date('1900-01-01T00:00:00Z'));
    refuses('Time', new Date(NaN));
    refuses('Time', '2024-01-01T00:00:00Z');
  });

  test('sub-second parts are truncated (the field holds whole seconds)', () => {
    assert.equal(enc('Time', new Date('2024-01-01T00:00:00.999Z')), 'e93c7f00');
  });

  test('property: every 32-bit value decodes to a time that encodes back to it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (ntp) => {
        const d = decodeTime(ntp);
        assert.ok(d.getTime() % 1000 === 0);
        assert.equal(encodeTime(d), ntp);
      }),
      RUNS,
    );
  });
});
