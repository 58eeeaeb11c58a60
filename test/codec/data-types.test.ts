/**
 * Every RFC 6733 data type (§4.2 basic, §4.3 derived) against hand-computed octets, the error each
 * malformed value raises, and fast-check properties (value → encode → decode = value) for each type.
 * Expected bytes are written out here from the RFC layouts, never produced by the encoder under test.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeAddress, encodeAddress, formatIPv6 } from '../../src/codec/address.js';
import { DATA_CODECS, ValueError, minimumDataSize } from '../../src/codec/data-types.js';
import { DiameterError } from '../../src/codec/errors.js';
import { decodeMessage } from '../../src/codec/message.js';
import { TIME_MAX_UNIX, TIME_MIN_UNIX, decodeTime, encodeTime } from '../../src/codec/time.js';
import type { AvpValue, DataType, DiameterUri, OtherAddress } from '../../src/codec/types.js';
import { formatDiameterUri, parseDiameterUri } from '../../src/codec/uri.js';
import { Writer } from '../../src/codec/writer.js';

const RUNS = { numRuns: 2000, interruptAfterTimeLimit: 2000 };

function enc(type: DataType, v: AvpValue): string {
  const w = new Writer(4);
  DATA_CODECS[type].encode(w, v);
  return w.finish().toString('hex');
}

function dec(type: DataType, hex: string): AvpValue {
  return DATA_CODECS[type].decode(Buffer.from(hex, 'hex'));
}

/** Asserts that decoding `hex` as `type` raises a ValueError with `code`. */
function rejects(type: DataType, hex: string, code: string): void {
  assert.throws(
    () => dec(type, hex),
    (e: unknown) => e instanceof ValueError && e.code === code,
    `${type} ${hex} should be rejected with ${code}`,
  );
}

/** Asserts that encoding `v` as `type` raises DiameterError ENCODE_BAD_VALUE. */
function refuses(type: DataType, v: AvpValue): void {
  assert.throws(
    () => enc(type, v),
    (e: unknown) => e instanceof DiameterError && e.code === 'ENCODE_BAD_VALUE' && e.resultCode === 5004,
    `${type} should refuse ${String(v)}`,
  );
}

/**
 * A whole message holding one AVP (code 9999, vendor 0, M clear) with `dataHex` as data, decoded with a
 * resolver that types 9999 as `type`. Octets laid out by hand: header (20) + AVP header (8) + data + pad.
 */
function decodeOneAvp(type: DataType, dataHex: string): void {
  const data = Buffer.from(dataHex, 'hex');
  const avpLen = 8 + data.length;
  const padded = (avpLen + 3) & ~3;
  const total = 20 + padded;
  const b = Buffer.alloc(total);
  b.writeUInt32BE(0x01000000 | total, 0);
  b.writeUInt32BE(0x80000101, 4);
  b.writeUInt32BE(9999, 20);
  b.writeUInt32BE(avpLen, 24);
  data.copy(b, 28);
  decodeMessage(b, (code) => (code === 9999 ? { type } : undefined));
}

describe('integer types (RFC 6733 §4.2)', () => {
  test('Integer32: two’s complement, big-endian', () => {
    assert.equal(enc('Integer32', -1), 'ffffffff');
    assert.equal(enc('Integer32', 1), '00000001');
    assert.equal(enc('Integer32', 0x7fffffff), '7fffffff');
    assert.equal(enc('Integer32', -0x80000000), '80000000');
    assert.equal(enc('Integer32', -2), 'fffffffe');
    assert.equal(dec('Integer32', 'ffffffff'), -1);
    assert.equal(dec('Integer32', '80000000'), -2147483648);
    assert.equal(dec('Integer32', '0000012c'), 300);
    refuses('Integer32', 0x80000000);
    refuses('Integer32', -0x80000001);
    refuses('Integer32', 1.5);
    refuses('Integer32', 'x');
  });

  test('Unsigned32: 0 .. 2^32-1', () => {
    assert.equal(enc('Unsigned32', 0xffffffff), 'ffffffff');
    assert.equal(enc('Unsigned32', 2001), '000007d1');
    assert.equal(enc('Unsigned32', 1700000000), '6553f100');
    assert.equal(dec('Unsigned32', 'ffffffff'), 4294967295);
    assert.equal(dec('Unsigned32', '000028af'), 10415);
    refuses('Unsigned32', -1);
    refuses('Unsigned32', 0x100000000);
    refuses('Unsigned32', NaN);
  });

  test('Enumerated is Integer32 on the wire', () => {
    assert.equal(enc('Enumerated', -1), 'ffffffff');
    assert.equal(enc('Enumerated', 4), '00000004');
    assert.equal(dec('Enumerated', 'fffffffe'), -2);
  });

  test('Integer64: two’s complement, big-endian, bigint', () => {
    assert.equal(enc('Integer64', -1n), 'ffffffffffffffff');
    assert.equal(enc('Integer64', -(1n << 63n)), '8000000000000000');
    assert.equal(enc('Integer64', (1n << 63n) - 1n), '7fffffffffffffff');
    assert.equal(enc('Integer64', 12345), '0000000000003039');
    assert.equal(dec('Integer64', 'ffffffffffffffff'), -1n);
    assert.equal(dec('Integer64', '8000000000000000'), -9223372036854775808n);
    refuses('Integer64', 1n << 63n);
    refuses('Integer64', 2 ** 60); // not a safe integer: would have lost precision
  });

  test('Unsigned64: 0 .. 2^64-1', () => {
    assert.equal(enc('Unsigned64', (1n << 64n) - 1n), 'ffffffffffffffff');
    assert.equal(enc('Unsigned64', 678901n), '00000000000a5bf5');
    assert.equal(enc('Unsigned64', '18446744073709551615'), 'ffffffffffffffff');
    assert.equal(dec('Unsigned64', 'ffffffffffffffff'), 18446744073709551615n);
    assert.equal(dec('Unsigned64', '0000000000003039'), 12345n);
    refuses('Unsigned64', 1n << 64n);
    refuses('Unsigned64', -1n);
  });
});

describe('floating point types', () => {
  test('Float32 is IEEE-754 single, big-endian', () => {
    assert.equal(enc('Float32', 1.5), '3fc00000');
    assert.equal(enc('Float32', -2), 'c0000000');
    assert.equal(enc('Float32', 0), '00000000');
    assert.equal(enc('Float32', Infinity), '7f800000');
    assert.equal(dec('Float32', '3fc00000'), 1.5);
    assert.equal(dec('Float32', 'bf800000'), -1);
    assert.ok(Number.isNaN(dec('Float32', '7fc00000')));
    refuses('Float32', 1n);
  });

  test('Float64 is IEEE-754 double, big-endian', () => {
    assert.equal(enc('Float64', 1.5), '3ff8000000000000');
    assert.equal(enc('Float64', -0.5), 'bfe0000000000000');
    assert.equal(dec('Float64', '4059000000000000'), 100);
    assert.ok(Object.is(dec('Float64', '8000000000000000'), -0));
  });
});

describe('wrong data size for a fixed-size type → AVP_BAD_SIZE (5014)', () => {
  const cases: [DataType, string][] = [
    ['Integer32', '000001'],
    ['Integer32', '0000000001'],
    ['Unsigned32', ''],
    ['Enumerated', '00000000000000'],
    ['Integer64', '00000001'],
    ['Unsigned64', '000000000000000000'],
    ['Float32', '3ff8000000000000'],
    ['Float64', '3fc00000'],
    ['Time', 'e93c7f'],
    ['Time', 'e93c7f0000'],
    ['Address', '00'],
    ['Address', '0001c00002'], // IPv4 family with 3 address octets
    ['Address', '0001c000020a00'], // IPv4 family with 5
    ['Address', '000200000000'], // IPv6 family with 4
  ];
  for (const [type, hex] of cases) {
    test(`${type} with ${hex.length / 2} octets`, () => {
      rejects(type, hex, 'AVP_BAD_SIZE');
      // Inside a message the same fault becomes a DiameterError with Result-Code 5014.
      assert.throws(
        () => decodeOneAvp(type, hex),
        (e: unknown) => e instanceof DiameterError && e.code === 'AVP_BAD_SIZE' && e.resultCode === 5014,
      );
    });
  }
});

describe('Address (RFC 6733 §4.3.1)', () => {
  test('IPv4: family 1 + 4 octets', () => {
    assert.equal(enc('Address', '192.0.2.10'), '0001c000020a');
    assert.equal(dec('Address', '0001c0000214'), '192.0.2.20');
    assert.equal(dec('Address', '00010a2d0002'), '10.45.0.2');
  });

  test('IPv6: family 2 + 16 octets, decoded to RFC 5952 text', () => {
    assert.equal(enc('Address', '2001:db8::1'), '000220010db8000000000000000000000001');
    assert.equal(enc('Address', '::'), '000200000000000000000000000000000000');
    assert.equal(enc('Address', '::ffff:192.0.2.1'), '000200000000000000000000ffffc0000201');
    assert.equal(dec('Address', '000220010db8000000000000000000000001'), '2001:db8::1');
    assert.equal(dec('Address', '000200000000000000000000000000000000'), '::');
    assert.equal(dec('Address', '0002fe800000000000000000000000000001'), 'fe80::1');
    // Longest zero run is compressed, the first one on a tie, and a single zero group is not.
    assert.equal(dec('Address', '000220010db8000000010000000000000001'), '2001:db8:0:1::1');
    assert.equal(dec('Address', '000220010000000000010000000000000001'), '2001:0:0:1::1');
    assert.equal(dec('Address', '000220010db8000100010001000100010001'), '2001:db8:1:1:1:1:1:1');
    assert.equal(dec('Address', '000220010000000000010000000000010001'), '2001::1:0:0:1:1');
    assert.equal(dec('Address', '000220010db8000000010001000100010001'), '2001:db8:0:1:1:1:1:1');
  });

  test('other families are kept as raw octets (e.g. 8 = E.164)', () => {
    const e164 = Buffer.from('15551234567', 'ascii');
    assert.equal(enc('Address', { family: 8, bytes: e164 }), `0008${e164.toString('hex')}`);
    const v = dec('Address', `0008${e164.toString('hex')}`) as OtherAddress;
    assert.equal(v.family, 8);
    assert.equal(Buffer.from(v.bytes).toString('ascii'), '15551234567');
    const empty = dec('Address', 'ffff') as OtherAddress;
    assert.equal(empty.family, 65535);
    assert.equal(empty.bytes.length, 0);
  });

  test('text that is not an IP address is refused', () => {
    refuses('Address', 'cdf.example.net');
    refuses('Address', '192.0.2.256');
    refuses('Address', 42);
  });
});

describe('Time (RFC 6733 §4.3.1, SNTP era rule of RFC 4330 §3)', () => {
  const pairs: [string, string][] = [
    ['2024-01-01T00:00:00Z', 'e93c7f00'], // vector 05 SIP-Request-Timestamp
    ['2024-01-01T00:00:02Z', 'e93c7f02'],
    ['2024-01-01T00:10:00Z', 'e93c8158'], // vector 11 Event-Timestamp
    ['1970-01-01T00:00:00Z', '83aa7e80'], // 2208988800 s from 1900
    ['2036-02-07T06:28:15Z', 'ffffffff'], // last second of era 0
    ['2036-02-07T06:28:16Z', '00000000'], // the wrap: era 1 starts
    ['2036-02-07T06:28:17Z', '00000001'],
    ['1968-01-20T03:14:08Z', '80000000'], // earliest: top bit set ⇒ 1968–2036
    ['2104-02-26T09:42:23Z', '7fffffff'], // latest: top bit clear ⇒ 2036–2104
  ];
  for (const [iso, hex] of pairs) {
    test(`${iso} ↔ ${hex}`, () => {
      assert.equal(enc('Time', new Date(iso)), hex);
      assert.equal((dec('Time', hex) as Date).toISOString(), iso.replace('Z', '.000Z'));
    });
  }

  test('instants outside 1968-01-20T03:14:08Z .. 2104-02-26T09:42:23Z cannot be encoded', () => {
    refuses('Time', new Date('1968-01-20T03:14:07Z'));
    refuses('Time', new Date('2104-02-26T09:42:24Z'));
    refuses('Time', new Date('1900-01-01T00:00:00Z'));
    refuses('Time', new Date(NaN));
    refuses('Time', '2024-01-01T00:00:00Z');
  });

  test('sub-second parts are truncated (the field holds whole seconds)', () => {
    assert.equal(enc('Time', new Date('2024-01-01T00:00:00.999Z')), 'e93c7f00');
  });

  test('property: every 32-bit value decodes to a time that encodes back to it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (ntp) => {
        const d = decodeTime(ntp);
        assert.ok(d.getTime() % 1000 === 0);
        assert.equal(encodeTime(d), ntp);
      }),
      RUNS,
    );
  });
});

describe('UTF8String (RFC 6733 §4.3.1)', () => {
  test('octets are UTF-8, length in octets', () => {
    assert.equal(enc('UTF8String', 'héllo'), '68c3a96c6c6f');
    assert.equal(enc('UTF8String', '€'), 'e282ac');
    assert.equal(enc('UTF8String', '😀'), 'f09f9880');
    assert.equal(enc('UTF8String', ''), '');
    assert.equal(dec('UTF8String', '68c3a96c6c6f'), 'héllo');
    assert.equal(dec('UTF8String', 'f09f9880'), '😀');
    assert.equal(dec('DiameterIdentity', '6364662e6578616d706c652e6e6574'), 'cdf.example.net');
  });

  test('invalid UTF-8 → AVP_BAD_UTF8 (5004)', () => {
    for (const hex of [
      'c328', // bad continuation
      'c0af', // overlong '/'
      'e282', // truncated sequence
      'eda080', // UTF-16 surrogate D800
      'f4908080', // above U+10FFFF
      'ff',
      '80',
    ]) {
      rejects('UTF8String', hex, 'AVP_BAD_UTF8');
      rejects('DiameterIdentity', hex, 'AVP_BAD_UTF8');
      assert.throws(
        () => decodeOneAvp('UTF8String', hex),
        (e: unknown) => e instanceof DiameterError && e.code === 'AVP_BAD_UTF8' && e.resultCode === 5004,
        hex,
      );
    }
  });

  test('OctetString keeps any octets; a string is written as UTF-8', () => {
    assert.deepEqual([...(dec('OctetString', '00ff06') as Uint8Array)], [0, 255, 6]);
    assert.equal(enc('OctetString', Uint8Array.of(6)), '06');
    assert.equal(enc('OctetString', 'ab'), '6162');
    assert.equal(enc('OctetString', new Uint8Array(0)), '');
    refuses('OctetString', 5);
  });
});

describe('DiameterURI (RFC 6733 §4.3.1)', () => {
  test('FQDN only', () => {
    const u = parseDiameterUri('aaa://cdf.example.net');
    assert.deepEqual(u, { text: 'aaa://cdf.example.net', scheme: 'aaa', host: 'cdf.example.net' });
  });

  test('port, transport and protocol', () => {
    assert.deepEqual(parseDiameterUri('aaa://cdf.example.net:3868;transport=tcp;protocol=diameter'), {
      text: 'aaa://cdf.example.net:3868;transport=tcp;protocol=diameter',
      scheme: 'aaa',
      host: 'cdf.example.net',
      port: 3868,
      transport: 'tcp',
      protocol: 'diameter',
    });
    assert.deepEqual(parseDiameterUri('aaas://h.example.com:5868;transport=sctp'), {
      text: 'aaas://h.example.com:5868;transport=sctp',
      scheme: 'aaas',
      host: 'h.example.com',
      port: 5868,
      transport: 'sctp',
    });
    assert.deepEqual(parseDiameterUri('aaa://radius.example.com;transport=udp;protocol=radius'), {
      text: 'aaa://radius.example.com;transport=udp;protocol=radius',
      scheme: 'aaa',
      host: 'radius.example.com',
      transport: 'udp',
      protocol: 'radius',
    });
    assert.equal(parseDiameterUri('aaa://h;protocol=tacacs+')?.protocol, 'tacacs+');
    // The scheme is case-insensitive (RFC 3986 §3.1), and reported in lower case.
    assert.equal(parseDiameterUri('AAAS://cdf.example.net')?.scheme, 'aaas');
  });

  test('invalid URIs are rejected', () => {
    for (const s of [
      '',
      'cdf.example.net',
      'http://cdf.example.net',
      'aaa://',
      'aaa:/cdf.example.net',
      'aaa://cdf.example.net:99999',
      'aaa://cdf.example.net:',
      'aaa://cdf.example.net:abc',
      'aaa://cdf.example.net;transport=quic',
      'aaa://cdf.example.net;protocol=http',
      'aaa://cdf.example.net;color=red',
      'aaa://cdf example.net',
      'aaa://cdf.example.net/path',
      // RFC 6733 §4.3.1: udp MUST NOT be used with diameter, the default protocol.
      'aaa://cdf.example.net;transport=udp',
      'aaa://cdf.example.net;transport=udp;protocol=diameter',
    ]) {
      assert.equal(parseDiameterUri(s), undefined, s);
    }
  });

  test('codec: the text is the wire form; bad text → AVP_BAD_VALUE (5004) / ENCODE_BAD_VALUE', () => {
    const text = 'aaa://cdf.example.net:3868;transport=tcp';
    assert.equal(enc('DiameterURI', text), Buffer.from(text).toString('hex'));
    const u = dec('DiameterURI', Buffer.from(text).toString('hex')) as DiameterUri;
    assert.equal(u.host, 'cdf.example.net');
    assert.equal(u.port, 3868);
    assert.equal(
      enc('DiameterURI', {
        scheme: 'aaas',
        host: 'a.example',
        port: 5868,
        protocol: 'diameter',
      } as DiameterUri),
      Buffer.from('aaas://a.example:5868;protocol=diameter').toString('hex'),
    );
    rejects('DiameterURI', Buffer.from('http://x').toString('hex'), 'AVP_BAD_VALUE');
    rejects('DiameterURI', 'c328', 'AVP_BAD_UTF8');
    refuses('DiameterURI', 'cdf.example.net');
    assert.throws(
      () => decodeOneAvp('DiameterURI', Buffer.from('aaa://h:70000').toString('hex')),
      (e: unknown) => e instanceof DiameterError && e.code === 'AVP_BAD_VALUE' && e.resultCode === 5004,
    );
  });
});

describe('Grouped and minimum sizes', () => {
  test('a Grouped value is encoded from its children, never from `value`', () => {
    assert.throws(
      () => enc('Grouped', new Uint8Array(0)),
      (e: unknown) => e instanceof DiameterError && e.code === 'ENCODE_NO_TYPE',
    );
  });

  test('minimum data sizes used for synthesized Failed-AVPs (base-protocol.md §9.4)', () => {
    assert.equal(minimumDataSize('Unsigned32'), 4);
    assert.equal(minimumDataSize('Integer32'), 4);
    assert.equal(minimumDataSize('Enumerated'), 4);
    assert.equal(minimumDataSize('Time'), 4);
    assert.equal(minimumDataSize('Float32'), 4);
    assert.equal(minimumDataSize('Unsigned64'), 8);
    assert.equal(minimumDataSize('Integer64'), 8);
    assert.equal(minimumDataSize('Float64'), 8);
    assert.equal(minimumDataSize('UTF8String'), 0);
    assert.equal(minimumDataSize('OctetString'), 0);
    assert.equal(minimumDataSize('DiameterIdentity'), 0);
    assert.equal(minimumDataSize('Grouped'), 0);
  });
});

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
    const uri = fc.record(
      {
        scheme: fc.constantFrom('aaa' as const, 'aaas' as const),
        host: domain,
        port: fc.integer({ min: 0, max: 65535 }),
        transport: fc.constantFrom('tcp' as const, 'sctp' as const, 'udp' as const),
        protocol: fc.constantFrom('diameter' as const, 'radius' as const, 'tacacs+' as const),
      },
      { requiredKeys: ['scheme', 'host'] },
    ).filter((p) => !(p.transport === 'udp' && (p.protocol ?? 'diameter') === 'diameter'));
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

describe('UTF8String refuses what UTF-8 cannot carry', () => {
  test('a lone UTF-16 surrogate is ENCODE_BAD_VALUE, not a silent U+FFFD', () => {
    for (const s of ['\ud800', 'abc\udc00', '\ud83d']) {
      assert.throws(
        () => enc('UTF8String', s),
        (e: unknown) => e instanceof DiameterError && e.code === 'ENCODE_BAD_VALUE',
        JSON.stringify(s),
      );
    }
    // A proper pair is fine: U+1F600 is f0 9f 98 80.
    assert.equal(enc('UTF8String', '\ud83d\ude00'), 'f09f9880');
  });
});
