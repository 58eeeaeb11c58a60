/**
 * What the CDF tells diagnostics_channel subscribers about a tester's records (src/cdf/anomaly-events.ts,
 * src/node/error-answers.ts): each anomaly counted on a session or CDR is one `diamkit:cdf:anomaly` event
 * naming the session and the record numbers involved (docs/cdr.md's table); a store that cannot commit is
 * one `diamkit:answer:error` event with 4002 and the store's error code; clean traffic publishes nothing.
 */
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { AnomalyEvent } from '../../src/cdf/anomaly-events.js';
import { readAcr } from '../../src/cdf/acr.js';
import { DEFAULT_CDF_SETTINGS, SessionManager } from '../../src/cdf/session-manager.js';
import type { ErrorAnswerEvent } from '../../src/node/error-answers.js';
import { acr, dictionary, type AcrSpec } from '../helpers/acr-builder.js';
import { TestCdf, resultCodeOf } from '../helpers/cdf-server.js';

const dict = dictionary();
let anomalies: AnomalyEvent[] = [];
let errors: ErrorAnswerEvent[] = [];
const onAnomaly = (m: unknown) => {
  const e = m as AnomalyEvent;
  // The event's list is the session's own: keep a copy, as a subscriber must.
  anomalies.push({ ...e, missing: e.missing && [...e.missing] });
};
const onError = (m: unknown) => errors.push(m as ErrorAnswerEvent);

beforeEach(() => {
  anomalies = [];
  errors = [];
  diagnostics_channel.subscribe('diamkit:cdf:anomaly', onAnomaly);
  diagnostics_channel.subscribe('diamkit:answer:error', onError);
});
afterEach(() => {
  diagnostics_channel.unsubscribe('diamkit:cdf:anomaly', onAnomaly);
  diagnostics_channel.unsubscribe('diamkit:answer:error', onError);
});

function manager(now: () => number) {
  const sm = new SessionManager(
    dict,
    { ...DEFAULT_CDF_SETTINGS, maxInactivity: 60, stopGraceSeconds: 0 },
    () => new Date(now()),
  );
  const apply = (spec: AcrSpec) => {
    const m = acr(spec);
    return sm.apply(m, readAcr(m));
  };
  return { sm, apply };
}

/** The events without the fields a case does not look at. */
function brief(es: AnomalyEvent[]) {
  return es.map(({ anomaly, sessionId, recordNumber, lastRecordNumber, missing, closedBy }) => ({
    anomaly,
    sessionId,
    ...(recordNumber !== undefined && { recordNumber }),
    ...(lastRecordNumber !== undefined && { lastRecordNumber }),
    ...(missing !== undefined && missing.length > 0 && { missing }),
    ...(closedBy !== undefined && { closedBy }),
  }));
}

describe('CDF anomaly events', () => {
  test('START, INTERIMs, STOP in order: no event at all', () => {
    const { apply } = manager(() => 1_700_000_000_000);
    for (const [type, n] of [
      ['START_RECORD', 0],
      ['INTERIM_RECORD', 1],
      ['INTERIM_RECORD', 2],
      ['STOP_RECORD', 3],
    ] as const)
      apply({ sessionId: 'clean', recordType: type, recordNumber: n });
    apply({ sessionId: 'event', recordType: 'EVENT_RECORD', recordNumber: 0 });
    assert.deepEqual(anomalies, []);
    assert.deepEqual(errors, []);
  });

  test('a gap, a late record, a STOP with numbers still missing: each anomaly with its numbers', () => {
    const { apply } = manager(() => 1_700_000_000_000);
    apply({ sessionId: 's', recordType: 'START_RECORD', recordNumber: 0 });
    apply({ sessionId: 's', recordType: 'INTERIM_RECORD', recordNumber: 4 });
    apply({ sessionId: 's', recordType: 'INTERIM_RECORD', recordNumber: 2 });
    apply({ sessionId: 's', recordType: 'STOP_RECORD', recordNumber: 5 });
    assert.deepEqual(brief(anomalies), [
      {
        anomaly: 'recordNumberGap',
        sessionId: 's',
        recordNumber: 4,
        lastRecordNumber: 0,
        missing: [1, 2, 3],
      },
      { anomaly: 'outOfOrder', sessionId: 's', recordNumber: 2, lastRecordNumber: 4, missing: [1, 3] },
      { anomaly: 'aCRInterimLost', sessionId: 's', lastRecordNumber: 5, missing: [1, 3] },
    ]);
    assert.ok(anomalies.every((e) => e.originHost === 'ctf.example.com'));
  });

  test('INTERIM and STOP without START; a START for an open session; a duplicate number', () => {
    const { apply } = manager(() => 1_700_000_000_000);
    apply({ sessionId: 'i', recordType: 'INTERIM_RECORD', recordNumber: 3 });
    apply({ sessionId: 'st', recordType: 'STOP_RECORD', recordNumber: 7 });
    apply({ sessionId: 'i', recordType: 'INTERIM_RECORD', recordNumber: 3 });
    apply({ sessionId: 'i', recordType: 'START_RECORD', recordNumber: 4 });
    assert.deepEqual(brief(anomalies), [
      { anomaly: 'aCRStartLost', sessionId: 'i', recordNumber: 3 },
      { anomaly: 'aCRStartLost', sessionId: 'st', recordNumber: 7 },
      { anomaly: 'duplicate', sessionId: 'i', recordNumber: 3, lastRecordNumber: 3 },
      { anomaly: 'startForOpenSession', sessionId: 'i', recordNumber: 4, lastRecordNumber: 3 },
      { anomaly: 'aCRStopLost', sessionId: 'i', lastRecordNumber: 3, closedBy: 'startForOpenSession' },
    ]);
    assert.equal(anomalies[2]!.retransmitted, false);
  });

  test('supervision and a CTF restart close records: aCRStopLost says by what', () => {
    let now = 1_700_000_000_000;
    const { sm, apply } = manager(() => now);
    apply({ sessionId: 'quiet', recordType: 'START_RECORD', recordNumber: 0 });
    apply({ sessionId: 'quiet', recordType: 'INTERIM_RECORD', recordNumber: 1 });
    now += 61_000;
    sm.supervise(new Date(now));
    sm.noteOriginState('ctf.example.com', 1);
    apply({
      sessionId: 'lost',
      recordType: 'START_RECORD',
      recordNumber: 0,
      extra: [{ 'Origin-State-Id': 1 }],
    });
    sm.noteOriginState('ctf.example.com', 2);
    assert.deepEqual(brief(anomalies), [
      { anomaly: 'aCRStopLost', sessionId: 'quiet', lastRecordNumber: 1, closedBy: 'supervision' },
      { anomaly: 'aCRStopLost', sessionId: 'lost', lastRecordNumber: 0, closedBy: 'ctfRestarted' },
      { anomaly: 'ctfRestarted', sessionId: 'lost', lastRecordNumber: 0 },
    ]);
  });
});

test('a store that cannot commit: one error-answer event with 4002 and the store error code', async () => {
  const cdf = await TestCdf.start();
  try {
    await cdf.store.close(); // every commit now fails with STORE_CLOSED
    const got = await cdf.sendJson({
      sessionId: 'ctf.example.com;4002;1',
      recordType: 'START_RECORD',
      recordNumber: 0,
    });
    assert.equal(resultCodeOf(got), 4002);
    const mine = errors.filter((e) => e.request.commandCode === 271);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.resultCode, 4002);
    assert.equal(mine[0]!.error?.code, 'STORE_CLOSED');
  } finally {
    await cdf.close();
  }
});
