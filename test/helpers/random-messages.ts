/**
 * fast-check arbitraries for whole random messages: AVP trees mixing AVPs the built-in dictionary knows
 * (with values of their type, as the codec holds them) and unknown codes/vendors (raw octets), with random
 * flags, Grouped AVPs nested up to three deep.
 */
import fc from 'fast-check';
import { TIME_MAX_UNIX, TIME_MIN_UNIX } from '../../src/codec/time.js';
import { AVP_M, AVP_P, AVP_V, type Avp, type AvpValue, type DataType, type Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import type { AvpDef } from '../../src/dictionary/types.js';

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
export const { tree } = fc.letrec<{ tree: Avp; node: Avp; group: Avp }>((tie) => ({
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

export const message: fc.Arbitrary<Message> = fc
  .record({
    flags: fc.integer({ min: 0, max: 0xff }),
    commandCode: fc.oneof(fc.constantFrom(257, 271, 272, 280, 282), fc.integer({ min: 0, max: 0xffffff })),
    applicationId: fc.oneof(fc.constantFrom(0, 3, 4), fc.integer({ min: 0, max: 0xffffffff })),
    hopByHopId: fc.integer({ min: 0, max: 0xffffffff }),
    endToEndId: fc.integer({ min: 0, max: 0xffffffff }),
    avps: fc.array(tree, { maxLength: 8 }),
  })
  .map((m) => ({ version: 1, ...m }));

