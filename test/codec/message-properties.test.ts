/**
 * fast-check properties over whole random messages: random AVP trees mixing AVPs the built-in dictionary
 * knows (with values of their type) and unknown codes/vendors (raw octets), with random flags.
 *   encode → decode → encode gives the same octets, with and without the dictionary;
 *   the JSON form survives: decode → toJson → fromJson → encode gives the same octets;
 *   the framer cuts any concatenation of them, however chunked, back into the same messages.
 * Bounded by time (interruptAfterTimeLimit), as DESIGN.md asks for CI.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Framer } from '../../src/codec/framer.js';
import { decodeMessage, encodeMessage } from '../../src/codec/message.js';
import { TIME_MAX_UNIX, TIME_MIN_UNIX } from '../../src/codec/time.js';
import {
  AVP_M,
  AVP_P,
  AVP_V,
  type Avp,
  type AvpValue,
  type DataType,
  type Message,
} from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { messageFromJson, messageToJson } from '../../src/dictionary/message-format.js';
import type { AvpDef } from '../../src/dictionary/types.js';

const RUNS = { numRuns: 300, interruptAfterTimeLimit: 2000 };
const dict = builtinDictionary();
const defs = [...dict.allAvps()];
const scalarDefs = defs.filter((d) => d.type !== 'Grouped');
const groupedDefs = defs.filter((d) => d.type === 'Grouped');

/** A value of the given data type (as the codec holds it). */
function valueOf(type: DataType): fc.Arbitrary<AvpValue> {
  switch (type) {
    case 'OctetString':
      return fc.uint8Array({ maxLength: 40 });
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
      return fc.oneof(
        fc.ipV4(),
        fc.ipV6(),
        fc.record({ family: fc.integer({ min: 3, max: 0xffff }), bytes: fc.uint8Array({ maxLength: 20 }) }),
      );
    case 'Time':
      return fc.integer({ min: TIME_MIN_UNIX, max: TIME_MAX_UNIX }).map((s) => new Date(s * 1000));
    case 'UTF8String':
    case 'IPFilterRule':
      return fc.string({ unit: 'binary', maxLength: 30 });
    case 'DiameterIdentity':
      return fc.domain();
    case 'DiameterURI':
      return fc
        .tuple(fc.constantFrom('aaa', 'aaas'), fc.domain(), fc.option(fc.integer({ min: 0, max: 65535 })))
        .map(([s, h, p]) => `${s}://${h}${p === null ? '' : `:${p}`}`);
    case 'Grouped':
      throw new Error('Grouped has children, not a value');
  }
}

/** AVP flags: the dictionary's, or any M/P combination; V always follows the vendor (RFC 6733 §4.1). */
function flagsFor(vendorId: number): fc.Arbitrary<number> {
  return fc.constantFrom(0, AVP_M, AVP_P, AVP_M | AVP_P).map((f) => f | (vendorId ? AVP_V : 0));
}

function flagsOf(def: AvpDef): fc.Arbitrary<number> {
  return fc.oneof(
    fc.constant((def.vendorId ? AVP_V : 0) | (def.mandatory === 'must' ? AVP_M : 0)),
    flagsFor(def.vendorId),
  );
}

const unknownKey = fc
  .tuple(fc.integer({ min: 1, max: 0xffffffff }), fc.constantFrom(0, 10415, 5535, 13019, 99999))
  .filter(([code, vendor]) => dict.avp(code, vendor) === undefined);

const knownScalar: fc.Arbitrary<Avp> = fc.constantFrom(...scalarDefs).chain((def) =>
  fc.tuple(flagsOf(def), valueOf(def.type)).map(([flags, value]): Avp => ({
    code: def.code,
    vendorId: def.vendorId,
    flags,
    type: def.type,
    value,
  })),
);

const unknownRaw: fc.Arbitrary<Avp> = unknownKey.chain(([code, vendorId]) =>
  fc
    .tuple(flagsFor(vendorId), fc.uint8Array({ maxLength: 24 }))
    .map(([flags, data]): Avp => ({ code, vendorId, flags, data })),
);

/** Random AVP trees (depth ≤ 3), known Grouped AVPs holding any mix of children. */
const { tree } = fc.letrec<{ tree: Avp; node: Avp; group: Avp }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('node'), tie('group')),
  node: fc.oneof(knownScalar, unknownRaw),
  group: fc.constantFrom(...groupedDefs).chain((def) =>
    fc.tuple(flagsOf(def), fc.array(tie('tree'), { maxLength: 4 })).map(([flags, avps]): Avp => ({
      code: def.code,
      vendorId: def.vendorId,
      flags,
      type: 'Grouped',
      avps,
    })),
  ),
}));

const message: fc.Arbitrary<Message> = fc
  .record({
    flags: fc.integer({ min: 0, max: 0xff }),
    commandCode: fc.oneof(fc.constantFrom(257, 271, 272, 280, 282), fc.integer({ min: 0, max: 0xffffff })),
    applicationId: fc.oneof(fc.constantFrom(0, 3, 4), fc.integer({ min: 0, max: 0xffffffff })),
    hopByHopId: fc.integer({ min: 0, max: 0xffffffff }),
    endToEndId: fc.integer({ min: 0, max: 0xffffffff }),
    avps: fc.array(tree, { maxLength: 8 }),
  })
  .map((m) => ({ version: 1, ...m }));

const EMPTY: Message = {
  version: 1,
  flags: 0,
  commandCode: 0,
  applicationId: 0,
  hopByHopId: 0,
  endToEndId: 0,
  avps: [],
};

/** The same tree with every AVP raw: a Grouped AVP's data is the octets of its (padded) children. */
function rawTree(avps: readonly Avp[]): Avp[] {
  return avps.map((a) => {
    const out: Avp = { code: a.code, vendorId: a.vendorId, flags: a.flags };
    if (a.avps) out.data = encodeMessage({ ...EMPTY, avps: rawTree(a.avps) }).subarray(20);
    else if (a.data) out.data = a.data;
    else {
      // The typed value's octets: the AVP's data without header or padding.
      const one = encodeMessage({ ...EMPTY, avps: [a] });
      out.data = one.subarray(20 + (a.vendorId ? 12 : 8), 20 + one.readUIntBE(25, 3));
    }
    return out;
  });
}

describe('properties over random messages', () => {
  test('with the dictionary: encode → decode → encode gives the same octets', () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeMessage(m);
        assert.equal(bytes.length % 4, 0);
        assert.equal(bytes.readUIntBE(1, 3), bytes.length);
        const back = decodeMessage(bytes, dict.resolve);
        assert.equal(back.flags, m.flags);
        assert.equal(back.commandCode, m.commandCode);
        assert.equal(back.applicationId, m.applicationId);
        assert.equal(back.avps.length, m.avps.length);
        assert.equal(encodeMessage({ ...back, raw: undefined }).toString('hex'), bytes.toString('hex'));
      }),
      RUNS,
    );
  });

  test('without a dictionary: encode → decode → encode gives the same octets', () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeMessage(m);
        const raw = decodeMessage(bytes);
        assert.equal(encodeMessage(raw).toString('hex'), bytes.toString('hex'));
      }),
      RUNS,
    );
  });

  test('the JSON form: decode → toJson → (JSON text) → fromJson → encode gives the same octets', () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeMessage(m);
        const j = messageToJson(decodeMessage(bytes, dict.resolve), dict);
        const again = encodeMessage(messageFromJson(JSON.parse(JSON.stringify(j)), dict));
        assert.equal(again.toString('hex'), bytes.toString('hex'));
      }),
      RUNS,
    );
  });

  test('a Grouped AVP given as raw octets encodes exactly like the same AVP given as children', () => {
    fc.assert(
      fc.property(message, (m) => {
        const viaChildren = encodeMessage(m).toString('hex');
        const viaRaw = encodeMessage({ ...m, avps: rawTree(m.avps) }).toString('hex');
        assert.equal(viaRaw, viaChildren);
      }),
      RUNS,
    );
  });

  test('the framer returns the same messages for any chunking of their concatenation', () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (ms, cuts) => {
          const wire = ms.map((m) => encodeMessage(m));
          const stream = Buffer.concat(wire);
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const f = new Framer();
          const frames: string[] = [];
          let prev = 0;
          for (const p of [...points, stream.length]) {
            frames.push(...f.push(stream.subarray(prev, p)).map((x) => x.toString('hex')));
            prev = p;
          }
          assert.deepEqual(
            frames,
            wire.map((w) => w.toString('hex')),
          );
          assert.equal(f.buffered, 0);
        },
      ),
      RUNS,
    );
  });
});
