/**
 * P-GW sessions through the CDF over TCP (accounting-rf.md §5.2, §5.4, §6.3): Service-Data-Containers
 * reported across INTERIMs and the STOP of vector 11 end up, once each and in order, in the listOfServiceData
 * of one PGWRecord (recordType 85); partial CDRs are cut by the container, volume and time limits with
 * recordSequenceNumber 1, 2, … and the §6.4 closing causes; IMS sessions only by the time limit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Cdr } from '../../src/cdf/store.js';
import { messageFromJson, type AvpJson } from '../../src/dictionary/message-format.js';
import {
  dictionary,
  imsServiceInformation,
  pgwServiceInformation,
  sdc,
  vectorJson,
  type AcrSpec,
} from '../helpers/acr-builder.js';
import { TestCdf, resultCodeOf } from '../helpers/cdf-server.js';

const PS = '32251@3gpp.org';

function pgw(
  sessionId: string,
  recordType: AcrSpec['recordType'],
  n: number,
  at: string,
  containers: AvpJson[],
): AcrSpec {
  return {
    sessionId,
    originHost: 'pgw.example.com',
    recordType,
    recordNumber: n,
    eventTimestamp: at,
    serviceContextId: PS,
    serviceInformation: pgwServiceInformation(containers, { stop: recordType === 'STOP_RECORD' }),
  };
}

const ordered = (cdrs: Cdr[]) => [...cdrs].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));

describe('P-GW session: containers across INTERIMs, STOP = vector 11', () => {
  let cdf: TestCdf;
  const sid = 'pgw.example.com;1700000000;42'; // vector 11's Session-Id
  before(async () => {
    cdf = await TestCdf.start();
  });
  after(() => cdf.close());

  test('START, INTERIM with two containers, the STOP of vector 11 → one pGWRecord', async () => {
    assert.equal(
      resultCodeOf(await cdf.sendJson(pgw(sid, 'START_RECORD', 0, '2024-01-01T00:00:00Z', []))),
      2001,
    );
    const interim = pgw(sid, 'INTERIM_RECORD', 1, '2024-01-01T00:05:00Z', [
      sdc({
        ratingGroup: 100,
        uplink: 1000,
        downlink: 2000,
        localSequenceNumber: 1,
        changeTime: '2024-01-01T00:05:00Z',
        timeUsage: 300,
        changeCondition: 10,
      }),
      // Above 2^32: an Unsigned64 that a 32-bit or a double-rounding path would corrupt.
      sdc({
        ratingGroup: 200,
        uplink: 5_000_000_007n,
        downlink: 70_000,
        localSequenceNumber: 1,
        changeTime: '2024-01-01T00:05:00Z',
        timeUsage: 290,
      }),
    ]);
    assert.equal(resultCodeOf(await cdf.sendJson(interim)), 2001);
    const stop = await cdf.sendJson(messageFromJson(vectorJson('11-acr-stop-pgw'), dictionary()));
    assert.equal(resultCodeOf(stop), 2001);
    assert.deepEqual(
      stop.avps.find((a) => 'Accounting-Record-Number' in a),
      { 'Accounting-Record-Number': 2 },
    );

    const cdrs = await cdf.cdrs(sid);
    assert.equal(cdrs.length, 1);
    const c = cdrs[0]!;
    assert.equal(c.kind, 'pgw');
    assert.equal(c.recordType, 85);
    assert.equal(c.originHost, 'pgw.example.com');
    assert.equal(c.causeForRecordClosing, 0, 'normalRelease');
    assert.equal(c.recordOpeningTime.toISOString(), '2024-01-01T00:00:00.000Z');
    assert.equal(c.recordClosingTime.toISOString(), '2024-01-01T00:10:00.000Z');
    assert.equal(c.duration, 600);
    assert.deepEqual(c.servedParty, [
      { type: 1, data: '001010123456789' },
      { type: 0, data: '15551234567' },
    ]);
    assert.deepEqual(c.anomalies, []);
    const f = c.fields;
    assert.equal(f.recordType, 85);
    assert.equal(f.servedIMSI, '001010123456789');
    assert.equal(f.servedMSISDN, '15551234567');
    assert.equal(f.chargingID, 0xabcd);
    assert.equal(f['p-GWAddress'], '192.0.2.40', 'GGSN-Address');
    assert.equal(f.servingNodeAddress, '192.0.2.30', 'SGSN-Address');
    assert.equal(f.accessPointNameNI, 'internet');
    assert.equal(f.servedPDPPDNAddress, '10.45.0.2');
    assert.equal(f.pdpPDNType, 'IPv4');
    assert.equal(f.nodeID, 'pgw01');
    assert.equal(f.chargingCharacteristics, '0800');
    assert.equal(f.rATType, 6, 'EUTRAN: one octet 0x06 → INTEGER 6');
    assert.equal(f.servingNodeType, 'GTPSGW');
    assert.equal(f.startTime, '2024-01-01T00:00:00Z');
    assert.equal(f.stopTime, '2024-01-01T00:10:00Z');
    assert.equal(f.duration, 600);
    assert.equal(f.causeForRecClosing, 0, 'PGWRecord spelling (tag 15)');
    assert.equal(f.causeForRecordClosing, undefined);
    assert.equal(f.localSequenceNumber, c.localRecordSequenceNumber, 'PGWRecord spelling (tag 20)');
    assert.equal(f.recordOpeningTime, '2024-01-01T00:00:00.000Z');
    assert.equal(f.recordClosureTime, '2024-01-01T00:10:00.000Z');
    // Volumes: Unsigned64 read back as exact decimal strings (store.ts: bigint → decimal string).
    assert.deepEqual(f.listOfServiceData, [
      {
        ratingGroup: 100,
        localSequenceNumber: 1,
        timeUsage: 300,
        serviceConditionChange: [10],
        datavolumeFBCUplink: '1000',
        datavolumeFBCDownlink: '2000',
        timeOfReport: '2024-01-01T00:05:00Z',
      },
      {
        ratingGroup: 200,
        localSequenceNumber: 1,
        timeUsage: 290,
        datavolumeFBCUplink: '5000000007',
        datavolumeFBCDownlink: '70000',
        timeOfReport: '2024-01-01T00:05:00Z',
      },
      {
        // vector 11's container
        ratingGroup: 100,
        localSequenceNumber: 2,
        timeOfFirstUsage: '2024-01-01T00:05:00Z',
        timeOfLastUsage: '2024-01-01T00:09:30Z',
        timeUsage: 270,
        serviceConditionChange: [0],
        datavolumeFBCUplink: '12345',
        datavolumeFBCDownlink: '678901',
        timeOfReport: '2024-01-01T00:10:00Z',
      },
    ]);
  });

  test('a container reported again (same Local-Sequence-Number, Change-Time, Rating-Group) is counted once', async () => {
    const s2 = 'pgw.example.com;1700000000;43';
    const box = sdc({
      ratingGroup: 7,
      uplink: 10,
      downlink: 20,
      localSequenceNumber: 1,
      changeTime: '2024-01-01T00:01:00Z',
    });
    await cdf.send(pgw(s2, 'START_RECORD', 0, '2024-01-01T00:00:00Z', []));
    await cdf.send(pgw(s2, 'INTERIM_RECORD', 1, '2024-01-01T00:01:00Z', [box]));
    await cdf.send(pgw(s2, 'STOP_RECORD', 2, '2024-01-01T00:02:00Z', [box]));
    const [c] = await cdf.cdrs(s2);
    assert.equal((c!.fields.listOfServiceData as unknown[]).length, 1);
  });
});

describe('P-GW session charged per bearer: Traffic-Data-Volumes → listOfTrafficVolumes (accounting-rf.md §6.3)', () => {
  const tdv = (up: number, down: number, condition: number, at: string, extra: AvpJson[] = []): AvpJson => ({
    'Traffic-Data-Volumes': [
      { 'Accounting-Input-Octets': String(up) },
      { 'Accounting-Output-Octets': String(down) },
      { 'Change-Condition': condition },
      { 'Change-Time': at },
      { '3GPP-Charging-Id': 0xabcd },
      ...extra,
    ],
  });

  test('each container once, in order, as ChangeOfCharCondition with the CDR’s own ChangeCondition numbers', async () => {
    const cdf = await TestCdf.start();
    try {
      const sid = 'pgw.example.com;1700000000;tdv';
      const qos = tdv(1000, 2000, 2, '2024-01-01T00:05:00Z', [{ 'QoS-Information': [{ 'QoS-Class-Identifier': 9 }] }]);
      const uli = tdv(300, 400, 7, '2024-01-01T00:07:00Z', [{ '3GPP-User-Location-Info': { hex: '8200f110000100f1100000002a' } }]);
      const end = tdv(50, 60, 0, '2024-01-01T00:10:00Z');
      const odd = tdv(1, 1, 9, '2024-01-01T00:10:00Z'); // UE time zone change: no ChangeCondition of its own
      for (const [n, type, at, boxes] of [
        [0, 'START_RECORD', '2024-01-01T00:00:00Z', []],
        [1, 'INTERIM_RECORD', '2024-01-01T00:05:00Z', [qos]],
        [2, 'INTERIM_RECORD', '2024-01-01T00:07:00Z', [qos, uli]], // the first one again: once
        [3, 'STOP_RECORD', '2024-01-01T00:10:00Z', [end, odd]],
      ] as const) {
        assert.equal(resultCodeOf(await cdf.sendJson(pgw(sid, type, n, at, [...boxes]))), 2001);
      }
      const [c] = await cdf.cdrs(sid);
      assert.deepEqual(c!.fields.listOfServiceData, [], 'no Service-Data-Container was sent');
      assert.deepEqual(c!.fields.listOfTrafficVolumes, [
        {
          ePCQoSInformation: { 'QoS-Class-Identifier': [9] },
          dataVolumeGPRSUplink: '1000',
          dataVolumeGPRSDownlink: '2000',
          changeCondition: 0, // qoSChange
          changeTime: '2024-01-01T00:05:00Z',
          chargingID: 0xabcd,
        },
        {
          dataVolumeGPRSUplink: '300',
          dataVolumeGPRSDownlink: '400',
          changeCondition: 12, // userLocationChange
          changeTime: '2024-01-01T00:07:00Z',
          userLocationInformation: { hex: '8200f110000100f1100000002a' },
          chargingID: 0xabcd,
        },
        {
          dataVolumeGPRSUplink: '50',
          dataVolumeGPRSDownlink: '60',
          changeCondition: 2, // recordClosure
          changeTime: '2024-01-01T00:10:00Z',
          chargingID: 0xabcd,
        },
        { dataVolumeGPRSUplink: '1', dataVolumeGPRSDownlink: '1', changeTime: '2024-01-01T00:10:00Z', chargingID: 0xabcd },
      ]);
    } finally {
      await cdf.close();
    }
  });

  test('they count toward the partial volume limit; a partial record starts the next with an empty list', async () => {
    const cdf = await TestCdf.start({ settings: { partialVolumeLimit: 250 } });
    try {
      const sid = 'pgw.example.com;1700000000;tdv-partial';
      await cdf.send(pgw(sid, 'START_RECORD', 0, '2024-01-01T00:00:00Z', []));
      await cdf.send(pgw(sid, 'INTERIM_RECORD', 1, '2024-01-01T00:01:00Z', [tdv(100, 100, 4, '2024-01-01T00:01:00Z')]));
      assert.equal((await cdf.cdrs(sid)).length, 0, '200 octets: below the limit');
      await cdf.send(pgw(sid, 'INTERIM_RECORD', 2, '2024-01-01T00:02:00Z', [tdv(30, 30, 4, '2024-01-01T00:02:00Z')]));
      const [partial] = await cdf.cdrs(sid);
      assert.equal(partial?.causeForRecordClosing, 16, 'volumeLimit at 260 octets');
      assert.equal((partial!.fields.listOfTrafficVolumes as unknown[]).length, 2);
      await cdf.send(pgw(sid, 'STOP_RECORD', 3, '2024-01-01T00:03:00Z', []));
      const last = ordered(await cdf.cdrs(sid))[1]!;
      assert.equal(last.fields.listOfTrafficVolumes, undefined, 'none reported since the partial record');
    } finally {
      await cdf.close();
    }
  });
});

describe('partial CDRs (accounting-rf.md §5.4)', () => {
  const box = (lsn: number, at: string, vol = 100) =>
    sdc({ ratingGroup: 100, uplink: vol, downlink: 0, localSequenceNumber: lsn, changeTime: at });

  async function run(
    cdf: TestCdf,
    sid: string,
    steps: [AcrSpec['recordType'], string, AvpJson[]][],
  ): Promise<Cdr[]> {
    let n = 0;
    for (const [type, at, containers] of steps) {
      const aca = await cdf.sendJson(pgw(sid, type, n++, at, containers));
      assert.equal(resultCodeOf(aca), 2001);
    }
    return ordered(await cdf.cdrs(sid));
  }

  const shape = (cdrs: Cdr[]) =>
    cdrs.map((c) => ({
      seq: c.recordSequenceNumber,
      cause: c.causeForRecordClosing,
      open: c.recordOpeningTime.toISOString().slice(11, 19),
      close: c.recordClosingTime.toISOString().slice(11, 19),
      lsns: (c.fields.listOfServiceData as { localSequenceNumber: number }[]).map(
        (x) => x.localSequenceNumber,
      ),
      fieldSeq: c.fields.recordSequenceNumber,
    }));

  test('max containers 2 → maxChangeCond (19), then the STOP closes record 2', async () => {
    const cdf = await TestCdf.start({ settings: { partialMaxContainers: 2 } });
    try {
      const cdrs = await run(cdf, 'pgw;partial;containers', [
        ['START_RECORD', '2024-01-01T00:00:00Z', []],
        ['INTERIM_RECORD', '2024-01-01T00:01:00Z', [box(1, '2024-01-01T00:01:00Z')]],
        ['INTERIM_RECORD', '2024-01-01T00:02:00Z', [box(2, '2024-01-01T00:02:00Z')]],
        ['INTERIM_RECORD', '2024-01-01T00:03:00Z', [box(3, '2024-01-01T00:03:00Z')]],
        ['STOP_RECORD', '2024-01-01T00:04:00Z', [box(4, '2024-01-01T00:04:00Z')]],
      ]);
      assert.deepEqual(shape(cdrs), [
        { seq: 1, cause: 19, open: '00:00:00', close: '00:02:00', lsns: [1, 2], fieldSeq: 1 },
        { seq: 2, cause: 0, open: '00:02:00', close: '00:04:00', lsns: [3, 4], fieldSeq: 2 },
      ]);
      const local = cdrs.map((c) => c.localRecordSequenceNumber!);
      assert.ok(local[1]! > local[0]!, `localSequenceNumber increases: ${local}`);
    } finally {
      await cdf.close();
    }
  });

  test('volume limit 250 octets → volumeLimit (16) each time the sum reaches it', async () => {
    const cdf = await TestCdf.start({ settings: { partialVolumeLimit: 250 } });
    try {
      const cdrs = await run(cdf, 'pgw;partial;volume', [
        ['START_RECORD', '2024-01-01T00:00:00Z', []],
        ['INTERIM_RECORD', '2024-01-01T00:01:00Z', [box(1, '2024-01-01T00:01:00Z', 200)]],
        ['INTERIM_RECORD', '2024-01-01T00:02:00Z', [box(2, '2024-01-01T00:02:00Z', 60)]],
        ['INTERIM_RECORD', '2024-01-01T00:03:00Z', [box(3, '2024-01-01T00:03:00Z', 300)]],
        ['INTERIM_RECORD', '2024-01-01T00:04:00Z', [box(4, '2024-01-01T00:04:00Z', 10)]],
        ['STOP_RECORD', '2024-01-01T00:05:00Z', []],
      ]);
      assert.deepEqual(shape(cdrs), [
        { seq: 1, cause: 16, open: '00:00:00', close: '00:02:00', lsns: [1, 2], fieldSeq: 1 },
        { seq: 2, cause: 16, open: '00:02:00', close: '00:03:00', lsns: [3], fieldSeq: 2 },
        { seq: 3, cause: 0, open: '00:03:00', close: '00:05:00', lsns: [4], fieldSeq: 3 },
      ]);
      const open = await cdf.store.getSession({ sessionId: 'pgw;partial;volume' });
      assert.equal(open, undefined);
    } finally {
      await cdf.close();
    }
  });

  test('time limit 600 s on the Event-Timestamp clock → timeLimit (17) for P-GW, (3) for IMS', async () => {
    const cdf = await TestCdf.start({ settings: { partialTimeLimit: 600 } });
    try {
      const cdrs = await run(cdf, 'pgw;partial;time', [
        ['START_RECORD', '2024-01-01T00:00:00Z', []],
        ['INTERIM_RECORD', '2024-01-01T00:05:00Z', [box(1, '2024-01-01T00:05:00Z')]],
        ['INTERIM_RECORD', '2024-01-01T00:10:00Z', [box(2, '2024-01-01T00:10:00Z')]],
        ['INTERIM_RECORD', '2024-01-01T00:15:00Z', [box(3, '2024-01-01T00:15:00Z')]],
        ['INTERIM_RECORD', '2024-01-01T00:20:00Z', []],
        ['STOP_RECORD', '2024-01-01T00:21:00Z', [box(4, '2024-01-01T00:21:00Z')]],
      ]);
      assert.deepEqual(shape(cdrs), [
        { seq: 1, cause: 17, open: '00:00:00', close: '00:10:00', lsns: [1, 2], fieldSeq: 1 },
        { seq: 2, cause: 17, open: '00:10:00', close: '00:20:00', lsns: [3], fieldSeq: 2 },
        { seq: 3, cause: 0, open: '00:20:00', close: '00:21:00', lsns: [4], fieldSeq: 3 },
      ]);
      // The session row carries the partial number across ACRs (and restarts).
      const sid = 'ims;partial;time';
      const ims = (type: AcrSpec['recordType'], n: number, at: string): AcrSpec => ({
        sessionId: sid,
        recordType: type,
        recordNumber: n,
        eventTimestamp: at,
        serviceContextId: '32260@3gpp.org',
        serviceInformation: imsServiceInformation(),
      });
      await cdf.send(ims('START_RECORD', 0, '2024-01-01T00:00:00Z'));
      await cdf.send(ims('INTERIM_RECORD', 1, '2024-01-01T00:11:00Z'));
      assert.equal((await cdf.store.getSession({ sessionId: sid }))?.partialSequence, 1);
      await cdf.send(ims('STOP_RECORD', 2, '2024-01-01T00:12:00Z'));
      const got = ordered(await cdf.cdrs(sid)).map((c) => [
        c.kind,
        c.recordSequenceNumber,
        c.causeForRecordClosing,
      ]);
      assert.deepEqual(got, [
        ['ims', 1, 3],
        ['ims', 2, 0],
      ]);
    } finally {
      await cdf.close();
    }
  });

  test('no limit configured → no partial records', async () => {
    const cdf = await TestCdf.start();
    try {
      const cdrs = await run(cdf, 'pgw;partial;none', [
        ['START_RECORD', '2024-01-01T00:00:00Z', []],
        ['INTERIM_RECORD', '2024-01-01T05:00:00Z', [box(1, '2024-01-01T05:00:00Z', 1e9)]],
        ['STOP_RECORD', '2024-01-01T10:00:00Z', [box(2, '2024-01-01T10:00:00Z')]],
      ]);
      assert.deepEqual(shape(cdrs), [
        { seq: undefined, cause: 0, open: '00:00:00', close: '10:00:00', lsns: [1, 2], fieldSeq: undefined },
      ]);
    } finally {
      await cdf.close();
    }
  });
});
