/**
 * The session manager remembers the keys of closed sessions and EVENTs (duplicate detection, RFC 6733 §9.6,
 * accounting-rf.md §5.2) up to `closedKeyLimit`, oldest forgotten first; what it forgets it must let go of,
 * or a CDF that closed a million sessions holds a million keys (the memory-after-stops bench line).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readAcr } from '../../src/cdf/acr.js';
import type { ClosedKeys } from '../../src/cdf/closed-keys.js';
import { DEFAULT_CDF_SETTINGS, SessionManager } from '../../src/cdf/session-manager.js';
import { decodeMessage, encodeMessage } from '../../src/codec/message.js';
import type { Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { loadVector } from '../helpers/vectors.js';

const dict = builtinDictionary();

/** Vector 05 as an EVENT (record type 1) of its own Session-Id. */
function event(i: number): Message {
  const m = decodeMessage(loadVector('05-acr-start').bytes, dict.resolve);
  for (const a of m.avps) {
    delete a.data;
    if (a.code === 263 && a.vendorId === 0) a.value = `ctf.example.com;1;${i}`;
    if (a.code === 480 && a.vendorId === 0) a.value = 1;
  }
  return decodeMessage(encodeMessage(m), dict.resolve);
}

test('closed keys: the newest are remembered, the oldest forgotten and released', () => {
  const limit = 50;
  const sm = new SessionManager(dict, { ...DEFAULT_CDF_SETTINGS, closedKeyLimit: limit });
  const n = 20 * limit;
  for (let i = 0; i < n; i++) {
    const m = event(i);
    assert.equal(sm.apply(m, readAcr(m)).duplicate, false, `EVENT ${i} is new`);
  }
  const again = (i: number) => {
    const m = event(i);
    return sm.apply(m, readAcr(m)).duplicate;
  };
  assert.equal(again(n - 1), true, 'the newest key is remembered');
  assert.equal(again(n - limit + 1), true, 'so is the oldest within the limit');
  assert.equal(again(0), false, 'a key past the limit is forgotten (a new EVENT, a second CDR)');

  // What was forgotten is not still referenced from the eviction queue.
  const held = (sm as unknown as { closed: ClosedKeys }).closed.queued;
  assert.ok(held <= limit + 2, `the queue holds ${held} keys for a limit of ${limit}`);
});

test('closed keys: a key older than the window is forgotten, a missing number is not a duplicate', async (t) => {
  const { ClosedKeys } = await import('../../src/cdf/closed-keys.js');
  const keys = new ClosedKeys(10, 100);
  keys.remember('a', { max: 5, missing: [3] }, 1_000);
  await t.test('within the window', () => {
    assert.equal(keys.isDuplicate('a', 5, 5_000), true, 'the last number again');
    assert.equal(keys.isDuplicate('a', 2, 5_000), true, 'an earlier number seen');
    assert.equal(keys.isDuplicate('a', 3, 5_000), false, 'a number that never came');
    assert.equal(keys.isDuplicate('a', 6, 5_000), false, 'a number past the last');
  });
  await t.test('past the window', () => {
    assert.equal(keys.isDuplicate('a', 5, 11_001), false, 'forgotten 10 s after it closed');
    assert.equal(keys.get('a'), undefined, 'and dropped');
  });
});
