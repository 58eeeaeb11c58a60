/**
 * The simulated CDF end to end over TCP (accounting-rf.md §5.2, §6.2): an IMS session START (vector 05) →
 * INTERIM → STOP makes exactly one S-CSCF CDR (recordType 63) whose TS 32.298 fields come from the ACRs;
 * the ACA has the shape of vector 06 (byte for byte, with Acct-Interim-Interval when the CDF imposes one);
 * every ACA 2001 is sent only after its update is in the store; an EVENT makes one event CDR.
 * Expected values are the inputs the test sends (vector 05's), never read back from the code under test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Message } from '../../src/codec/types.js';
import {
  acr,
  acrJson,
  dictionary,
  imsServiceInformation,
  vectorJson,
  type AcrSpec,
} from '../helpers/acr-builder.js';
import { TestCdf, resultCodeOf } from '../helpers/cdf-server.js';
import { loadVector } from '../helpers/vectors.js';
import { messageFromJson } from '../../src/dictionary/message-format.js';

const IMS = '32260@3gpp.org';

/** Vector 05 as a message: ACR START of an S-CSCF, originating INVITE, End-to-End 0x7f000003. */
function vector05(): Message {
  return messageFromJson(vectorJson('05-acr-start'), dictionary());
}

/** The answer's octets with the Hop-by-Hop id replaced (the only field the connection chooses). */
function withHopByHop(bytes: Uint8Array, hbh: number): Buffer {
  const b = Buffer.from(bytes);
  b.writeUInt32BE(hbh, 12);
  return b;
}

describe('IMS session START → INTERIM → STOP', () => {
  let cdf: TestCdf;
  const sid = 'ctf.example.com;1700000000;1'; // vector 05's Session-Id
  before(async () => {
    cdf = await TestCdf.start({ settings: { interimInterval: 300 } });
  });
  after(() => cdf.close());

  test('ACA START is vector 06 byte for byte (Acct-Interim-Interval 300 imposed)', async () => {
    const aca = await cdf.send(vector05());
    const expected = loadVector('06-aca-start').bytes;
    assert.ok(aca.raw, 'the answer keeps its octets');
    assert.equal(aca.endToEndId, 0x7f000003, 'End-to-End id of the ACR');
    assert.equal(
      Buffer.from(aca.raw).toString('hex'),
      withHopByHop(expected, aca.hopByHopId).toString('hex'),
    );
    // Answered only after the commit: the open session is already in the store.
    const s = await cdf.store.getSession({ sessionId: sid });
    assert.equal(s?.state, 'open');
    assert.equal(s?.lastRecordNumber, 0);
    assert.equal(s?.interimInterval, 300);
    assert.equal((await cdf.cdrs(sid)).length, 0, 'no CDR while the session is open');
  });

  test('INTERIM is answered with its type/number and the interval; STOP without the interval', async () => {
    const interim = await cdf.sendJson({
      sessionId: sid,
      recordType: 'INTERIM_RECORD',
      recordNumber: 1,
      eventTimestamp: '2024-01-01T00:05:00Z',
      serviceContextId: IMS,
      serviceInformation: imsServiceInformation({
        sipMethod: 'INVITE',
        requestTime: '2024-01-01T00:05:00Z',
        responseTime: '2024-01-01T00:05:00Z',
        ioi: { originating: 'ioi.example.com', terminating: 'ioi.example.net' },
      }),
    });
    assert.deepEqual(interim.avps.slice(1), [
      { 'Result-Code': 2001 },
      { 'Origin-Host': 'cdf.example.net' },
      { 'Origin-Realm': 'example.net' },
      { 'Accounting-Record-Type': 'INTERIM_RECORD' },
      { 'Accounting-Record-Number': 1 },
      { 'Acct-Application-Id': 3 },
      { 'Acct-Interim-Interval': 300 },
    ]);
    assert.equal(
      (await cdf.store.getSession({ sessionId: sid }))?.lastRecordNumber,
      1,
      'INTERIM stored before its ACA',
    );

    const stop = await cdf.sendJson({
      sessionId: sid,
      recordType: 'STOP_RECORD',
      recordNumber: 2,
      eventTimestamp: '2024-01-01T00:10:01Z',
      serviceContextId: IMS,
      serviceInformation: imsServiceInformation({
        sipMethod: 'BYE',
        requestTime: '2024-01-01T00:10:00Z',
        responseTime: '',
      }),
    });
    assert.deepEqual(stop.avps.slice(1), [
      { 'Result-Code': 2001 },
      { 'Origin-Host': 'cdf.example.net' },
      { 'Origin-Realm': 'example.net' },
      { 'Accounting-Record-Type': 'STOP_RECORD' },
      { 'Accounting-Record-Number': 2 },
      { 'Acct-Application-Id': 3 },
    ]);
    assert.equal(
      await cdf.store.getSession({ sessionId: sid }),
      undefined,
      'session dropped when the STOP committed',
    );
  });

  test('one S-CSCF CDR, field by field', async () => {
    const cdrs = await cdf.cdrs(sid);
    assert.equal(cdrs.length, 1);
    const c = cdrs[0]!;
    assert.equal(c.kind, 'ims');
    assert.equal(c.recordType, 63, 'Node-Functionality S-CSCF → sCSCFRecord');
    assert.equal(c.sessionId, sid, 'the Diameter Session-Id keys the record');
    assert.equal(c.originHost, 'ctf.example.com');
    assert.equal(
      c.recordOpeningTime.toISOString(),
      '2024-01-01T00:00:02.000Z',
      'Event-Timestamp of the START',
    );
    assert.equal(
      c.recordClosingTime.toISOString(),
      '2024-01-01T00:10:01.000Z',
      'Event-Timestamp of the STOP',
    );
    assert.equal(c.duration, 599);
    assert.equal(c.causeForRecordClosing, 0, 'serviceDeliveryEndSuccessfully');
    assert.deepEqual(c.servedParty, [{ type: 2, data: 'sip:alice@example.com' }], 'END_USER_SIP_URI = 2');
    assert.deepEqual(c.anomalies, []);
    assert.equal(c.recordSequenceNumber, undefined, 'the only record of the session is not partial');
    const f = c.fields;
    assert.equal(f.recordType, 63);
    assert.equal(f['sIP-Method'], 'INVITE', 'from the START, not the BYE');
    assert.equal(f['role-of-Node'], 'ORIGINATING_ROLE');
    assert.equal(f.nodeAddress, 'ctf.example.com');
    assert.equal(
      f['session-Id'],
      'call-0001@ctf.example.com',
      'User-Session-Id (SIP Call-ID), not the Diameter Session-Id',
    );
    assert.deepEqual(f['list-Of-Calling-Party-Address'], ['sip:alice@example.com']);
    assert.equal(f['called-Party-Address'], 'sip:bob@example.net');
    assert.equal(f.privateUserID, 'alice@example.com', 'User-Name');
    assert.equal(
      f.serviceRequestTimeStamp,
      '2024-01-01T00:00:00Z',
      'SIP-Request-Timestamp of the START (INVITE)',
    );
    assert.equal(
      f.serviceDeliveryStartTimeStamp,
      '2024-01-01T00:00:02Z',
      'SIP-Response-Timestamp of the START (200 OK)',
    );
    assert.equal(
      f.serviceDeliveryEndTimeStamp,
      '2024-01-01T00:10:00Z',
      'SIP-Request-Timestamp of the STOP (BYE)',
    );
    assert.equal(f['iMS-Charging-Identifier'], 'icid-0001');
    assert.deepEqual(f.interOperatorIdentifiers, [
      { originatingIOI: 'ioi.example.com', terminatingIOI: 'ioi.example.net' },
    ]);
    assert.equal(f.serviceContextID, IMS);
    assert.equal(f.recordOpeningTime, '2024-01-01T00:00:02.000Z');
    assert.equal(f.recordClosureTime, '2024-01-01T00:10:01.000Z');
    assert.equal(f.causeForRecordClosing, 0);
    assert.equal(f['incomplete-CDR-Indication'], undefined);
    assert.equal(typeof f.localRecordSequenceNumber, 'number');
    assert.equal(f.localRecordSequenceNumber, c.localRecordSequenceNumber);
    // The raw ACRs ride along in the JSON form: the first is vector 05, the last the STOP.
    const raw = c.rawAvps as { first: Record<string, unknown>[]; last: Record<string, unknown>[] };
    assert.deepEqual(raw.first, vectorJson('05-acr-start').avps);
    assert.deepEqual(
      raw.last.find((a) => 'Accounting-Record-Type' in a),
      { 'Accounting-Record-Type': 'STOP_RECORD' },
    );
  });
});

describe('ACA without an imposed interval, and EVENT records', () => {
  let cdf: TestCdf;
  before(async () => {
    cdf = await TestCdf.start();
  });
  after(() => cdf.close());

  test('ACA START is vector 06 without Acct-Interim-Interval', async () => {
    const aca = await cdf.sendJson(vector05());
    const expected = vectorJson('06-aca-start').avps.filter((a) => !('Acct-Interim-Interval' in a));
    assert.deepEqual(aca.avps, expected);
    assert.equal(aca.flags, 'P', 'E clear, P copied');
  });

  const event = (n: number, over: Partial<AcrSpec> = {}, causeCode?: number): AcrSpec => ({
    sessionId: `ctf.example.com;1700000000;ev${n}`,
    recordType: 'EVENT_RECORD',
    recordNumber: 0,
    userName: 'alice@example.com',
    eventTimestamp: '2024-01-01T01:00:00Z',
    serviceContextId: IMS,
    serviceInformation: imsServiceInformation({
      sipMethod: 'REGISTER',
      userSessionId: `reg-${n}`,
      called: 'sip:example.com',
      responseTime: '',
      causeCode,
    }),
    ...over,
  });

  test('EVENT → one closed event CDR, no session kept, ACA without interval', async () => {
    const aca = await cdf.sendJson(event(1));
    assert.equal(resultCodeOf(aca), 2001);
    assert.deepEqual(
      aca.avps.find((a) => 'Accounting-Record-Type' in a),
      { 'Accounting-Record-Type': 'EVENT_RECORD' },
    );
    assert.equal(
      aca.avps.some((a) => 'Acct-Interim-Interval' in a),
      false,
    );
    const cdrs = await cdf.cdrs('ctf.example.com;1700000000;ev1');
    assert.equal(cdrs.length, 1);
    const c = cdrs[0]!;
    assert.equal(c.kind, 'event');
    assert.equal(c.recordType, 63);
    assert.equal(c.causeForRecordClosing, 0);
    assert.equal(c.recordOpeningTime.toISOString(), '2024-01-01T01:00:00.000Z');
    assert.equal(
      c.recordClosingTime.toISOString(),
      '2024-01-01T01:00:00.000Z',
      'an event starts and ends at once',
    );
    assert.equal(c.duration, 0);
    assert.equal(c.fields['sIP-Method'], 'REGISTER');
    assert.equal(c.fields['session-Id'], 'reg-1');
    assert.equal(c.fields['serviceDeliveryEndTimeStamp'], undefined);
    assert.equal(await cdf.store.getSession({ sessionId: 'ctf.example.com;1700000000;ev1' }), undefined);
  });

  test('EVENT with a failure Cause-Code (≥ 1) closes with unSuccessfulServiceDelivery (1)', async () => {
    await cdf.send(event(2, {}, 403));
    const [c] = await cdf.cdrs('ctf.example.com;1700000000;ev2');
    assert.equal(c?.causeForRecordClosing, 1);
    await cdf.send(event(3, {}, -1)); // -1: successful transaction (accounting-rf.md §4.1)
    const [d] = await cdf.cdrs('ctf.example.com;1700000000;ev3');
    assert.equal(d?.causeForRecordClosing, 0);
  });

  test('an EVENT without Service-Information is a generic event CDR', async () => {
    await cdf.send(
      acr({ sessionId: 'ctf.example.com;1700000000;ev4', recordType: 'EVENT_RECORD', recordNumber: 0 }),
    );
    const [c] = await cdf.cdrs('ctf.example.com;1700000000;ev4');
    assert.equal(c?.kind, 'event');
    assert.equal(c?.recordType, undefined, 'no TS 32.298 record type is known');
    assert.deepEqual(c?.servedParty, []);
  });

  test('each IMS node functionality gets its TS 32.298 record type (accounting-rf.md §6.1)', async () => {
    // Node-Functionality (862) → RecordType: the values of accounting-rf.md §6.1's list.
    const expected: [string, number][] = [
      ['P-CSCF', 64],
      ['I-CSCF', 65],
      ['MRFC', 66],
      ['MGCF', 67],
      ['BGCF', 68],
      ['AS', 69],
      ['E-CSCF', 70],
      ['IBCF', 82],
    ];
    for (const [nf, rt] of expected) {
      const sessionId = `ctf.example.com;1700000000;nf-${nf}`;
      const si = imsServiceInformation({ nodeFunctionality: nf });
      const base = { sessionId, serviceContextId: IMS, serviceInformation: si };
      assert.equal(resultCodeOf(await cdf.sendJson({ ...base, recordType: 'START_RECORD', recordNumber: 0, eventTimestamp: '2024-01-01T00:00:00Z' })), 2001);
      assert.equal(resultCodeOf(await cdf.sendJson({ ...base, recordType: 'STOP_RECORD', recordNumber: 1, eventTimestamp: '2024-01-01T00:00:30Z' })), 2001);
      const [c] = await cdf.cdrs(sessionId);
      assert.equal(c?.kind, 'ims', nf);
      assert.equal(c?.recordType, rt, `${nf} → recordType ${rt}`);
      assert.equal(c?.fields.recordType, rt);
      assert.equal(c?.duration, 30);
    }
  });

  test('the JSON form of an ACR round-trips through the builder', () => {
    // Guards the helper itself: vector 05 rebuilt from parts equals the fixture.
    const j = acrJson({
      sessionId: 'ctf.example.com;1700000000;1',
      recordType: 'START_RECORD',
      recordNumber: 0,
      userName: 'alice@example.com',
      eventTimestamp: '2024-01-01T00:00:02Z',
      serviceContextId: IMS,
      serviceInformation: imsServiceInformation(),
    });
    assert.deepEqual(j.avps, vectorJson('05-acr-start').avps);
  });
});
