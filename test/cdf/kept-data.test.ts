/**
 * A session's stored form (session-manager.ts KeptData): toJsonText() writes the text the store keeps for
 * every START and INTERIM without JSON.stringify's replacer; it must be exactly JSON.stringify(toJSON()),
 * and read back by fromJSON to the same state, for sessions built from real ACRs (IMS with IOIs, P-GW
 * with containers, after INTERIMs with gaps) and for hand-made edge cases.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readAcr } from '../../src/cdf/acr.js';
import { KeptData } from '../../src/cdf/kept-data.js';
import { SessionManager } from '../../src/cdf/session-manager.js';
import { decodeMessage, encodeMessage } from '../../src/codec/message.js';
import type { Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
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
});
