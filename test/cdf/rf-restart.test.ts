/**
 * CTF restart detection (accounting-rf.md §5.5, RFC 6733 §8.16), end to end: a CTF that comes back with a
 * higher Origin-State-Id, in its CER, in a DWR or in an ACR, has lost its sessions, and the CDF closes the
 * ones it opened under the lower value at once (aCRStopLost and ctfRestarted, as supervision would close
 * them later). Other CTFs' sessions, and sessions opened under the new value, stay open; so do sessions
 * when the value is the same or lower. Sessions resumed after a restart of the CDF are judged the same way.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Message } from '../../src/codec/types.js';
import type { Cdr } from '../../src/cdf/store.js';
import { DiameterNode } from '../../src/node/node.js';
import type { Peer } from '../../src/peer/peer.js';
import {
  acr,
  dictionary,
  imsServiceInformation,
  pgwServiceInformation,
  sdc,
  type AcrSpec,
} from '../helpers/acr-builder.js';
import { TestCdf, waitFor } from '../helpers/cdf-server.js';
import { AVP, acr as rawAcr, avp, cer, dwr, resultCode } from '../helpers/raw-peer.js';
import { attach } from '../node/fixture.js';

const IMS = '32260@3gpp.org';
const PS = '32251@3gpp.org';

function ims(host: string, sessionId: string, recordType: AcrSpec['recordType'], n: number, at: string, osi?: number): AcrSpec {
  return {
    sessionId,
    originHost: host,
    recordType,
    recordNumber: n,
    eventTimestamp: at,
    serviceContextId: IMS,
    serviceInformation: imsServiceInformation(),
    extra: osi === undefined ? [] : [{ 'Origin-State-Id': osi }],
  };
}

function ps(host: string, sessionId: string, recordType: AcrSpec['recordType'], n: number, at: string): AcrSpec {
  return {
    sessionId,
    originHost: host,
    recordType,
    recordNumber: n,
    eventTimestamp: at,
    serviceContextId: PS,
    serviceInformation: pgwServiceInformation(
      recordType === 'STOP_RECORD' ? [sdc({ ratingGroup: 1, uplink: 10, downlink: 20, localSequenceNumber: 1, changeTime: at })] : [],
      { stop: recordType === 'STOP_RECORD' },
    ),
  };
}

/** A CTF node of its own (its CER carries `originStateId`), connected to the CDF over TCP. */
async function ctf(cdf: TestCdf, originHost: string, originStateId: number): Promise<{ node: DiameterNode; peer: Peer }> {
  const node = new DiameterNode({
    dictionary: dictionary(),
    identity: { originHost, originRealm: 'example.com', originStateId },
    shutdownTimeoutMs: 1000,
  });
  node.register({ id: 3, name: 'rf-client', kind: 'acct', commands: new Map() });
  const peer = await node.connect({ host: '127.0.0.1', port: cdf.port }, { timeoutMs: 5000 });
  return { node, peer };
}

function rc(m: Message): unknown {
  return m.avps.find((a) => a.code === 268 && a.vendorId === 0)?.value;
}

async function send(peer: Peer, s: AcrSpec): Promise<void> {
  assert.equal(rc(await peer.request(acr(s), { timeoutMs: 5000 })), 2001, `ACA for ${s.sessionId} ${s.recordType}`);
}

function assertLost(c: Cdr, cause: number, closedAt: string): void {
  assert.ok(c.anomalies.includes('aCRStopLost') && c.anomalies.includes('ctfRestarted'), c.anomalies.join());
  assert.deepEqual(c.fields['incomplete-CDR-Indication'], { aCRStopLost: true });
  assert.equal(c.causeForRecordClosing, cause);
  assert.equal(c.recordClosingTime.toISOString(), closedAt, 'closed at the time of its last ACR');
}

describe('CTF restart (accounting-rf.md §5.5: a higher Origin-State-Id)', () => {
  test('a CTF that reconnects with a higher Origin-State-Id in its CER: what it opened before closes at once', async () => {
    // Supervision would wait 20 minutes: whatever closes here, the restart closed.
    const cdf = await TestCdf.start({ settings: { interimInterval: 600 } });
    const nodes: DiameterNode[] = [];
    try {
      const A = 'ctf-a.example.com';
      const a1 = await ctf(cdf, A, 100);
      const b = await ctf(cdf, 'ctf-b.example.com', 5);
      nodes.push(a1.node, b.node);
      await send(a1.peer, ims(A, 'a;ims', 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
      await send(a1.peer, ims(A, 'a;ims', 'INTERIM_RECORD', 1, '2024-01-01T00:01:00Z'));
      await send(a1.peer, ps(A, 'a;pgw', 'START_RECORD', 0, '2024-01-01T00:00:30Z'));
      await send(b.peer, ims('ctf-b.example.com', 'b;ims', 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
      await a1.node.stop();
      assert.equal((await cdf.cdrs('a;ims')).length, 0, 'a disconnection alone closes nothing');

      const a2 = await ctf(cdf, A, 101);
      nodes.push(a2.node);
      const imsCdr = await waitFor(async () => (await cdf.cdrs('a;ims'))[0], 'the IMS session of the restarted CTF to close');
      const pgwCdr = await waitFor(async () => (await cdf.cdrs('a;pgw'))[0], 'its P-GW session to close');
      assertLost(imsCdr, 5, '2024-01-01T00:01:00.000Z'); // IMS managementIntervention
      assertLost(pgwCdr, 4, '2024-01-01T00:00:30.000Z'); // P-GW abnormalRelease
      assert.equal(cdf.rf.sessions.counters.restartClosed, 2);
      assert.equal(cdf.rf.sessions.counters.anomalies.ctfRestarted, 2);
      assert.ok(cdf.rf.sessions.sessions.has('b;ims'), 'another CTF keeps its session');
      assert.deepEqual(await cdf.cdrs('b;ims'), []);
      assert.ok(!cdf.rf.sessions.sessions.has('a;ims'));

      // The restarted CTF numbers its sessions from the start again: the same Session-Id is a new session,
      // not a duplicate of the one it lost.
      const dups = cdf.rf.sessions.counters.duplicates;
      await send(a2.peer, ims(A, 'a;ims', 'START_RECORD', 0, '2024-01-01T01:00:00Z'));
      assert.equal(cdf.rf.sessions.counters.duplicates, dups);
      assert.deepEqual(cdf.rf.sessions.sessions.get('a;ims')?.anomalies, []);
      // A STOP for a session the CDF closed: a record of its own, without START.
      await send(a2.peer, ps(A, 'a;pgw', 'STOP_RECORD', 2, '2024-01-01T01:00:10Z'));
      const late = (await cdf.cdrs('a;pgw')).find((c) => c.id !== pgwCdr.id);
      assert.ok(late?.anomalies.includes('aCRStartLost'), 'STOP after the restart close: aCRStartLost');

      // Reconnecting with the same value again is no restart.
      await a2.node.stop();
      const a3 = await ctf(cdf, A, 101);
      nodes.push(a3.node);
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(cdf.rf.sessions.sessions.has('a;ims'), 'the same Origin-State-Id closes nothing');
      assert.equal(cdf.rf.sessions.counters.restartClosed, 2);
    } finally {
      for (const n of nodes) await n.stop();
      await cdf.close();
    }
  });

  test('cdf.closeOnCtfRestart false: a higher Origin-State-Id closes nothing', async () => {
    const cdf = await TestCdf.start({ settings: { interimInterval: 600, closeOnCtfRestart: false }, ctf: { originStateId: 7 } });
    try {
      await send(cdf.peer, ims('ctf.example.com', 'kept', 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
      await send(cdf.peer, ims('ctf.example.com', 'next', 'START_RECORD', 0, '2024-01-01T00:00:00Z', 8));
      assert.deepEqual(await cdf.cdrs('kept'), []);
      assert.equal(cdf.rf.sessions.counters.restartClosed, 0);
      assert.equal(cdf.rf.sessions.sessions.size, 2);
    } finally {
      await cdf.close();
    }
  });

  test('an ACR with a higher Origin-State-Id closes what its CTF opened under a lower one, then is applied', async () => {
    const cdf = await TestCdf.start({ settings: { interimInterval: 600 }, ctf: { originStateId: 7 } });
    try {
      const H = 'ctf.example.com';
      // s1 takes the CER's value (7); s2 says 7 itself; s3 says 6: lower, no restart, kept as its own.
      await send(cdf.peer, ims(H, 's1', 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
      await send(cdf.peer, ims(H, 's2', 'START_RECORD', 0, '2024-01-01T00:00:00Z', 7));
      await send(cdf.peer, ims(H, 's3', 'START_RECORD', 0, '2024-01-01T00:00:05Z', 6));
      assert.equal(cdf.rf.sessions.sessions.size, 3);
      assert.equal(cdf.rf.sessions.counters.restartClosed, 0);

      await send(cdf.peer, ims(H, 's1', 'INTERIM_RECORD', 1, '2024-01-01T00:02:00Z', 8));
      for (const id of ['s1', 's2', 's3']) {
        const cdrs = await cdf.cdrs(id);
        assert.equal(cdrs.length, 1, `${id} closed`);
        assertLost(cdrs[0]!, 5, id === 's3' ? '2024-01-01T00:00:05.000Z' : '2024-01-01T00:00:00.000Z');
      }
      // The INTERIM itself came after the restart: its session opens again, without START.
      assert.deepEqual(cdf.rf.sessions.sessions.get('s1')?.anomalies, ['aCRStartLost']);
      assert.equal(cdf.rf.sessions.counters.restartClosed, 3);
      // And under the new value it is not closed by the next ACR that repeats it.
      await send(cdf.peer, ims(H, 's1', 'INTERIM_RECORD', 2, '2024-01-01T00:03:00Z', 8));
      assert.equal((await cdf.cdrs('s1')).length, 1);
    } finally {
      await cdf.close();
    }
  });

  test('a DWR with a higher Origin-State-Id closes the sessions too', async () => {
    const cdf = await TestCdf.start({ settings: { interimInterval: 600 } });
    try {
      const H = 'raw.example.com';
      const c = attach(cdf.server);
      assert.equal(resultCode(await c.exchange(cer({ originHost: H, originStateId: 50 }))), 2001);
      const aca = await c.exchange(rawAcr({ sessionId: `${H};1;1`, originHost: H, hbh: 2, e2e: 2 }));
      assert.equal(resultCode(aca), 2001);
      const same = await c.exchange(dwr(3, 3, H, [avp(AVP.ORIGIN_STATE_ID, 50)]));
      assert.equal(resultCode(same), 2001);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal((await cdf.cdrs(`${H};1;1`)).length, 0, 'the same value in a DWR: nothing');
      const dwa = await c.exchange(dwr(4, 4, H, [avp(AVP.ORIGIN_STATE_ID, 51)]));
      assert.equal(resultCode(dwa), 2001);
      const cdr = await waitFor(async () => (await cdf.cdrs(`${H};1;1`))[0], 'the session to close after the DWR');
      assert.ok(cdr.anomalies.includes('ctfRestarted'));
      c.stream.destroy();
    } finally {
      await cdf.close();
    }
  });

  test('sessions resumed after a restart of the CDF close when their CTF comes back restarted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'diamkit-restart-'));
    const path = join(dir, 'cdf.db');
    try {
      const first = await TestCdf.start({ path, settings: { interimInterval: 600 }, ctf: { originStateId: 300 } });
      await send(first.peer, ims('ctf.example.com', 'kept', 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
      await send(first.peer, ims('other.example.com', 'other', 'START_RECORD', 0, '2024-01-01T00:00:00Z'));
      await first.close({ keepFiles: true });

      // The same CTF, restarted while the CDF was down: its CER says 301.
      const second = await TestCdf.start({ path, settings: { interimInterval: 600 }, ctf: { originStateId: 301 } });
      try {
        const cdr = await waitFor(async () => (await second.cdrs('kept'))[0], 'the resumed session to close');
        assertLost(cdr, 5, '2024-01-01T00:00:00.000Z');
        assert.ok(second.rf.sessions.sessions.has('other'), 'a session of another Origin-Host stays open');
      } finally {
        await second.close({ keepFiles: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
