/**
 * The CDF writes a CDR's raw AVPs with avpsToJsonText and reads ACRs by name with namedFromAvps (or both in
 * one walk, avpsToJsonTextByName), instead of building the JSON form (avpToJson) and then serialising or
 * indexing it. These must give exactly what the JSON form gives: on every test vector, and on random AVP
 * trees (known AVPs with values of their type, unknown AVPs, any flags) decoded with the dictionary,
 * without it (every AVP raw), and as built.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { namedAvps, namedFromAvps } from '../../src/cdf/cdr-builder.js';
import { decodeMessage, encodeMessage } from '../../src/codec/message.js';
import type { Avp } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { avpToJson, avpsToJsonText, avpsToJsonTextByName, type JsonByName } from '../../src/dictionary/message-format.js';
import { message } from '../helpers/random-messages.js';
import { loadVector, loadVectors } from '../helpers/vectors.js';

const dict = builtinDictionary();
const RUNS = { numRuns: 300, interruptAfterTimeLimit: 3000 };

function viaJsonForm(avps: Avp[]): { text: string; named: unknown } {
  const json = avps.map((a) => avpToJson(a, dict));
  return { text: JSON.stringify(json), named: namedAvps(json) };
}

function assertSame(avps: Avp[], what: string): void {
  const expected = viaJsonForm(avps);
  assert.equal(avpsToJsonText(avps, dict), expected.text, what);
  assert.deepEqual(namedFromAvps(avps, dict), expected.named, what);
  // Both in one walk, as a CDR is built.
  const byName: JsonByName = {};
  assert.equal(avpsToJsonTextByName(avps, dict, byName), expected.text, `${what}: one walk, text`);
  assert.deepEqual(byName, expected.named, `${what}: one walk, by name`);
}

test('every test vector: the same text and the same AVPs by name as the JSON form', () => {
  const vectors = loadVectors();
  assert.ok(vectors.length >= 10, `vectors found: ${vectors.length}`);
  for (const v of vectors) {
    assertSame(decodeMessage(v.bytes, dict.resolve).avps, `${v.name} (typed)`);
    assertSame(decodeMessage(v.bytes).avps, `${v.name} (raw)`);
  }
});

test('an ACR: Service-Information is indexed by name and its text nests its children', () => {
  const acr = decodeMessage(loadVector('05-acr-start').bytes, dict.resolve);
  const named = namedFromAvps(acr.avps, dict);
  assert.equal(named['Accounting-Record-Type']?.[0], 'START_RECORD');
  const si = named['Service-Information']?.[0] as Record<string, unknown[]>;
  assert.ok(si && Array.isArray(si['IMS-Information']), JSON.stringify(si));
  const parsed = JSON.parse(avpsToJsonText(acr.avps, dict)) as Record<string, unknown>[];
  assert.equal(parsed.length, acr.avps.length);
  assert.ok(parsed.some((a) => Array.isArray(a['Service-Information'])));
});

// ---- random AVP trees (test/helpers/random-messages.ts) ----------------------------------------------

test('random AVP trees: decoded with the dictionary, without it, and as built', () => {
  fc.assert(
    fc.property(message, (m) => {
      const bytes = encodeMessage(m);
      assertSame(decodeMessage(bytes, dict.resolve).avps, 'typed');
      assertSame(decodeMessage(bytes).avps, 'raw');
      assertSame(m.avps, 'as built');
    }),
    RUNS,
  );
});
