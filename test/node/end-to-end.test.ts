/**
 * End-to-End identifiers (RFC 6733 §3): the first one has the low 12 bits of the time in seconds in its
 * high 12 bits and random low 20 bits, so ids stay unique across a restart within 4 minutes; then they
 * count up by one, wrapping at 2^32.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EndToEndGenerator } from '../../src/node/end-to-end.js';

test('seeded from the time (high 12 bits) and a random number (low 20 bits), then incremented', () => {
  const g = new EndToEndGenerator(0x12345abc, () => 0.5);
  assert.equal(g.take(), 0xabc80000); // 0xabc from the time's low 12 bits, 0x80000 = 0.5 × 2^20
  assert.equal(g.take(), 0xabc80001);
  const low = new EndToEndGenerator(7, () => 0);
  assert.equal(low.take(), 0x00700000);
  // The largest random draw stays within 20 bits; the next id wraps past 2^32 - 1 to 0.
  const top = new EndToEndGenerator(0xfff, () => 0.9999999999);
  assert.equal(top.take(), 0xffffffff);
  assert.equal(top.take(), 0);
});

test('two generators started a second apart do not start at the same id', () => {
  const a = new EndToEndGenerator(1000, () => 0.25);
  const b = new EndToEndGenerator(1001, () => 0.25);
  assert.equal(b.take() - a.take(), 1 << 20);
});
