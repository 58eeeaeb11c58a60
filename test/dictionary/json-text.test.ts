/**
 * The CDF writes a CDR's raw AVPs with avpsToJsonText and reads ACRs by name with namedFromAvps, instead
 * of building the JSON form (avpToJson) and then serialising or indexing it. These must give exactly what
 * the JSON form gives: on every test vector, and on random AVP trees (known AVPs with values of their
 * type, unknown AVPs, any flags) decoded with the dictionary, without it (every AVP raw), and as built.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { namedAvps, namedFromAvps } from '../../src/cdf/cdr-builder.js';
import { decodeMessage, encodeMessage } from '../../src/codec/message.js';
import { AVP_M, AVP_P, AVP_V, type Avp, type AvpValue, type DataType, type Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { avpToJson, avpsToJsonText } from '../../src/dictionary/message-format.js';
import type { AvpDef } from '../../src/dictionary/types.js';
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

// ---- random AVP trees -------------------------------------------------------------------------------

const defs = [...dict.allAvps()];
const scalarDefs = defs.filter((d) => d.type !== 'Grouped');
const groupedDefs = defs.filter((d) => d.type === 'Grouped');

function valueOf(type: DataType): fc.Arbitrary<AvpValue> {
  switch (type) {
    case 'OctetString':
      return fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.string({ maxLength: 12 }).map((s) => Buffer.from(s)));
    case 'Integer32':
    case 'Enumerated':
      return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'Unsigned32':
      return fc.integer({ min: 0, max: 0xffffffff });
    case 'Integer64':
      return fc.bigInt(-(1n << 63n), (1n << 63n) - 1n);
    case 'Unsigned64':
      return fc.bigInt(0n, (1n << 64n) - 1n);
    case 'Float32':
      return fc.float();
    case 'Float64':
      return fc.double();
    case 'Address':
      return fc.oneof(fc.ipV4(), fc.ipV6());
    case 'Time':
      return fc.integer({ min: 0, max: 2_000_000_000 }).map((s) => new Date(s * 1000));
    case 'UTF8String':
    case 'IPFilterRule':
      return fc.string({ unit: 'binary', maxLength: 20 });
    case 'DiameterIdentity':
      return fc.domain();
    case 'DiameterURI':
      return fc.domain().map((h) => `aaa://${h}`);
    case 'Grouped':
      throw new Error('Grouped has children');
  }
}

function flagsOf(def: AvpDef): fc.Arbitrary<number> {
  const dflt = (def.vendorId ? AVP_V : 0) | (def.mandatory === 'must' ? AVP_M : 0);
  return fc.oneof(fc.constant(dflt), fc.constantFrom(0, AVP_M, AVP_P, AVP_M | AVP_P).map((f) => f | (def.vendorId ? AVP_V : 0)));
}

const knownScalar: fc.Arbitrary<Avp> = fc
  .constantFrom(...scalarDefs)
  .chain((def) => fc.tuple(flagsOf(def), valueOf(def.type)).map(([flags, value]): Avp => ({ code: def.code, vendorId: def.vendorId, flags, type: def.type, value })));

const unknownRaw: fc.Arbitrary<Avp> = fc
  .tuple(fc.integer({ min: 1, max: 0xffffffff }), fc.constantFrom(0, 10415, 99999), fc.uint8Array({ maxLength: 12 }))
  .filter(([code, vendorId]) => dict.avp(code, vendorId) === undefined)
  .map(([code, vendorId, data]): Avp => ({ code, vendorId, flags: vendorId ? AVP_V : 0, data }));

const { tree } = fc.letrec<{ tree: Avp; node: Avp; group: Avp }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small' }, tie('node'), tie('group')),
  node: fc.oneof(knownScalar, unknownRaw),
  group: fc
    .constantFrom(...groupedDefs)
    .chain((def) =>
      fc.tuple(flagsOf(def), fc.array(tie('tree'), { maxLength: 4 })).map(([flags, avps]): Avp => ({ code: def.code, vendorId: def.vendorId, flags, type: 'Grouped', avps })),
    ),
}));

const message: fc.Arbitrary<Message> = fc
  .array(tree, { maxLength: 8 })
  .map((avps) => ({ version: 1, flags: 0x80, commandCode: 271, applicationId: 3, hopByHopId: 1, endToEndId: 2, avps }));

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
