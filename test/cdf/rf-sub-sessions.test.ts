/**
 * Accounting sub-sessions (RFC 6733 §9.8.6, accounting-rf.md §5.1): a session key is Session-Id plus
 * Accounting-Sub-Session-Id, and a STOP without Accounting-Sub-Session-Id closes every sub-session of its
 * Session-Id, end to end over TCP; with a session manager driven directly, sub-sessions closed otherwise
 * (supervision, their own STOP) are no longer among those a later STOP closes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readAcr } from '../../src/cdf/acr.js';
import { SessionManager, DEFAULT_CDF_SETTINGS } from '../../src/cdf/session-manager.js';
import type { Cdr } from '../../src/cdf/store.js';
import { acr, dictionary, imsServiceInformation, type AcrSpec } from '../helpers/acr-builder.js';
import { TestCdf, resultCodeOf } from '../helpers/cdf-server.js';

function rec(sessionId: string, recordType: AcrSpec['recordType'], n: number, at: string, sub?: number): AcrSpec {
  return {
    sessionId,
    recordType,
    recordNumber: n,
    eventTimestamp: at,
    serviceContextId: '32260@3gpp.org',
    serviceInformation: imsServiceInformation(),
    extra: sub === undefined ? [] : [{ 'Accounting-Sub-Session-Id': String(sub) }],
  };
}

const subsOf = (cdrs: Cdr[]) => cdrs.map((c) => c.subSessionId).sort();

describe('sub-sessions (accounting-rf.md §5.1)', () => {
  let cdf: TestCdf;
  before(async () => {
    cdf = await TestCdf.start({ settings: { interimInterval: 600 } });
  });
  after(async () => {
    await cdf.close();
  });

  const ok = async (s: AcrSpec) => assert.equal(resultCodeOf(await cdf.sendJson(s)), 2001, `${s.sessionId} ${s.recordType}`);

  test('a STOP without Accounting-Sub-Session-Id closes every sub-session of its Session-Id', async () => {
    await ok(rec('S', 'START_RECORD', 0, '2024-01-01T00:00:00Z', 1));
    await ok(rec('S', 'START_RECORD', 0, '2024-01-01T00:00:10Z', 2));
    await ok(rec('S', 'INTERIM_RECORD', 1, '2024-01-01T00:01:00Z', 1));
    await ok(rec('T', 'START_RECORD', 0, '2024-01-01T00:00:00Z', 1)); // another Session-Id: untouched
    assert.deepEqual(await cdf.cdrs('S'), []);

    await ok(rec('S', 'STOP_RECORD', 2, '2024-01-01T00:02:00Z'));
    const cdrs = await cdf.cdrs('S');
    assert.deepEqual(subsOf(cdrs), [1n, 2n], 'one CDR per sub-session');
    for (const c of cdrs) {
      assert.deepEqual(c.anomalies, [], 'closed by a STOP: no aCRStartLost, nothing lost');
      assert.equal(c.causeForRecordClosing, 0);
      assert.equal(c.recordClosingTime.toISOString(), '2024-01-01T00:02:00.000Z');
      assert.equal(c.fields['incomplete-CDR-Indication'], undefined);
    }
    assert.equal(cdrs.find((c) => c.subSessionId === 2n)!.recordOpeningTime.toISOString(), '2024-01-01T00:00:10.000Z');
    const sessions = [...cdf.rf.sessions.sessions.values()].map((s) => `${s.sessionId}/${s.subSessionId}`);
    assert.deepEqual(sessions, ['T/1']);

    // The same STOP again: a duplicate, no further CDR.
    const dups = cdf.rf.sessions.counters.duplicates;
    await ok(rec('S', 'STOP_RECORD', 2, '2024-01-01T00:02:00Z'));
    assert.equal(cdf.rf.sessions.counters.duplicates, dups + 1);
    assert.equal((await cdf.cdrs('S')).length, 2);
  });

  test('a STOP with a sub-session closes that one only; without sub-sessions a STOP alone is aCRStartLost', async () => {
    await ok(rec('U', 'START_RECORD', 0, '2024-01-01T00:00:00Z', 1));
    await ok(rec('U', 'START_RECORD', 0, '2024-01-01T00:00:00Z', 2));
    await ok(rec('U', 'STOP_RECORD', 1, '2024-01-01T00:03:00Z', 1));
    assert.deepEqual(subsOf(await cdf.cdrs('U')), [1n]);
    assert.ok(cdf.rf.sessions.sessions.has('U\u00002'));

    await ok(rec('V', 'STOP_RECORD', 1, '2024-01-01T00:03:00Z'));
    const [lone] = await cdf.cdrs('V');
    assert.deepEqual(lone!.anomalies, ['aCRStartLost']);
  });

  test('a session without sub-session and its sub-sessions all close with its STOP', async () => {
    await ok(rec('W', 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
    await ok(rec('W', 'START_RECORD', 0, '2024-01-01T00:00:00Z', 7));
    await ok(rec('W', 'STOP_RECORD', 1, '2024-01-01T00:04:00Z'));
    assert.deepEqual(subsOf(await cdf.cdrs('W')).map(String), ['7', 'undefined']);
    assert.ok(![...cdf.rf.sessions.sessions.values()].some((s) => s.sessionId === 'W'));
  });
});

describe('the sub-session index (session manager)', () => {
  test('sub-sessions closed by supervision or by their own STOP are not closed again by a later STOP', () => {
    let now = Date.parse('2024-01-01T00:00:00Z');
    const sm = new SessionManager(dictionary(), { ...DEFAULT_CDF_SETTINGS, interimInterval: 10, supervisionFactor: 1 }, () => new Date(now));
    const apply = (s: AcrSpec) => {
      const m = acr(s);
      return sm.apply(m, readAcr(m));
    };
    apply(rec('X', 'START_RECORD', 0, '2024-01-01T00:00:00Z', 1));
    apply(rec('X', 'START_RECORD', 0, '2024-01-01T00:00:00Z', 2));
    apply(rec('X', 'START_RECORD', 0, '2024-01-01T00:00:00Z', 3));
    assert.equal(apply(rec('X', 'STOP_RECORD', 1, '2024-01-01T00:00:05Z', 3)).batch.cdrs?.length, 1);
    now += 8_000;
    apply(rec('X', 'INTERIM_RECORD', 1, '2024-01-01T00:00:08Z', 2)); // sub 2 stays alive
    now += 4_000; // sub 1 is silent for 12 s > 10 s
    const supervised = sm.supervise(new Date(now));
    assert.deepEqual(supervised?.cdrs?.map((c) => c.subSessionId), [1n]);
    const out = apply(rec('X', 'STOP_RECORD', 2, '2024-01-01T00:00:12Z'));
    assert.deepEqual(out.batch.cdrs?.map((c) => c.subSessionId), [2n], 'only the sub-session still open');
    assert.deepEqual(out.batch.sessionDeletes, [{ sessionId: 'X', subSessionId: 2n }]);
    assert.equal(sm.sessions.size, 0);
    // Nothing left under X: another STOP is a STOP without START.
    assert.deepEqual(apply(rec('X', 'STOP_RECORD', 9, '2024-01-01T00:00:20Z')).anomalies, ['aCRStartLost']);
  });
});
