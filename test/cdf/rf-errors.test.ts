/**
 * ACRs the CDF refuses, over TCP (accounting-rf.md §5.1, §5.6): a missing Accounting-Record-Number gets
 * the ACA of vector 10 (5005, E clear, Failed-AVP with a zero-filled example); Accounting-Record-Type 7
 * gets the E-bit answer of vector 12 byte for byte (5012, Failed-AVP holding the AVP as received), also
 * with grammar validation off; Acct-Application-Id other than 3 gets 5004 in an ACA; a store that cannot
 * commit gets 4002 DIAMETER_OUT_OF_SPACE; one with too many records waiting gets 3004 DIAMETER_TOO_BUSY. None
 * of them writes a CDR or a session.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { messageFromJson, messageToJson } from '../../src/dictionary/message-format.js';
import {
  acr,
  acrJson,
  dictionary,
  imsServiceInformation,
  pgwServiceInformation,
  sdc,
  vectorJson,
} from '../helpers/acr-builder.js';
import { TestCdf, resultCodeOf } from '../helpers/cdf-server.js';
import { loadVector } from '../helpers/vectors.js';

/** Top-level AVPs of a message read straight from its octets (RFC 6733 §4.1): code → its padded octets. */
function rawAvps(bytes: Uint8Array): Map<number, Buffer> {
  const b = Buffer.from(bytes);
  const out = new Map<number, Buffer>();
  for (let off = 20; off < b.length;) {
    const code = b.readUInt32BE(off);
    const len = b.readUInt32BE(off + 4) & 0xffffff;
    const padded = (len + 3) & ~3;
    out.set(code, b.subarray(off, off + padded));
    off += padded;
  }
  return out;
}

describe('ACRs the CDF refuses', () => {
  let cdf: TestCdf;
  before(async () => {
    cdf = await TestCdf.start({ settings: { interimInterval: 300 } });
  });
  after(() => cdf.close());

  test('no Accounting-Record-Number → ACA 5005 shaped as vector 10', async () => {
    const j = acrJson({
      sessionId: 'ctf.example.com;1700000000;3',
      recordType: 'START_RECORD',
      recordNumber: null,
    });
    j.endToEnd = '0x7f000006';
    const aca = await cdf.send(messageFromJson(j, dictionary()));
    const got = messageToJson(aca, dictionary());
    const want = vectorJson('10-aca-5005-failed-avp');
    assert.equal(got.flags, 'P', 'E clear: the ACA grammar (RFC 6733 §7.1.5)');
    assert.equal(got.endToEnd, want.endToEnd);
    const noText = (avps: typeof got.avps) => avps.filter((a) => !('Error-Message' in a));
    assert.deepEqual(
      noText(got.avps),
      noText(want.avps),
      'every AVP of vector 10, in its order, no Acct-Interim-Interval',
    );
    const text = got.avps.find((a) => 'Error-Message' in a)?.['Error-Message'];
    assert.match(String(text), /Accounting-Record-Number/);
    // Failed-AVP octet for octet as in vector 10: code 485, M set, a zero-filled 4-octet value.
    const vector = loadVector('10-aca-5005-failed-avp').bytes;
    assert.equal(rawAvps(aca.raw!).get(279)!.toString('hex'), rawAvps(vector).get(279)!.toString('hex'));
    assert.equal(await cdf.store.getSession({ sessionId: 'ctf.example.com;1700000000;3' }), undefined);
  });

  test('Accounting-Record-Type 7 → the E-bit answer of vector 12, byte for byte', async () => {
    const j = acrJson({
      sessionId: 'ctf.example.com;1700000000;4',
      recordType: 7,
      recordNumber: 0,
      serviceContextId: '32260@3gpp.org',
      serviceInformation: imsServiceInformation(),
    });
    j.endToEnd = '0x7f000007';
    const aca = await cdf.send(messageFromJson(j, dictionary()));
    const want = Buffer.from(loadVector('12-error-5012-ebit-failed-avp').bytes);
    want.writeUInt32BE(aca.hopByHopId, 12); // the only field the connection chooses
    assert.equal(Buffer.from(aca.raw!).toString('hex'), want.toString('hex'));
    assert.equal((await cdf.cdrs('ctf.example.com;1700000000;4')).length, 0);
  });

  test('record type 0 and 5 get the same answer; so does 7 when grammar validation is off', async () => {
    for (const t of [0, 5]) {
      const got = await cdf.sendJson(
        acr({ sessionId: `ctf.example.com;1;type${t}`, recordType: t, recordNumber: 0 }),
      );
      assert.equal(got.flags, 'PE');
      assert.equal(resultCodeOf(got), 5012);
      assert.deepEqual(got.avps.at(-1), { 'Failed-AVP': [{ 'Accounting-Record-Type': t }] });
    }
    // The application's own check (RfOptions with a node that does not validate) answers the same way.
    const req = messageFromJson(vectorJson('05-acr-start'), dictionary());
    req.avps = req.avps.map((a) => (a.code === 480 && a.vendorId === 0 ? { ...a, value: 7 } : a));
    req.avps[0] = { ...req.avps[0]!, value: 'ctf.example.com;1700000000;4' };
    req.hopByHopId = 0x4a5b0007;
    req.endToEndId = 0x7f000007;
    const direct = await cdf.rf.onAcr(req, cdf.server.identity);
    assert.deepEqual(messageToJson(direct, dictionary()), vectorJson('12-error-5012-ebit-failed-avp'));
  });

  test('Acct-Application-Id 4 → ACA 5004 with the AVP in Failed-AVP (E clear)', async () => {
    const j = acrJson({ sessionId: 'ctf.example.com;1;app4', recordType: 'START_RECORD', recordNumber: 0 });
    j.avps = j.avps.map((a) => ('Acct-Application-Id' in a ? { 'Acct-Application-Id': 4 } : a));
    const got = await cdf.sendJson(messageFromJson(j, dictionary()));
    assert.equal(got.flags, 'P');
    assert.equal(resultCodeOf(got), 5004);
    assert.deepEqual(
      got.avps.find((a) => 'Accounting-Record-Type' in a),
      { 'Accounting-Record-Type': 'START_RECORD' },
    );
    assert.deepEqual(got.avps.at(-1), { 'Failed-AVP': [{ 'Acct-Application-Id': 4 }] });
    assert.equal(await cdf.store.getSession({ sessionId: 'ctf.example.com;1;app4' }), undefined);
  });
});

test('a store that cannot commit → ACA 4002 DIAMETER_OUT_OF_SPACE (accounting-rf.md §5.6)', async () => {
  const cdf = await TestCdf.start();
  try {
    await cdf.store.close(); // every commit now fails with STORE_CLOSED
    const got = await cdf.sendJson(
      acr({ sessionId: 'ctf.example.com;1;full', recordType: 'EVENT_RECORD', recordNumber: 0 }),
    );
    assert.equal(resultCodeOf(got), 4002);
    assert.equal(got.flags, 'P', 'transient failure in the ACA grammar');
    assert.deepEqual(
      got.avps.find((a) => 'Accounting-Record-Type' in a),
      { 'Accounting-Record-Type': 'EVENT_RECORD' },
    );
    assert.match(String(got.avps.find((a) => 'Error-Message' in a)?.['Error-Message']), /store/i);
  } finally {
    await cdf.close();
  }
});

test('after a failed commit (4002) the CTF retry is applied, not taken for a duplicate', async () => {
  const cdf = await TestCdf.start();
  const store = cdf.store;
  const commit = store.commit.bind(store);
  let failNext = false;
  // The group committer calls store.commit: fail the next one as a full disk would.
  store.commit = async (batch) => {
    if (failNext) {
      failNext = false;
      throw new Error('disk full');
    }
    return commit(batch);
  };
  const sid = 'pgw.example.com;1;retry';
  const ps = (type: 'START_RECORD' | 'INTERIM_RECORD' | 'STOP_RECORD', n: number, lsn?: number) =>
    acr({
      sessionId: sid,
      recordType: type,
      recordNumber: n,
      eventTimestamp: `2024-01-01T00:0${n}:00Z`,
      serviceContextId: '32251@3gpp.org',
      serviceInformation: pgwServiceInformation(
        lsn === undefined
          ? []
          : [
              sdc({
                ratingGroup: 1,
                uplink: 1,
                downlink: 2,
                localSequenceNumber: lsn,
                changeTime: `2024-01-01T00:0${n}:00Z`,
              }),
            ],
        { stop: type === 'STOP_RECORD' },
      ),
    });
  try {
    assert.equal(resultCodeOf(await cdf.sendJson(ps('START_RECORD', 0))), 2001);
    failNext = true;
    assert.equal(resultCodeOf(await cdf.sendJson(ps('INTERIM_RECORD', 1, 1))), 4002);
    assert.equal(
      (await store.getSession({ sessionId: sid }))?.lastRecordNumber,
      0,
      'nothing of the INTERIM stored',
    );
    const dups = cdf.rf.sessions.counters.duplicates;
    assert.equal(resultCodeOf(await cdf.sendJson(ps('INTERIM_RECORD', 1, 1))), 2001);
    assert.equal(cdf.rf.sessions.counters.duplicates, dups, 'the retry was applied, not a duplicate');
    assert.equal((await store.getSession({ sessionId: sid }))?.lastRecordNumber, 1);

    failNext = true;
    assert.equal(resultCodeOf(await cdf.sendJson(ps('STOP_RECORD', 2, 2))), 4002);
    assert.equal((await cdf.cdrs(sid)).length, 0);
    assert.equal(resultCodeOf(await cdf.sendJson(ps('STOP_RECORD', 2, 2))), 2001);
    const cdrs = await cdf.cdrs(sid);
    assert.equal(cdrs.length, 1, 'one CDR from the retried STOP');
    assert.deepEqual(cdrs[0]!.anomalies, [], 'the START was not forgotten (no aCRStartLost)');
    assert.deepEqual(
      (cdrs[0]!.fields.listOfServiceData as { localSequenceNumber: number }[]).map(
        (c) => c.localSequenceNumber,
      ),
      [1, 2],
    );
  } finally {
    await cdf.close();
  }
});

test('a CDF with more records waiting than it takes → 3004 DIAMETER_TOO_BUSY, E bit; the refused record is not kept', async () => {
  // accounting-rf.md §5.6: "overloaded, CTF should use another CDF". One row may wait behind the commit in
  // flight; the commit is held until the test lets it go.
  const cdf = await TestCdf.start({ commit: { maxPendingItems: 1 } });
  const store = cdf.store;
  const commit = store.commit.bind(store);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  store.commit = async (batch) => {
    await gate;
    return commit(batch);
  };
  const start = (n: number) =>
    acr({ sessionId: `ctf.example.com;1;busy${n}`, recordType: 'START_RECORD', recordNumber: 0 });
  const pause = () => new Promise((r) => setTimeout(r, 30));
  try {
    const first = cdf.sendJson(start(1)); // its commit is in flight, held at the gate
    await pause();
    const second = cdf.sendJson(start(2)); // waits behind it: the one row allowed
    await pause();
    const third = await cdf.sendJson(start(3));
    assert.equal(resultCodeOf(third), 3004);
    assert.equal(third.flags, 'PE', 'a protocol error: the answer-message form with the E bit');
    assert.deepEqual(third.avps[0], { 'Session-Id': 'ctf.example.com;1;busy3' });
    assert.match(String(third.avps.find((a) => 'Error-Message' in a)?.['Error-Message']), /overloaded/);
    release();
    assert.equal(resultCodeOf(await first), 2001);
    assert.equal(resultCodeOf(await second), 2001);
    assert.equal((await store.getSession({ sessionId: 'ctf.example.com;1;busy2' }))?.state, 'open');
    assert.equal(await store.getSession({ sessionId: 'ctf.example.com;1;busy3' }), undefined);
    assert.equal(cdf.rf.sessions.sessions.has('ctf.example.com;1;busy3'), false, 'memory forgot it too');
    // Sent again (to this CDF, now idle): a new record, not a duplicate.
    const dups = cdf.rf.sessions.counters.duplicates;
    assert.equal(resultCodeOf(await cdf.sendJson(start(3))), 2001);
    assert.equal(cdf.rf.sessions.counters.duplicates, dups);
    assert.equal((await store.getSession({ sessionId: 'ctf.example.com;1;busy3' }))?.state, 'open');
  } finally {
    release();
    await cdf.close();
  }
});

test('a duplicate that arrives while the original is being stored is answered with the original’s outcome', async () => {
  // RFC 6733 §9.6 / accounting-rf.md §5.3: a duplicate's 2001 promises the original is stored, so it may not
  // be sent before the original's commit; if that commit fails, the duplicate gets its 4002 too.
  const cdf = await TestCdf.start();
  const store = cdf.store;
  const commit = store.commit.bind(store);
  let release!: (fail: boolean) => void;
  let gate = new Promise<boolean>((r) => (release = r));
  store.commit = async (batch) => {
    if (await gate) throw new Error('disk full');
    return commit(batch);
  };
  const start = (sid: string) => acr({ sessionId: sid, recordType: 'START_RECORD', recordNumber: 0 });
  const pause = () => new Promise((r) => setTimeout(r, 30));
  try {
    for (const fail of [false, true]) {
      const sid = `ctf.example.com;1;dup-${fail}`;
      const answered: string[] = [];
      const original = cdf.sendJson(start(sid)).then((a) => (answered.push('original'), a));
      await pause();
      const copy = cdf.sendJson(start(sid)).then((a) => (answered.push('copy'), a));
      await pause();
      assert.deepEqual(answered, [], 'neither is answered while the commit is held');
      release(fail);
      const [o, c] = await Promise.all([original, copy]);
      assert.equal(resultCodeOf(o), fail ? 4002 : 2001);
      assert.equal(resultCodeOf(c), fail ? 4002 : 2001, 'the copy gets the original’s outcome');
      assert.equal((await store.getSession({ sessionId: sid }))?.state, fail ? undefined : 'open');
      gate = new Promise<boolean>((r) => (release = r));
    }
  } finally {
    release(false);
    await cdf.close();
  }
});
