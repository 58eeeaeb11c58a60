/**
 * Data sizes of the RFC 6733 data types: a fixed-size type with the wrong number of octets (alone and
 * inside a message), Grouped values, and the minimum sizes used for synthesized Failed-AVPs.
 * Bad octets are written out here by hand, never produced by the encoder under test.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { minimumDataSize } from '../../src/codec/data-types.js';
import { DiameterError } from '../../src/codec/errors.js';
import type { DataType } from '../../src/codec/types.js';
import { decodeOneAvp, enc, rejects } from './data-types-helpers.js';

describe('wrong data size for a fixed-size type → AVP_BAD_SIZE (5014)', () => {
  const cases: [DataType, string][] = [
    ['Integer32', '000001'],
    ['Integer32', '0000000001'],
    ['Unsigned32', ''],
    ['Enumerated', '00000000000000'],
    ['Integer64', '00000001'],
    ['Unsigned64', '000000000000000000'],
    ['Float32', '3ff8000000000000'],
    ['Float64', '3fc00000'],
    ['Time', 'e93c7f'],
    ['Time', 'e93c7f0000'],
    ['Address', '00'],
    ['Address', '0001c00002'], // IPv4 family with 3 address octets
    ['Address', '0001c000020a00'], // IPv4 family with 5
    ['Address', '000200000000'], // IPv6 family with 4
  ];
  for (const [type, hex] of cases) {
    test(`${type} with ${hex.length / 2} octets`, () => {
      rejects(type, hex, 'AVP_BAD_SIZE');
      // Inside a message the same fault becomes a DiameterError with Result-Code 5014.
      assert.throws(
        () => decodeOneAvp(type, hex),
        (e: unknown) => e instanceof DiameterError && e.code === 'AVP_BAD_SIZE' && e.resultCode === 5014,
      );
    });
  }
});

describe('Grouped and minimum sizes', () => {
  test('a Grouped value is encoded from its children, never from `value`', () => {
    assert.throws(
      () => enc('Grouped', new Uint8Array(0)),
      (e: unknown) => e instanceof DiameterError && e.code === 'ENCODE_NO_TYPE',
    );
  });

  test('minimum data sizes used for synthesized Failed-AVPs (base-protocol.md §9.4)', () => {
    assert.equal(minimumDataSize('Unsigned32'), 4);
    assert.equal(minimumDataSize('Integer32'), 4);
    assert.equal(minimumDataSize('Enumerated'), 4);
    assert.equal(minimumDataSize('Time'), 4);
    assert.equal(minimumDataSize('Float32'), 4);
    assert.equal(minimumDataSize('Unsigned64'), 8);
    assert.equal(minimumDataSize('Integer64'), 8);
    assert.equal(minimumDataSize('Float64'), 8);
    assert.equal(minimumDataSize('UTF8String'), 0);
    assert.equal(minimumDataSize('OctetString'), 0);
    assert.equal(minimumDataSize('DiameterIdentity'), 0);
    assert.equal(minimumDataSize('Grouped'), 0);
  });
});
