/**
 * fast-check properties for every RFC 6733 data type (§4.2 basic, §4.3 derived):
 * value → encode → decode = value, with the encoded size checked for fixed-size types.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeAddress, encodeAddress, formatIPv6 } from '../../src/codec/address.js';
import { DATA_CODECS } from '../../src/codec/data-types.js';
import { TIME_MAX_UNIX, TIME_MIN_UNIX } from '../../src/codec/time.js';
import type { AvpValue, DataType, DiameterUri, OtherAddress } from '../../src/codec/types.js';
import { formatDiameterUri } from '../../src/codec/uri.js';
import { Writer } from '../../src/codec/writer.js';
import { RUNS } from './data-types-helpers.js';

// ------------------------------------------------------------------------------------------------
// Properties: value → encode → decode = value, for every data type.

/** Round trip through the codec; also checks the encoded size for fixed-size types. */
function roundTrip(type: DataType, v: AvpValue): AvpValue {
  const w = new Writer(1);
  DATA_CODECS[type].encode(w, v);
  const bytes = w.finish();
  const size = DATA_CODECS[type].size;
  if (size > 0 && type !== 'Address') assert.equal(bytes.length, size);
  return DATA_CODECS[type].decode(bytes);
}

const domain = fc.domain();

describe('properties: encode → decode = value', () => {
  test('OctetString', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (v) => {
        assert.deepEqual([...(roundTrip('OctetString', v) as Uint8Array)], [...v]);
      }),
      RUNS,
    );
  });

  test('Integer32 and Enumerated', () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (v) => {
        assert.equal(roundTrip('Integer32', v), v);
        assert.equal(roundTrip('Enumerated', v), v);
      }),
      RUNS,
    );
  });

  test('Unsigned32', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
        assert.equal(roundTrip('Unsigned32', v), v);
      }),
      RUNS,
    );
  });

  test('Integer64', () => {
    fc.assert(
      fc.property(fc.bigInt(-(1n << 63n), (1n << 63n) - 1n), (v) => {
        assert.equal(roundTrip('Integer64', v), v);
      }),
      RUNS,
    );
  });

  test('Unsigned64', () => {
    fc.assert(
      fc.property(fc.bigInt(0n, (1n << 64n) - 1n), (v) => {
        assert.equal(roundTrip('Unsigned64', v), v);
      }),
      RUNS,
    );
  });

  test('Float32 (every single-precision value, NaN, ±0, ±Infinity)', () => {
    fc.assert(
      fc.property(fc.float(), (v) => {
        assert.ok(Object.is(roundTrip('Float32', v), v), `${v}`);
      }),
      RUNS,
    );
  });

  test('Float64', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        assert.ok(Object.is(roundTrip('Float64', v), v), `${v}`);
      }),
      RUNS,
    );
  });

  test('Address: IPv4 text', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v) => {
        assert.equal(roundTrip('Address', v), v);
      }),
      RUNS,
    );
  });

  test('Address: any 16 IPv6 octets survive text form and back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        const wire = Uint8Array.of(0, 2, ...b);
        const text = decodeAddress(wire) as string;
        assert.equal(typeof text, 'string');
        assert.deepEqual([...encodeAddress(text)], [...wire]);
      }),
      RUNS,
    );
  });

  test('Address: any IPv6 text decodes to its canonical RFC 5952 form (WHATWG URL as oracle)', () => {
    fc.assert(
      fc.property(fc.ipV6(), (v) => {
        // The URL parser's IPv6 serializer compresses the longest zero run (first on a tie, never a
        // single group) and lowercases, as RFC 5952 §4 does — an independent canonicalizer.
        const canonical = new URL(`http://[${v}]/`).hostname.slice(1, -1);
        const got = roundTrip('Address', v) as string;
        // RFC 5952 §5 also allows the dotted tail for IPv4-mapped addresses; we always print hex groups,
        // like the URL serializer.
        assert.equal(got, canonical, v);
        assert.equal(formatIPv6(encodeAddress(v).subarray(2)), canonical);
      }),
      RUNS,
    );
  });

  test('Address: other families', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 0xffff }), fc.uint8Array({ maxLength: 40 }), (family, bytes) => {
        const v = roundTrip('Address', { family, bytes }) as OtherAddress;
        assert.equal(v.family, family);
        assert.deepEqual([...v.bytes], [...bytes]);
      }),
      RUNS,
    );
  });

  test('Time (whole seconds in the era-rule range)', () => {
    fc.assert(
      fc.property(fc.integer({ min: TIME_MIN_UNIX, max: TIME_MAX_UNIX }), (s) => {
        const d = new Date(s * 1000);
        assert.equal((roundTrip('Time', d) as Date).getTime(), d.getTime());
      }),
      RUNS,
    );
  });

  test('UTF8String, DiameterIdentity, IPFilterRule (any code point sequence)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (v) => {
        assert.equal(roundTrip('UTF8String', v), v);
        assert.equal(roundTrip('IPFilterRule', v), v);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(domain, (v) => {
        assert.equal(roundTrip('DiameterIdentity', v), v);
      }),
      RUNS,
    );
  });

  test('DiameterURI built from its parts', () => {
    const uri = fc
      .record(
        {
          scheme: fc.constantFrom('aaa' as const, 'aaas' as const),
          host: domain,
          port: fc.integer({ min: 0, max: 65535 }),
          transport: fc.constantFrom('tcp' as const, 'sctp' as const, 'udp' as const),
          protocol: fc.constantFrom('diameter' as const, 'radius' as const, 'tacacs+' as const),
        },
        { requiredKeys: ['scheme', 'host'] },
      )
      .filter((p) => !(p.transport === 'udp' && (p.protocol ?? 'diameter') === 'diameter'));
    fc.assert(
      fc.property(uri, (parts) => {
        const text = formatDiameterUri(parts);
        const back = roundTrip('DiameterURI', text) as DiameterUri;
        assert.deepEqual(back, { text, ...parts });
        const again = roundTrip('DiameterURI', back) as DiameterUri;
        assert.equal(again.text, text);
      }),
      RUNS,
    );
  });
});
