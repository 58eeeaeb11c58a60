/**
 * A session's stored form (session-manager.ts KeptData): toJsonText() writes the text the store keeps for
 * every START and INTERIM without JSON.stringify's replacer; it must be exactly JSON.stringify(toJSON()),
 * and read back by fromJSON to the same state, for sessions built from real ACRs (IMS with IOIs, P-GW
 * with containers, after INTERIMs with gaps) and for hand-made edge cases (traffic volumes, the CTF's
 * Origin-State-Id).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readAcr } from '../../src/cdf/acr.js';
import { KeptData } from '../../src/cdf/kept-data.js';
import { SessionManager } from '../../src/cdf/session-manager.js';
import { decodeMessage, encodeMessage } from '../../src/codec/message.js';
import type { Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { acr as acrOf, imsServiceInformation } from '../helpers/acr-builder.js';
import { loadVector } from '../helpers/vectors.js';

const dict = builtinDictionary();

function assertSameText(d: KeptData, what: string): void {
  const text = d.toJsonText();
  assert.equal(text, JSON.stringify(d.toJSON()), what);
  assert.deepEqual(KeptData.fromJSON(JSON.parse(text) as { [k: string]: unknown }).toJSON(), d.toJSON(), what);
}

/** The vector as an ACR of the given type and number (values replaced, then encoded again). */
function acr(vector: string, type: number, n: number): Message {
  const m = decodeMessage(loadVector(vector).bytes, dict.resolve);
  for (const a of m.avps) {
    delete a.data;
    if (a.code === 480 && a.vendorId === 0) a.value = type;
    if (a.code === 485 && a.vendorId === 0) a.value = n;
  }
  return decodeMessage(encodeMessage(m), dict.resolve);
}

test('sessions built from real ACRs: IMS and P-GW, after START and after INTERIMs with a gap', () => {
  for (const vector of ['05-acr-start', '11-acr-stop-pgw']) {
    const sm = new SessionManager(dict);
    let kept: KeptData | undefined;
    for (const [type, n] of [[2, 0], [3, 1], [3, 4]] as const) {
      const m = acr(vector, type, n);
      const out = sm.apply(m, readAcr(m));
      const s = out.batch.sessionUpserts?.[0];
      assert.ok(s, `${vector} ${type}/${n} upserts its session`);
      kept = s.data as unknown as KeptData;
      assertSameText(kept, `${vector} after ${type}/${n}`);
    }
    assert.ok(kept!.last !== undefined, 'the latest INTERIM is kept');
    assert.deepEqual(kept!.recordNumbers.missing, [2, 3]);
  }
});

test('hand-made states: no INTERIM yet, no event time, quotes and non-ASCII in container values', () => {
  const d = new KeptData('\u0001\u0000\u00ff abc', 7, undefined);
  assertSameText(d, 'bare');
  d.last = '\u0000\u0000';
  d.lastEventAt = 1_700_000_000_123;
  d.ps = true;
  d.containers = [{ ratingGroup: 7, note: 'a "quoted" \\ value, ünïcode', list: [1, 'x', null] }];
  d.iois = [{ 'Originating-IOI': ['orig"\n'] }];
  d.recordNumbers = { max: 9, missing: [8] };
  assertSameText(d, 'full');
  d.originStateId = 1_700_000_001;
  d.volumes = [{ dataVolumeGPRSUplink: '12', changeCondition: 2, changeTime: '2024-01-01T00:00:00Z', __key: 'k|"1"' }];
  assertSameText(d, 'with the CTF’s Origin-State-Id and traffic volumes');
  d.stopped = { at: 1_700_000_100_000, retransmitted: true };
  assertSameText(d, 'with a STOP waiting for missing INTERIMs');
});

test('open sessions pin no socket chunk and no Buffer pool slab: ArrayBuffer memory does not grow with them', () => {
  // What a session keeps lives as long as the call (hours, INTERIMs replacing the latest ACR meanwhile). A
  // kept view of the socket's chunk would hold the whole chunk, and a small Buffer a shared 8 KB pool slab
  // (docs/perf.md, change 25): either grows ArrayBuffer memory far past the bytes kept.
  const gc = (): void => {
    v8.setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  };
  const SESSIONS = 2000;
  const start = loadVector('05-acr-start').bytes;
  const sessionIdAvp = (m: Message) => m.avps.find((a) => a.code === 263 && a.vendorId === 0)!;
  // One ACR per socket read: its bytes somewhere in a fresh 64 KB chunk, decoded from there as the node does.
  const arrive = (n: number, type: number, rec: number): Message => {
    const m = decodeMessage(start, dict.resolve);
    for (const a of m.avps) delete a.data;
    sessionIdAvp(m).value = `ctf.example.net;1;${n}`;
    for (const a of m.avps) {
      if (a.code === 480 && a.vendorId === 0) a.value = type;
      if (a.code === 485 && a.vendorId === 0) a.value = rec;
    }
    const bytes = encodeMessage(m);
    const chunk = Buffer.allocUnsafeSlow(65_536);
    const at = 1000 + (n % 1000) * 8;
    bytes.copy(chunk, at);
    return decodeMessage(chunk.subarray(at, at + bytes.length), dict.resolve);
  };
  const sm = new SessionManager(dict);
  gc();
  const before = process.memoryUsage().arrayBuffers;
  for (let n = 0; n < SESSIONS; n++) {
    const m = arrive(n, 2, 0);
    sm.apply(m, readAcr(m));
  }
  // INTERIMs at random sessions, with the small transient Buffers a server makes in between.
  const next = new Array<number>(SESSIONS).fill(1);
  for (let i = 0; i < SESSIONS * 3; i++) {
    const n = (i * 7919) % SESSIONS;
    const m = arrive(n, 3, next[n]!++);
    sm.apply(m, readAcr(m));
    Buffer.from(`transient ${i}`.repeat(10));
  }
  assert.equal(sm.sessions.size, SESSIONS);
  gc();
  gc();
  const grown = process.memoryUsage().arrayBuffers - before;
  const kept = SESSIONS * start.length * 2; // a START and the latest INTERIM per session
  assert.ok(grown < kept / 2, `ArrayBuffers grew by ${grown} bytes with ${SESSIONS} open sessions keeping ~${kept} bytes of ACRs`);
});

test('the Inter-Operator-Identifiers a session keeps hold no slice of its ACR: heap per session follows their length', () => {
  // The decoder's text values are slices of a string of the whole message (src/codec/avp.ts); a session
  // keeps the latest IOIs until the next INTERIM, and a slice would keep that whole ACR's text with them.
  // Sessions with 40-character IOIs against the same sessions with 3-character ones (V8 copies a short
  // substring instead of slicing): the difference per session should be what the longer IOIs and ACR
  // take (~250 bytes), not a whole ACR more (~730 bytes with the slices kept).
  const gc = (): void => {
    v8.setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  };
  const SESSIONS = 3000;
  const heapPerSession = (ioi: string): number => {
    const arrive = (n: number): Message =>
      decodeMessage(
        encodeMessage(
          acrOf({
            sessionId: `ctf.example.com;1;${n}`,
            recordType: 'START_RECORD',
            recordNumber: 0,
            serviceContextId: '32260@3gpp.org',
            serviceInformation: imsServiceInformation({ ioi: { originating: `o${ioi}`, terminating: `t${ioi}` } }),
          }),
        ),
        dict.resolve,
      );
    const sm = new SessionManager(dict);
    for (let n = 0; n < 100; n++) {
      const m = arrive(n);
      sm.apply(m, readAcr(m));
    }
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let n = 100; n < 100 + SESSIONS; n++) {
      const m = arrive(n);
      sm.apply(m, readAcr(m));
    }
    gc();
    gc();
    const perSession = (process.memoryUsage().heapUsed - before) / SESSIONS;
    assert.equal(sm.sessions.size, 100 + SESSIONS);
    return perSession;
  };
  const long = heapPerSession('x'.repeat(39));
  const short = heapPerSession('xx');
  assert.ok(long - short < 450, `${Math.round(long)} bytes per session with long IOIs, ${Math.round(short)} with short ones`);
});
