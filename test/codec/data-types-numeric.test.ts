/**
 * The integer (RFC 6733 §4.2: Integer32/64, Unsigned32/64, Enumerated) and floating point data types
 * against hand-computed octets, and the values each refuses to encode.
 * Expected bytes are written out here from the RFC layouts, never produced by the encoder under test.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dec, enc, refuses } from './data-types-helpers.js';

describe('integer types (RFC 6733 §4.2)', () => {
  test('Integer32: two’s complement, big-endian', () => {
    assert.equal(enc('Integer32', -1), 'ffffffff');
    assert.equal(enc('Integer32', 1), '00000001');
    assert.equal(enc('Integer32', 0x7fffffff), '7fffffff');
    assert.equal(enc('Integer32', -0x80000000), '80000000');
    assert.equal(enc('Integer32', -2), 'fffffffe');
    assert.equal(dec('Integer32', 'ffffffff'), -1);
    assert.equal(dec('Integer32', '80000000'), -2147483648);
    assert.equal(dec('Integer32', '0000012c'), 300);
    refuses('Integer32', 0x80000000);
    refuses('Integer32', -0x80000001);
    refuses('Integer32', 1.5);
    refuses('Integer32', 'x');
  });

  test('Unsigned32: 0 .. 2^32-1', () => {
    assert.equal(enc('Unsigned32', 0xffffffff), 'ffffffff');
    assert.equal(enc('Unsigned32', 2001), '000007d1');
    assert.equal(enc('Unsigned32', 1700000000), '6553f100');
    assert.equal(dec('Unsigned32', 'ffffffff'), 4294967295);
    assert.equal(dec('Unsigned32', '000028af'), 10415);
    refuses('Unsigned32', -1);
    refuses('Unsigned32', 0x100000000);
    refuses('Unsigned32', NaN);
  });

  test('Enumerated is Integer32 on the wire', () => {
    assert.equal(enc('Enumerated', -1), 'ffffffff');
    assert.equal(enc('Enumerated', 4), '00000004');
    assert.equal(dec('Enumerated', 'fffffffe'), -2);
  });

  test('Integer64: two’s complement, big-endian, bigint', () => {
    assert.equal(enc('Integer64', -1n), 'ffffffffffffffff');
    assert.equal(enc('Integer64', -(1n << 63n)), '8000000000000000');
    assert.equal(enc('Integer64', (1n << 63n) - 1n), '7fffffffffffffff');
    assert.equal(enc('Integer64', 12345), '0000000000003039');
    assert.equal(dec('Integer64', 'ffffffffffffffff'), -1n);
    assert.equal(dec('Integer64', '8000000000000000'), -9223372036854775808n);
    refuses('Integer64', 1n << 63n);
    refuses('Integer64', 2 ** 60); // not a safe integer: would have lost precision
  });

  test('Unsigned64: 0 .. 2^64-1', () => {
    assert.equal(enc('Unsigned64', (1n << 64n) - 1n), 'ffffffffffffffff');
    assert.equal(enc('Unsigned64', 678901n), '00000000000a5bf5');
    assert.equal(enc('Unsigned64', '18446744073709551615'), 'ffffffffffffffff');
    assert.equal(dec('Unsigned64', 'ffffffffffffffff'), 18446744073709551615n);
    assert.equal(dec('Unsigned64', '0000000000003039'), 12345n);
    refuses('Unsigned64', 1n << 64n);
    refuses('Unsigned64', -1n);
  });
});

describe('floating point types', () => {
  test('Float32 is IEEE-754 single, big-endian', () => {
    assert.equal(enc('Float32', 1.5), '3fc00000');
    assert.equal(enc('Float32', -2), 'c0000000');
    assert.equal(enc('Float32', 0), '00000000');
    assert.equal(enc('Float32', Infinity), '7f800000');
    assert.equal(dec('Float32', '3fc00000'), 1.5);
    assert.equal(dec('Float32', 'bf800000'), -1);
    assert.ok(Number.isNaN(dec('Float32', '7fc00000')));
    refuses('Float32', 1n);
  });

  test('Float64 is IEEE-754 double, big-endian', () => {
    assert.equal(enc('Float64', 1.5), '3ff8000000000000');
    assert.equal(enc('Float64', -0.5), 'bfe0000000000000');
    assert.equal(dec('Float64', '4059000000000000'), 100);
    assert.ok(Object.is(dec('Float64', '8000000000000000'), -0));
  });
});
