/**
 * Malformed AVP layouts (RFC 6733 §4.1, §7.5; base-protocol.md §3 "Walking AVPs" and §9.4 Failed-AVP
 * contents): each fault gives the right stable code, Result-Code 5014, the offset of the AVP header, the
 * AVP path, and a Failed-AVP an answer can carry. Messages are laid out octet by octet below.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeAvp } from '../../src/codec/avp.js';
import { DiameterError } from '../../src/codec/errors.js';
import { decodeMessage } from '../../src/codec/message.js';
import type { Avp, AvpTypeResolver, DataType } from '../../src/codec/types.js';
import { Writer } from '../../src/codec/writer.js';

/** A resolver of our own, so these tests do not depend on the built-in dictionary. */
const TYPES = new Map<string, DataType>([
  ['264:0', 'DiameterIdentity'], // Origin-Host
  ['278:0', 'Unsigned32'], // Origin-State-Id
  ['443:0', 'Grouped'], // Subscription-Id
  ['444:0', 'UTF8String'], // Subscription-Id-Data
  ['450:0', 'Enumerated'], // Subscription-Id-Type
  ['363:0', 'Unsigned64'], // Accounting-Input-Octets
  ['873:10415', 'Grouped'], // Service-Information
]);
const resolve: AvpTypeResolver = (code, vendorId) => {
  const type = TYPES.get(`${code}:${vendorId}`);
  return type ? { type } : undefined;
};

/** Header of a CER with the Message Length set to the octets that follow + 20, then the AVP octets. */
function message(avpHex: string, lengthOverride?: number): Buffer {
  const body = avpHex.replace(/\s+/g, '');
  const len = lengthOverride ?? 20 + body.length / 2;
  return Buffer.from(`01${len.toString(16).padStart(6, '0')}80000101000000004a5b00017f000001${body}`, 'hex');
}

function catchError(f: () => unknown): DiameterError {
  try {
    f();
  } catch (e) {
    if (e instanceof DiameterError) return e;
    throw new Error(`expected a DiameterError, got ${String(e)}`);
  }
  throw new Error('expected a DiameterError, nothing was thrown');
}

function failedAvpHex(inner: Avp): string {
  const w = new Writer(64);
  encodeAvp(w, { code: 279, flags: 0x40, vendorId: 0, avps: [inner] });
  return w.finish().toString('hex');
}

interface Expect {
  code: string;
  resultCode: number;
  offset: number;
  path: string | undefined;
  failed?: { code: number; flags: number; vendorId: number; dataHex: string };
  /** Failed-AVP (279) as an answer would carry it, laid out by hand. */
  failedAvpWire?: string;
}

function check(e: DiameterError, x: Expect): void {
  assert.equal(e.code, x.code);
  assert.equal(e.resultCode, x.resultCode);
  assert.equal(e.offset, x.offset);
  assert.equal(e.path, x.path);
  assert.ok(e.message.includes(`offset ${x.offset}`), e.message);
  if (x.path) assert.ok(e.message.includes(`at ${x.path}`), e.message);
  if (x.failed) {
    assert.ok(e.failedAvp, 'Failed-AVP expected');
    const f = e.failedAvp!;
    assert.equal(f.code, x.failed.code);
    assert.equal(f.flags, x.failed.flags);
    assert.equal(f.vendorId, x.failed.vendorId);
    assert.equal(Buffer.from(f.data ?? []).toString('hex'), x.failed.dataHex);
  }
  if (x.failedAvpWire) assert.equal(failedAvpHex(e.failedAvp!), x.failedAvpWire.replace(/\s+/g, ''));
}

describe('AVP length below its header size → AVP_TOO_SHORT (5014)', () => {
  test('length 4 < 8 (no V): Failed-AVP = header + zero payload of the type’s minimum size', () => {
    // Origin-State-Id (278, Unsigned32) announcing length 4; 4 more octets follow.
    const m = message('00000116 40000004 00000000');
    check(
      catchError(() => decodeMessage(m, resolve)),
      {
        code: 'AVP_TOO_SHORT',
        resultCode: 5014,
        offset: 20,
        path: '278',
        failed: { code: 278, flags: 0x40, vendorId: 0, dataHex: '00000000' },
        // Failed-AVP { Origin-State-Id len 12, data 0 } — what goes back in the answer.
        failedAvpWire: '00000117 40000014 00000116 4000000c 00000000',
      },
    );
  });

  test('length 0 of an unknown AVP: Failed-AVP has an empty payload', () => {
    const m = message('00001234 00000000 00000000');
    check(
      catchError(() => decodeMessage(m, resolve)),
      {
        code: 'AVP_TOO_SHORT',
        resultCode: 5014,
        offset: 20,
        path: '4660',
        failed: { code: 0x1234, flags: 0, vendorId: 0, dataHex: '' },
        failedAvpWire: '00000117 40000010 00001234 00000008',
      },
    );
  });

  test('length 10 < 12 with the V bit (Grouped): Failed-AVP keeps the vendor, empty payload', () => {
    // Service-Information (873, vendor 10415) announcing length 10.
    const m = message('00000369 c000000a 000028af 00000000');
    check(
      catchError(() => decodeMessage(m, resolve)),
      {
        code: 'AVP_TOO_SHORT',
        resultCode: 5014,
        offset: 20,
        path: '873:10415',
        failed: { code: 873, flags: 0xc0, vendorId: 10415, dataHex: '' },
        failedAvpWire: '00000117 40000014 00000369 c000000c 000028af',
      },
    );
  });

  test('length 8 with V (a vendor AVP claiming a no-vendor header)', () => {
    const m = message('00000369 c0000008 000028af');
    check(
      catchError(() => decodeMessage(m)),
      {
        code: 'AVP_TOO_SHORT',
        resultCode: 5014,
        offset: 20,
        path: '873:10415',
        failed: { code: 873, flags: 0xc0, vendorId: 10415, dataHex: '' },
      },
    );
  });

  test('the same fault on a second-level AVP names its parent in the path', () => {
    // Service-Information { Subscription-Id-Type len 6 }: parent length 12 + 8.
    const m = message('00000369 c0000014 000028af 000001c2 40000006 00000000');
    check(
      catchError(() => decodeMessage(m, resolve)),
      {
        code: 'AVP_TOO_SHORT',
        resultCode: 5014,
        offset: 32,
        path: '873:10415/450',
        failed: { code: 450, flags: 0x40, vendorId: 0, dataHex: '00000000' },
      },
    );
  });
});

describe('AVP overrunning its container → AVP_OVERRUN (5014)', () => {
  test('overrun of the message', () => {
    // Origin-State-Id then Origin-Host announcing 48 octets where 12 remain.
    const m = message('00000116 4000000c 6553f100 00000108 40000030 63746600');
    check(
      catchError(() => decodeMessage(m, resolve)),
      {
        code: 'AVP_OVERRUN',
        resultCode: 5014,
        offset: 32,
        path: '264',
        failed: { code: 264, flags: 0x40, vendorId: 0, dataHex: '' },
        failedAvpWire: '00000117 40000010 00000108 40000008',
      },
    );
  });

  test('overrun of the message by a fixed-size AVP: zero payload of its size', () => {
    // Accounting-Input-Octets (Unsigned64) announcing 16 octets where 12 remain.
    const m = message('0000016b 40000010 00000000');
    check(
      catchError(() => decodeMessage(m, resolve)),
      {
        code: 'AVP_OVERRUN',
        resultCode: 5014,
        offset: 20,
        path: '363',
        failed: { code: 363, flags: 0x40, vendorId: 0, dataHex: '0000000000000000' },
        failedAvpWire: '00000117 40000018 0000016b 40000010 0000000000000000',
      },
    );
  });

  test('overrun of a Grouped parent, though still inside the message', () => {
    // Service-Information (len 28) { Subscription-Id-Type announcing 20 octets where 16 remain },
    // then Origin-State-Id: the child's 20 octets would fit in the message but not in its parent.
    const m = message(
      '00000369 c000001c 000028af' + ' 000001c2 40000014 00000002 00000000' + ' 00000116 4000000c 6553f100',
    );
    check(
      catchError(() => decodeMessage(m, resolve)),
      {
        code: 'AVP_OVERRUN',
        resultCode: 5014,
        offset: 32,
        path: '873:10415/450',
        failed: { code: 450, flags: 0x40, vendorId: 0, dataHex: '00000000' },
      },
    );
  });

  test('overrun three levels deep names every level', () => {
    // Service-Information { Subscription-Id { Subscription-Id-Data announcing 40 octets where 8 remain } }
    const m = message('00000369 c0000024 000028af 000001bb 40000018 000001bc 40000028 73697000 00000000');
    check(
      catchError(() => decodeMessage(m, resolve)),
      {
        code: 'AVP_OVERRUN',
        resultCode: 5014,
        offset: 40,
        path: '873:10415/443/444',
        failed: { code: 444, flags: 0x40, vendorId: 0, dataHex: '' },
      },
    );
  });

  test('a V-flagged AVP header cut short by the end of the message', () => {
    // 8 octets left: room for code and flags/length, not for the Vendor-ID.
    const m = message('00000116 4000000c 6553f100 00000369 c0000010');
    check(
      catchError(() => decodeMessage(m, resolve)),
      {
        code: 'AVP_OVERRUN',
        resultCode: 5014,
        offset: 32,
        path: '873',
        failed: { code: 873, flags: 0xc0, vendorId: 0, dataHex: '' },
      },
    );
  });

  test('without a resolver the layout is still checked', () => {
    const m = message('00000116 4000000c 6553f100 00000108 40000030 63746600');
    const e = catchError(() => decodeMessage(m));
    assert.equal(e.code, 'AVP_OVERRUN');
    assert.equal(e.offset, 32);
  });
});

describe('octets after the last AVP → AVP_TRAILING (5014)', () => {
  test('4 octets at the end of the message', () => {
    const m = message('00000116 4000000c 6553f100 00000108');
    check(
      catchError(() => decodeMessage(m, resolve)),
      {
        code: 'AVP_TRAILING',
        resultCode: 5014,
        offset: 32,
        path: undefined,
        failed: { code: 264, flags: 0, vendorId: 0, dataHex: '' },
      },
    );
  });

  test('4 octets at the end of a Grouped AVP', () => {
    // Service-Information (len 28) { Subscription-Id-Type 2, then 4 stray octets }
    const m = message('00000369 c000001c 000028af 000001c2 4000000c 00000002 00000000');
    check(
      catchError(() => decodeMessage(m, resolve)),
      {
        code: 'AVP_TRAILING',
        resultCode: 5014,
        offset: 44,
        path: '873:10415',
      },
    );
  });
});

describe('wrong data inside a well-formed AVP', () => {
  test('fixed-size type with the wrong size → AVP_BAD_SIZE (5014); Failed-AVP is the AVP as received', () => {
    // Service-Information { Subscription-Id { Subscription-Id-Type with 3 data octets } }
    const m = message(
      '00000369 c0000028 000028af 000001bb 4000001c 000001c2 4000000b 000002 00' + ' 000001bc 40000008',
    );
    check(
      catchError(() => decodeMessage(m, resolve)),
      {
        code: 'AVP_BAD_SIZE',
        resultCode: 5014,
        offset: 40,
        path: '873:10415/443/450',
        failed: { code: 450, flags: 0x40, vendorId: 0, dataHex: '000002' },
        failedAvpWire: '00000117 40000014 000001c2 4000000b 00000200',
      },
    );
  });

  test('invalid UTF-8 → AVP_BAD_UTF8 (5004); Failed-AVP is the AVP as received', () => {
    const m = message('00000108 4000000a c328 0000');
    check(
      catchError(() => decodeMessage(m, resolve)),
      {
        code: 'AVP_BAD_UTF8',
        resultCode: 5004,
        offset: 20,
        path: '264',
        failed: { code: 264, flags: 0x40, vendorId: 0, dataHex: 'c328' },
        failedAvpWire: '00000117 40000014 00000108 4000000a c3280000',
      },
    );
  });

  test('an unknown AVP’s data is not judged', () => {
    const m = message('00000108 4000000a c328 0000');
    const msg = decodeMessage(m);
    assert.equal(Buffer.from(msg.avps[0]!.data!).toString('hex'), 'c328');
  });
});

describe('header faults found by decodeMessage', () => {
  test('fewer than 20 octets → HEADER_TRUNCATED (5015)', () => {
    const e = catchError(() => decodeMessage(Buffer.from('0100001480000101', 'hex')));
    assert.equal(e.code, 'HEADER_TRUNCATED');
    assert.equal(e.resultCode, 5015);
  });

  test('version 2 → HEADER_BAD_VERSION (5011)', () => {
    const m = message('00000116 4000000c 6553f100');
    m[0] = 2;
    const e = catchError(() => decodeMessage(m));
    assert.equal(e.code, 'HEADER_BAD_VERSION');
    assert.equal(e.resultCode, 5011);
    assert.equal(e.offset, 0);
  });

  test('Message Length ≠ octets, < 20, or not a multiple of 4 → HEADER_LENGTH_MISMATCH (5015)', () => {
    for (const [body, len] of [
      ['00000116 4000000c 6553f100', 28],
      ['00000116 4000000c 6553f100', 36],
      ['', 16],
      ['00000116 4000000c 6553f100', 30],
    ] as const) {
      const e = catchError(() => decodeMessage(message(body, len)));
      assert.equal(e.code, 'HEADER_LENGTH_MISMATCH', `length ${len}`);
      assert.equal(e.resultCode, 5015);
    }
  });

  test('a header-only message is valid and has no AVPs', () => {
    const m = decodeMessage(message(''));
    assert.deepEqual(m.avps, []);
    assert.equal(m.commandCode, 257);
  });
});
