/**
 * Supervision deadlines (accounting-rf.md §5.5) filed by second (src/cdf/deadlines.ts): a tick finds the
 * sessions whose deadline passed without looking at the others, an INTERIM moves a deadline, and nothing
 * closed stays filed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readAcr } from '../../src/cdf/acr.js';
import { DeadlineIndex } from '../../src/cdf/deadlines.js';
import { DEFAULT_CDF_SETTINGS, SessionManager } from '../../src/cdf/session-manager.js';
import { decodeMessage, encodeMessage } from '../../src/codec/message.js';
import type { Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { loadVector } from '../helpers/vectors.js';

const dict = builtinDictionary();

describe('DeadlineIndex', () => {
  it('takes what is due, in deadline order, and nothing later', () => {
    const idx = new DeadlineIndex<string>();
    // Filed out of order, some in the same second.
    idx.add('c', 5_300);
    idx.add('a', 2_100);
    idx.add('d', 9_000);
    idx.add('b', 2_900);
    assert.equal(idx.size, 4);
    assert.deepEqual(idx.take(1_999), [], 'nothing is due before the first second');
    assert.deepEqual(idx.take(3_000), ['a', 'b'], 'second 2 is due at 3.000');
    assert.deepEqual(idx.take(5_300), ['c'], 'second 5 is handed out at 5.300 (the caller checks the ms)');
    assert.equal(idx.size, 1);
    assert.deepEqual(idx.take(100_000), ['d']);
    assert.equal(idx.size, 0);
    assert.equal(idx.buckets, 0, 'no bucket is left once its second came due');
  });

  it('moves an item with its deadline and deletes it', () => {
    const idx = new DeadlineIndex<string>();
    idx.add('x', 1_500);
    idx.move('x', 1_500, 1_900);
    assert.equal(idx.size, 1, 'a move within the same second files nothing new');
    idx.move('x', 1_900, 7_000);
    assert.deepEqual(idx.take(6_999), [], 'x left second 1');
    idx.delete('x', 7_000);
    assert.equal(idx.size, 0);
    assert.deepEqual(idx.take(60_000), [], 'a deleted item is never handed out');
    idx.delete('never-filed', 1_000);
    assert.equal(idx.size, 0, 'deleting what is not filed changes nothing');
  });

  it('keeps one heap entry per second however often a bucket empties and fills', () => {
    const idx = new DeadlineIndex<number>();
    for (let i = 0; i < 10_000; i++) {
      idx.add(i, 4_000 + (i % 7));
      idx.delete(i, 4_000 + (i % 7));
    }
    assert.equal(idx.size, 0);
    assert.equal(idx.buckets, 1, 'one (empty) bucket for second 4');
    idx.add(1, 4_500);
    assert.deepEqual(idx.take(5_000), [1]);
    assert.equal(idx.buckets, 0);
  });
});

/** Vector 05 (IMS START) as record `type`, number `n`, of Session-Id `id`. */
function acr(id: string, type: number, n: number): Message {
  const m = decodeMessage(loadVector('05-acr-start').bytes, dict.resolve);
  for (const a of m.avps) {
    delete a.data;
    if (a.code === 263 && a.vendorId === 0) a.value = id;
    if (a.code === 480 && a.vendorId === 0) a.value = type;
    if (a.code === 485 && a.vendorId === 0) a.value = n;
  }
  return decodeMessage(encodeMessage(m), dict.resolve);
}

describe('SessionManager supervision by deadline', () => {
  it('closes exactly the sessions whose deadline passed; an INTERIM moves it; a STOP unfiles it', () => {
    let now = 1_700_000_000_000;
    // No interim interval: a session may be silent for maxInactivity (60 s) before supervision closes it.
    const sm = new SessionManager(dict, { ...DEFAULT_CDF_SETTINGS, maxInactivity: 60 }, () => new Date(now));
    const apply = (id: string, type: number, n: number) => {
      const m = acr(id, type, n);
      return sm.apply(m, readAcr(m));
    };
    for (let i = 0; i < 100; i++) apply(`s${i}`, 2, 0); // START ×100 at t0
    assert.deepEqual(sm.supervisionIndex.sessions, 100);
    now += 30_000;
    apply('s1', 3, 1); // INTERIM at t0+30 s: s1's deadline moves to t0+90 s
    apply('s2', 4, 1); // STOP at t0+30 s
    assert.equal(sm.supervisionIndex.sessions, 99, 'the STOPped session is no longer filed');
    assert.equal(sm.supervise(new Date(now)), undefined, 'nothing is due at t0+30 s');

    now += 30_001; // t0+60.001 s
    const closed = sm.supervise(new Date(now));
    const ids = (closed?.cdrs ?? []).map((c) => c.sessionId).sort();
    assert.equal(ids.length, 98, 'every silent session, not s1 (moved) nor s2 (stopped)');
    assert.ok(!ids.includes('s1') && !ids.includes('s2'));
    assert.ok(closed!.cdrs!.every((c) => c.anomalies.includes('aCRStopLost')));
    assert.deepEqual([...sm.sessions.keys()], ['s1']);
    assert.equal(sm.supervisionIndex.sessions, 1);

    now += 29_998; // t0+89.999 s: s1 is due at t0+90.000 s
    assert.equal(sm.supervise(new Date(now)), undefined, 's1 is a few ms early in its own second');
    assert.equal(sm.supervisionIndex.sessions, 1, 'and still filed');
    now += 1;
    assert.deepEqual(
      sm.supervise(new Date(now))?.cdrs?.map((c) => c.sessionId),
      ['s1'],
    );
    assert.equal(sm.sessions.size, 0);
    assert.deepEqual(sm.supervisionIndex, { sessions: 0, seconds: 0 }, 'nothing filed, no bucket left');
  });

  it('a START for an open session and a rollback keep one filing per open session', () => {
    let now = 1_700_000_000_000;
    const sm = new SessionManager(dict, { ...DEFAULT_CDF_SETTINGS, maxInactivity: 60 }, () => new Date(now));
    const m1 = acr('r', 2, 0);
    sm.apply(m1, readAcr(m1));
    now += 5_000;
    const m2 = acr('r', 2, 0); // START again for the open session: the old record closes, a new one opens
    sm.apply(m2, readAcr(m2));
    assert.equal(sm.supervisionIndex.sessions, 1, 'the replaced session is unfiled');
    const stored = { ...sm.sessions.get('r')!, expiresAt: new Date(now + 120_000) };
    sm.rollback('r', undefined, stored);
    assert.equal(sm.supervisionIndex.sessions, 1, 'the stored copy replaces the filing');
    now += 65_000;
    assert.equal(
      sm.supervise(new Date(now)),
      undefined,
      'the stored deadline (t+125 s) holds, not the old one',
    );
    sm.rollback('r', undefined, undefined);
    assert.equal(sm.supervisionIndex.sessions, 0, 'a rollback to nothing unfiles it');
  });
});
