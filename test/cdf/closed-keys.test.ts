/**
 * The session manager remembers the keys of closed sessions and EVENTs (duplicate detection, RFC 6733 §9.6,
 * accounting-rf.md §5.2) up to `closedKeyLimit`, oldest forgotten first; what it forgets it must let go of,
 * or a CDF that closed a million sessions holds a million keys (the memory-after-stops bench line).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readAcr } from '../../src/cdf/acr.js';
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
  const queue = (sm as unknown as { closedKeys: (string | undefined)[] }).closedKeys;
  const held = queue.filter((k) => k !== undefined).length;
  assert.ok(held <= limit + 2, `the queue holds ${held} keys for a limit of ${limit}`);
});
