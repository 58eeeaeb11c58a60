/**
 * Record-number anomalies and session supervision in the CDF, end to end over TCP (accounting-rf.md §5.2,
 * §5.3, §5.5; RFC 6733 §9.6 duplicates): a duplicate record number gets the same ACA and changes nothing
 * (also after the session closed); a gap sets aCRInterimLost; INTERIM or STOP without START sets
 * aCRStartLost; a START for an open session closes the old record with aCRStopLost; a session that goes
 * silent is closed by supervision with aCRStopLost; open sessions survive a restart; localRecordSequence
 * numbers never repeat, even between two CDFs sharing one database.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FLAG_T } from '../../src/codec/types.js';
import type { Cdr } from '../../src/cdf/store.js';
import {
  acr,
  imsServiceInformation,
  pgwServiceInformation,
  sdc,
  type AcrSpec,
} from '../helpers/acr-builder.js';
import { TestCdf, resultCodeOf, waitFor } from '../helpers/cdf-server.js';

const IMS = '32260@3gpp.org';
const PS = '32251@3gpp.org';

function ims(
  sessionId: string,
  recordType: AcrSpec['recordType'],
  n: number,
  at: string,
  over: Parameters<typeof imsServiceInformation>[0] = {},
): AcrSpec {
  return {
    sessionId,
    recordType,
    recordNumber: n,
    eventTimestamp: at,
    serviceContextId: IMS,
    serviceInformation: imsServiceInformation(over),
  };
}

function ps(
  sessionId: string,
  recordType: AcrSpec['recordType'],
  n: number,
  at: string,
  lsns: number[] = [],
): AcrSpec {
  return {
    sessionId,
    originHost: 'pgw.example.com',
    recordType,
    recordNumber: n,
    eventTimestamp: at,
    serviceContextId: PS,
    serviceInformation: pgwServiceInformation(
      lsns.map((l) =>
        sdc({ ratingGroup: 1, uplink: l * 10, downlink: l, localSequenceNumber: l, changeTime: at }),
      ),
      { stop: recordType === 'STOP_RECORD' },
    ),
  };
}

const lsnsOf = (c: Cdr) =>
  (c.fields.listOfServiceData as { localSequenceNumber: number }[]).map((x) => x.localSequenceNumber);

describe('record-number anomalies (accounting-rf.md §5.3)', () => {
  let cdf: TestCdf;
  before(async () => {
    cdf = await TestCdf.start({ settings: { interimInterval: 60 } });
  });
  after(() => cdf.close());

  test('duplicate INTERIM and STOP: same ACA, no state change, counted once, no second CDR', async () => {
    const sid = 'pgw.example.com;1;dup';
    await cdf.send(ps(sid, 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
    const interim = acr(ps(sid, 'INTERIM_RECORD', 1, '2024-01-01T00:01:00Z', [1]));
    const first = await cdf.sendJson(interim);
    const dupsBefore = cdf.rf.sessions.counters.duplicates;
    const again = await cdf.sendJson(interim); // same End-to-End id, no T flag: reaches the CDF
    assert.deepEqual(again.avps, first.avps, 'the same ACA');
    assert.equal(again.endToEnd, first.endToEnd);
    assert.equal(cdf.rf.sessions.counters.duplicates, dupsBefore + 1);
    const s = await cdf.store.getSession({ sessionId: sid });
    assert.equal(s?.counters.acrs, 2n, 'START + INTERIM; the copy is not applied');

    const stop = acr(ps(sid, 'STOP_RECORD', 2, '2024-01-01T00:02:00Z', [2]));
    const stopAca = await cdf.sendJson(stop);
    assert.equal(resultCodeOf(stopAca), 2001);
    // The session is closed now: the copy of the STOP is still recognised (kept key), not a STOP-without-START.
    const stopAgain = await cdf.sendJson(stop);
    assert.deepEqual(stopAgain.avps, stopAca.avps);
    assert.equal(cdf.rf.sessions.counters.duplicates, dupsBefore + 2);
    // A T-flagged retransmission with the same End-to-End id is answered by the node's cache (RFC 6733 §6.1).
    const nodeDups = cdf.server.stats.duplicates;
    stop.flags |= FLAG_T;
    const retransmitted = await cdf.sendJson(stop);
    assert.deepEqual(retransmitted.avps, stopAca.avps);
    assert.equal(cdf.server.stats.duplicates, nodeDups + 1);

    const cdrs = await cdf.cdrs(sid);
    assert.equal(cdrs.length, 1, 'one CDR');
    assert.deepEqual(lsnsOf(cdrs[0]!), [1, 2], 'the INTERIM container counted once');
    assert.deepEqual(cdrs[0]!.anomalies, []);
  });

  test('duplicate START of an open session and duplicate EVENT are answered 2001 and ignored', async () => {
    const sid = 'ctf.example.com;1;dupstart';
    const start = acr(ims(sid, 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
    await cdf.send(start);
    const dups = cdf.rf.sessions.counters.duplicates;
    const aca = await cdf.sendJson(start);
    assert.equal(resultCodeOf(aca), 2001);
    assert.deepEqual(aca.avps.at(-1), { 'Acct-Interim-Interval': 60 }, 'the same ACA as the original START');
    assert.equal(cdf.rf.sessions.counters.duplicates, dups + 1);
    assert.deepEqual((await cdf.store.getSession({ sessionId: sid }))?.anomalies, []);

    const event = acr(
      ims('ctf.example.com;1;dupevent', 'EVENT_RECORD', 0, '2024-01-01T00:00:00Z', { sipMethod: 'MESSAGE' }),
    );
    await cdf.send(event);
    const evAca = await cdf.sendJson(event);
    assert.equal(resultCodeOf(evAca), 2001);
    assert.equal(
      evAca.avps.some((a) => 'Acct-Interim-Interval' in a),
      false,
    );
    assert.equal((await cdf.cdrs('ctf.example.com;1;dupevent')).length, 1);
  });

  test('a gap never filled → aCRInterimLost on the CDR', async () => {
    const sid = 'pgw.example.com;1;gap';
    await cdf.send(ps(sid, 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
    await cdf.send(ps(sid, 'INTERIM_RECORD', 1, '2024-01-01T00:01:00Z', [1]));
    const aca = await cdf.sendJson(ps(sid, 'INTERIM_RECORD', 3, '2024-01-01T00:03:00Z', [3]));
    assert.equal(resultCodeOf(aca), 2001, 'a gap is accepted');
    await cdf.send(ps(sid, 'STOP_RECORD', 4, '2024-01-01T00:04:00Z', [4]));
    assert.deepEqual(await cdf.cdrs(sid), [], 'the STOP waits stopGraceSeconds (2) for the missing INTERIM');
    const c = await waitFor(async () => (await cdf.cdrs(sid))[0], 'the record to close after the grace', 6000);
    assert.ok(c!.anomalies.includes('aCRInterimLost'), `anomalies: ${c!.anomalies}`);
    assert.equal(c.recordClosingTime.toISOString(), '2024-01-01T00:04:00.000Z', 'at its STOP’s time');
    assert.deepEqual(c!.fields['incomplete-CDR-Indication'], { aCRInterimLost: 'yes' });
    assert.deepEqual(lsnsOf(c!), [1, 3, 4]);
    assert.equal(c!.causeForRecordClosing, 0, 'still closed by its STOP');
  });

  test('a gap filled by a late INTERIM → no aCRInterimLost', async () => {
    const sid = 'pgw.example.com;1;late';
    await cdf.send(ps(sid, 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
    await cdf.send(ps(sid, 'INTERIM_RECORD', 2, '2024-01-01T00:02:00Z', [2]));
    await cdf.send(ps(sid, 'INTERIM_RECORD', 1, '2024-01-01T00:01:00Z', [1]));
    await cdf.send(ps(sid, 'STOP_RECORD', 3, '2024-01-01T00:03:00Z', [3]));
    const [c] = await cdf.cdrs(sid);
    assert.equal(c!.fields['incomplete-CDR-Indication'], undefined);
    assert.equal(c!.anomalies.includes('aCRInterimLost'), false);
    assert.deepEqual(lsnsOf(c!).sort(), [1, 2, 3], 'the late container is merged');
  });

  test('INTERIM without START → session opened with aCRStartLost, carried to the CDR', async () => {
    const sid = 'ctf.example.com;1;nostart';
    const aca = await cdf.sendJson(ims(sid, 'INTERIM_RECORD', 1, '2024-01-01T00:05:00Z'));
    assert.equal(resultCodeOf(aca), 2001, 'stateless CDF: accepted');
    const s = await cdf.store.getSession({ sessionId: sid });
    assert.deepEqual(s?.anomalies, ['aCRStartLost']);
    await cdf.send(
      ims(sid, 'STOP_RECORD', 2, '2024-01-01T00:09:00Z', {
        sipMethod: 'BYE',
        requestTime: '2024-01-01T00:08:59Z',
        responseTime: '',
      }),
    );
    const [c] = await cdf.cdrs(sid);
    assert.deepEqual(c!.fields['incomplete-CDR-Indication'], { aCRStartLost: true });
    assert.equal(c!.recordOpeningTime.toISOString(), '2024-01-01T00:05:00.000Z', 'opened by the INTERIM');
    assert.equal(c!.recordClosingTime.toISOString(), '2024-01-01T00:09:00.000Z');
    assert.equal(c!.fields.serviceDeliveryEndTimeStamp, '2024-01-01T00:08:59Z');
  });

  test('STOP without START → a CDR from the STOP alone with aCRStartLost', async () => {
    const sid = 'ctf.example.com;1;onlystop';
    const aca = await cdf.sendJson(
      ims(sid, 'STOP_RECORD', 3, '2024-01-01T00:09:00Z', {
        sipMethod: 'BYE',
        requestTime: '2024-01-01T00:08:58Z',
        responseTime: '',
      }),
    );
    assert.equal(resultCodeOf(aca), 2001);
    const cdrs = await cdf.cdrs(sid);
    assert.equal(cdrs.length, 1);
    const c = cdrs[0]!;
    assert.equal(c.kind, 'ims');
    assert.ok(c.anomalies.includes('aCRStartLost'));
    assert.deepEqual(c.fields['incomplete-CDR-Indication'], { aCRStartLost: true });
    assert.equal(c.recordOpeningTime.toISOString(), '2024-01-01T00:09:00.000Z');
    assert.equal(c.recordClosingTime.toISOString(), '2024-01-01T00:09:00.000Z');
    assert.equal(c.fields.serviceDeliveryEndTimeStamp, '2024-01-01T00:08:58Z', "the BYE's time is the end");
    assert.equal(c.fields.serviceRequestTimeStamp, undefined, 'the INVITE was never reported');
    assert.equal(await cdf.store.getSession({ sessionId: sid }), undefined, 'no session left open');
  });

  test('START for an open session → old record closed with aCRStopLost, a new one opened', async () => {
    const sid = 'ctf.example.com;1;restart';
    await cdf.send(ims(sid, 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
    await cdf.send(ims(sid, 'INTERIM_RECORD', 1, '2024-01-01T00:01:00Z'));
    const aca = await cdf.sendJson(
      ims(sid, 'START_RECORD', 2, '2024-01-01T00:02:00Z', { userSessionId: 'call-0002' }),
    );
    assert.equal(resultCodeOf(aca), 2001);
    const closed = await cdf.cdrs(sid);
    assert.equal(closed.length, 1);
    const old = closed[0]!;
    assert.ok(
      old.anomalies.includes('aCRStopLost') && old.anomalies.includes('startForOpenSession'),
      `anomalies: ${old.anomalies}`,
    );
    assert.deepEqual(old.fields['incomplete-CDR-Indication'], { aCRStopLost: true });
    assert.equal(old.causeForRecordClosing, 5, 'IMS managementIntervention');
    assert.equal(
      old.recordClosingTime.toISOString(),
      '2024-01-01T00:01:00.000Z',
      'time of the last ACR of the old record',
    );
    assert.equal(old.fields['session-Id'], 'call-0001@ctf.example.com');
    const s = await cdf.store.getSession({ sessionId: sid });
    assert.equal(s?.lastRecordNumber, 2);
    assert.equal(s?.openedAt.toISOString(), '2024-01-01T00:02:00.000Z');
    await cdf.send(ims(sid, 'STOP_RECORD', 3, '2024-01-01T00:03:00Z'));
    const both = await cdf.cdrs(sid);
    assert.equal(both.length, 2);
    assert.equal(both[1]!.fields['session-Id'], 'call-0002');
    assert.equal(both[1]!.fields['incomplete-CDR-Indication'], undefined);
  });

  test('the anomalies are counted', () => {
    const a = cdf.rf.sessions.counters.anomalies;
    assert.ok((a.aCRStartLost ?? 0) >= 2, JSON.stringify(a));
    assert.ok((a.aCRInterimLost ?? 0) >= 1, JSON.stringify(a));
    assert.ok((a.startForOpenSession ?? 0) >= 1, JSON.stringify(a));
    assert.ok((a.recordNumberGap ?? 0) >= 2, JSON.stringify(a));
  });
});

describe('a STOP that overtakes an INTERIM (accounting-rf.md §5.3, stopGraceSeconds)', () => {
  test('the late INTERIM is merged and the record closes as soon as nothing is missing; a copy of the STOP is a duplicate', async () => {
    const cdf = await TestCdf.start({ settings: { interimInterval: 60, stopGraceSeconds: 30 } });
    try {
      const sid = 'pgw.example.com;1;overtaken';
      await cdf.send(ps(sid, 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
      await cdf.send(ps(sid, 'INTERIM_RECORD', 1, '2024-01-01T00:01:00Z', [1]));
      const stop = acr(ps(sid, 'STOP_RECORD', 3, '2024-01-01T00:03:00Z', [3]));
      assert.equal(resultCodeOf(await cdf.sendJson(stop)), 2001, 'the STOP is answered at once');
      const waiting = await cdf.store.getSession({ sessionId: sid });
      assert.equal(waiting?.state, 'open', 'stored, waiting for INTERIM 2');
      assert.equal(waiting?.recordType, 4);
      assert.deepEqual(await cdf.cdrs(sid), []);
      const dups = cdf.rf.sessions.counters.duplicates;
      assert.equal(resultCodeOf(await cdf.sendJson(stop)), 2001);
      assert.equal(cdf.rf.sessions.counters.duplicates, dups + 1, 'its copy changes nothing');

      await cdf.send(ps(sid, 'INTERIM_RECORD', 2, '2024-01-01T00:02:00Z', [2]));
      const [c] = await cdf.cdrs(sid);
      assert.ok(c, 'closed at once when the gap is filled, without waiting out the grace');
      assert.deepEqual(lsnsOf(c), [1, 3, 2], 'every container, the late one too');
      assert.equal(c.anomalies.includes('aCRInterimLost'), false, `anomalies: ${c.anomalies}`);
      assert.ok(c.anomalies.includes('outOfOrder'));
      assert.equal(c.fields['incomplete-CDR-Indication'], undefined);
      assert.equal(c.causeForRecordClosing, 0, 'closed by its STOP');
      assert.equal(c.recordClosingTime.toISOString(), '2024-01-01T00:03:00.000Z', 'at the STOP’s time');
      assert.equal(c.fields.stopTime, '2024-01-01T00:10:00Z', 'the STOP is the last ACR (vector 11’s Stop-Time)');
      assert.equal(await cdf.store.getSession({ sessionId: sid }), undefined);
    } finally {
      await cdf.close();
    }
  });

  test('a START with a new number for the key ends the wait: the record closes as its STOP said, then a new one opens', async () => {
    const cdf = await TestCdf.start({ settings: { interimInterval: 60, stopGraceSeconds: 30 } });
    try {
      const sid = 'pgw.example.com;1;reopened';
      await cdf.send(ps(sid, 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
      await cdf.send(ps(sid, 'STOP_RECORD', 2, '2024-01-01T00:02:00Z', [2]));
      // (START 0 again would be a copy of the first START: a duplicate.)
      assert.equal(resultCodeOf(await cdf.sendJson(ps(sid, 'START_RECORD', 5, '2024-01-01T01:00:00Z'))), 2001);
      const [c] = await cdf.cdrs(sid);
      assert.deepEqual(c?.anomalies, ['recordNumberGap', 'aCRInterimLost']);
      assert.equal(c?.recordClosingTime.toISOString(), '2024-01-01T00:02:00.000Z');
      const open = await cdf.store.getSession({ sessionId: sid });
      assert.equal(open?.state, 'open');
      assert.equal(open?.openedAt.toISOString(), '2024-01-01T01:00:00.000Z', 'the new record');
      assert.deepEqual(open?.anomalies, []);
    } finally {
      await cdf.close();
    }
  });

  test('the wait survives a restart of the CDF; stopGraceSeconds 0 closes at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'diamkit-grace-'));
    const path = join(dir, 'cdf.db');
    try {
      const first = await TestCdf.start({ path, settings: { interimInterval: 60, stopGraceSeconds: 1 } });
      const sid = 'pgw.example.com;1;grace-restart';
      await first.send(ps(sid, 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
      await first.send(ps(sid, 'STOP_RECORD', 2, '2024-01-01T00:02:00Z', [2]));
      await first.close({ keepFiles: true });
      const second = await TestCdf.start({ path, settings: { interimInterval: 60, stopGraceSeconds: 1 }, supervisionTickMs: 50 });
      try {
        const c = await waitFor(async () => (await second.cdrs(sid))[0], 'the resumed record to close', 5000);
        assert.deepEqual(c.anomalies, ['recordNumberGap', 'aCRInterimLost'], 'closed by its STOP, not as lost');
        assert.equal(c.causeForRecordClosing, 0);
        assert.equal(c.recordClosingTime.toISOString(), '2024-01-01T00:02:00.000Z');
        assert.equal(second.rf.sessions.counters.supervisionClosed, 0);
      } finally {
        await second.close({ keepFiles: true });
      }
      const now = await TestCdf.start({ path, settings: { interimInterval: 60, stopGraceSeconds: 0 } });
      try {
        const at = 'pgw.example.com;1;grace-none';
        await now.send(ps(at, 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
        await now.send(ps(at, 'STOP_RECORD', 2, '2024-01-01T00:02:00Z', [2]));
        assert.deepEqual((await now.cdrs(at))[0]?.anomalies, ['recordNumberGap', 'aCRInterimLost'], 'at once');
      } finally {
        await now.close({ keepFiles: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('supervision (accounting-rf.md §5.5)', () => {
  test('a silent session is closed after factor × interval with aCRStopLost; an INTERIM restarts Ts', async () => {
    // Ts = 1 s × 1 = 1000 ms, checked every 25 ms.
    const cdf = await TestCdf.start({
      settings: { interimInterval: 1, supervisionFactor: 1 },
      supervisionTickMs: 25,
    });
    try {
      const imsId = 'ctf.example.com;1;silent';
      const pgwId = 'pgw.example.com;1;silent';
      const t0 = Date.now();
      const aca = await cdf.sendJson(ims(imsId, 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
      assert.deepEqual(aca.avps.at(-1), { 'Acct-Interim-Interval': 1 });
      await cdf.send(ps(pgwId, 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
      await new Promise((r) => setTimeout(r, 500));
      await cdf.send(ps(pgwId, 'INTERIM_RECORD', 1, '2024-01-01T00:00:30Z', [1]));
      const imsCdr = await waitFor(
        async () => (await cdf.cdrs(imsId))[0],
        'the IMS session to be closed',
        3000,
      );
      const elapsed = Date.now() - t0;
      assert.ok(elapsed >= 1000, `closed after ${elapsed} ms, not before Ts`);
      assert.equal(
        (await cdf.cdrs(pgwId)).length,
        0,
        'the P-GW session had an INTERIM 500 ms later: still open',
      );
      assert.deepEqual(imsCdr.fields['incomplete-CDR-Indication'], { aCRStopLost: true });
      assert.ok(imsCdr.anomalies.includes('aCRStopLost'));
      assert.equal(imsCdr.causeForRecordClosing, 5, 'IMS managementIntervention');
      assert.equal(
        imsCdr.recordClosingTime.toISOString(),
        '2024-01-01T00:00:00.000Z',
        'time of the last ACR',
      );
      assert.equal(await cdf.store.getSession({ sessionId: imsId }), undefined);

      const pgwCdr = await waitFor(
        async () => (await cdf.cdrs(pgwId))[0],
        'the P-GW session to be closed',
        3000,
      );
      assert.equal(pgwCdr.causeForRecordClosing, 4, 'P-GW abnormalRelease');
      assert.equal(pgwCdr.recordClosingTime.toISOString(), '2024-01-01T00:00:30.000Z');
      assert.deepEqual(lsnsOf(pgwCdr), [1]);
      assert.deepEqual(pgwCdr.fields['incomplete-CDR-Indication'], { aCRStopLost: true });
      assert.equal(cdf.rf.sessions.counters.supervisionClosed, 2);

      // A STOP arriving after supervision closed the session makes its own record (§5.3), not a duplicate.
      await cdf.send(ims(imsId, 'STOP_RECORD', 1, '2024-01-01T00:05:00Z'));
      const late = await cdf.cdrs(imsId);
      assert.equal(late.length, 2);
      assert.deepEqual(late[1]!.fields['incomplete-CDR-Indication'], { aCRStartLost: true });
    } finally {
      await cdf.close();
    }
  });
});

describe('restart and CDR numbering', () => {
  const dir = mkdtempSync(join(tmpdir(), 'diamkit-restart-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('open sessions survive a restart: the STOP after it closes a complete CDR', async () => {
    const path = join(dir, 'restart.db');
    const sid = 'pgw.example.com;1;restart';
    const before = await TestCdf.start({ path });
    await before.send(ps(sid, 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
    await before.send(ps(sid, 'INTERIM_RECORD', 1, '2024-01-01T00:01:00Z', [1]));
    await before.send(acr({ sessionId: 'ev;before', recordType: 'EVENT_RECORD', recordNumber: 0 }));
    const [ev1] = await before.cdrs('ev;before');
    await before.close();

    const afterRestart = await TestCdf.start({ path });
    try {
      assert.equal(afterRestart.rf.sessions.sessions.size, 1, 'the open session was loaded');
      const aca = await afterRestart.sendJson(ps(sid, 'STOP_RECORD', 2, '2024-01-01T00:02:00Z', [2]));
      assert.equal(resultCodeOf(aca), 2001);
      const [c] = await afterRestart.cdrs(sid);
      assert.ok(c, 'a CDR');
      assert.deepEqual(c.anomalies, [], 'no aCRStartLost: the START survived');
      assert.equal(c.fields['incomplete-CDR-Indication'], undefined);
      assert.equal(c.recordOpeningTime.toISOString(), '2024-01-01T00:00:00.000Z');
      assert.deepEqual(lsnsOf(c), [1, 2], 'containers from before and after the restart');
      assert.equal(c.fields.servedIMSI, '001010123456789');
      assert.ok(
        c.localRecordSequenceNumber! > ev1!.localRecordSequenceNumber!,
        'numbers are not reused after a restart',
      );
    } finally {
      await afterRestart.close();
    }
  });

  test('two CDFs sharing one database never give two CDRs the same localRecordSequenceNumber', async () => {
    const path = join(dir, 'shared.db');
    const a = await TestCdf.start({ path, sequenceBlock: 4 });
    const b = await TestCdf.start({ path, sequenceBlock: 4 });
    try {
      for (let i = 0; i < 12; i++) {
        for (const [name, cdf] of [
          ['a', a],
          ['b', b],
        ] as const) {
          const aca = await cdf.sendJson(
            acr({ sessionId: `ev;${name};${i}`, recordType: 'EVENT_RECORD', recordNumber: 0 }),
          );
          assert.equal(resultCodeOf(aca), 2001);
        }
      }
      const numbers = (await a.store.listCdrs({ limit: 1000 })).map((c) => c.localRecordSequenceNumber);
      assert.equal(numbers.length, 24);
      assert.equal(new Set(numbers).size, 24, `duplicates among ${numbers.join(',')}`);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
