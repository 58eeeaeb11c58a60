/**
 * The JSON/YAML message form (src/dictionary/message-format.ts): short form {Name: value} when the AVP's
 * flags are the dictionary's, long form {name, flags, value} otherwise, unknown AVPs by code/vendor with
 * hex, every data type's JSON value, and errors that name the path of the bad AVP.
 * Expected octets are laid out by hand from RFC 6733 §3/§4.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DiameterError } from '../../src/codec/errors.js';
import { decodeMessage, encodeMessage } from '../../src/codec/message.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import {
  messageFromJson,
  messageToJson,
  type AvpJson,
  type MessageJson,
} from '../../src/dictionary/message-format.js';

const dict = builtinDictionary().add({
  // Test-only AVPs for the types no built-in AVP has.
  avps: [
    { name: 'Test-Float32', code: 99001, vendorId: 0, type: 'Float32', mandatory: 'may' },
    { name: 'Test-Float64', code: 99002, vendorId: 0, type: 'Float64', mandatory: 'may' },
    { name: 'Test-Integer64', code: 99003, vendorId: 0, type: 'Integer64', mandatory: 'must' },
    { name: 'Test-IPFilterRule', code: 99004, vendorId: 0, type: 'IPFilterRule', mandatory: 'must' },
  ],
});

const HEADER = '0100000080000118000000004a5b00027f000002'; // DWR, length patched by `message`

/** A DWR carrying the given AVP octets (written by hand), Message Length set to fit. */
function message(avpHex: string): Buffer {
  const body = avpHex.replace(/\s+/g, '');
  const b = Buffer.from(HEADER + body, 'hex');
  b.writeUIntBE(b.length, 1, 3);
  return b;
}

/** The AVP octets of a DWR holding `avps`, encoded from the JSON form. */
function encodeAvps(avps: AvpJson[]): string {
  const j: MessageJson = { command: 'DWR', hopByHop: '0x4a5b0002', endToEnd: '0x7f000002', avps };
  return encodeMessage(messageFromJson(j, dict)).subarray(20).toString('hex');
}

/** The JSON form of the AVPs of a DWR holding `avpHex`. */
function decodeAvps(avpHex: string): AvpJson[] {
  return messageToJson(decodeMessage(message(avpHex), dict.resolve), dict).avps;
}

/** JSON → octets = hex, and octets → JSON = the same JSON. */
function both(avps: AvpJson[], hex: string): void {
  const clean = hex.replace(/\s+/g, '');
  assert.equal(encodeAvps(avps), clean);
  assert.deepEqual(decodeAvps(clean), avps);
}

function formError(code: string, ...fragments: (string | RegExp)[]) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof DiameterError, `expected a DiameterError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const f of fragments) {
      if (typeof f === 'string') assert.ok(e.message.includes(f), `"${e.message}" should contain "${f}"`);
      else assert.match(e.message, f);
    }
    return true;
  };
}

describe('short and long forms', () => {
  test('short form when the flags are the dictionary’s (M for Origin-Host, none for Product-Name)', () => {
    both([{ 'Origin-Host': 'a' }], '00000108 40000009 61000000');
    both([{ 'Product-Name': 'x' }], '0000010d 00000009 78000000');
  });

  test('a vendor AVP in short form gets V, M and its Vendor-ID', () => {
    both([{ 'Node-Id': 'x' }], '00000810 c000000d 000028af 78000000');
  });

  test('long form when the flags differ: M set where the dictionary says must-not', () => {
    both([{ name: 'Product-Name', flags: 'M', value: 'x' }], '0000010d 40000009 78000000');
  });

  test('long form: M clear where the dictionary says must', () => {
    both([{ name: 'Origin-Host', flags: '', value: 'a' }], '00000108 00000009 61000000');
    both([{ name: 'Node-Id', flags: 'V', value: 'x' }], '00000810 8000000d 000028af 78000000');
  });

  test('long form: the P bit and reserved bits (as a number) are kept', () => {
    both([{ name: 'Origin-Host', flags: 'MP', value: 'a' }], '00000108 60000009 61000000');
    both([{ name: 'Origin-Host', flags: 0x41, value: 'a' }], '00000108 41000009 61000000');
  });

  test('long form of a Grouped AVP lists its children under "avps"', () => {
    both(
      [{ name: 'Failed-AVP', flags: '', avps: [{ 'Origin-State-Id': 7 }] }],
      '00000117 00000014 00000116 4000000c 00000007',
    );
  });

  test('the long form with the default flags is accepted and comes back short', () => {
    const hex = encodeAvps([{ name: 'Origin-Host', flags: 'M', value: 'a' }]);
    assert.equal(hex, '0000010840000009' + '61000000');
    assert.deepEqual(decodeAvps(hex), [{ 'Origin-Host': 'a' }]);
    assert.equal(encodeAvps([{ name: 'Origin-Host', value: 'a' }]), hex); // flags omitted = default
  });

  test('flag letters may be written loosely: lower case, dashes as in "-M-"', () => {
    assert.equal(
      encodeAvps([{ name: 'Product-Name', flags: '-m-', value: 'x' }]),
      '0000010d4000000978000000',
    );
  });

  test('V follows the vendor: asked for on a vendor-0 AVP it is not sent', () => {
    assert.equal(
      encodeAvps([{ name: 'Origin-Host', flags: 'VM', value: 'a' }]),
      '0000010840000009' + '61000000',
    );
  });
});

describe('unknown AVPs', () => {
  test('by code and vendor, data in hex', () => {
    both([{ code: 9999, vendor: 10415, flags: 'V', hex: '0102' }], '0000270f 8000000e 000028af 01020000');
  });

  test('by code, vendor 0, M set, empty data', () => {
    both([{ code: 9999, flags: 'M', hex: '' }], '0000270f 40000008');
  });

  test('a known code under an unknown vendor is unknown', () => {
    // Origin-Host's code 264 with vendor 5535 is not Origin-Host.
    both([{ code: 264, vendor: 5535, flags: 'VM', hex: '61' }], '00000108 c000000d 0000159f 61000000');
  });

  test('a known AVP may be given as raw hex (for deliberately malformed messages)', () => {
    assert.equal(
      encodeAvps([{ name: 'Origin-State-Id', flags: 'M', hex: '0102' }]),
      '000001164000000a01020000',
    );
  });

  test('AVPs decoded without a resolver: known values are read when shown, the rest stays hex', () => {
    const raw = (hex: string) => messageToJson(decodeMessage(message(hex)), dict).avps;
    assert.deepEqual(raw('00000108 40000009 61000000'), [{ 'Origin-Host': 'a' }]);
    // Origin-State-Id with 2 data octets cannot be read as Unsigned32: shown as it is.
    assert.deepEqual(raw('00000116 4000000a 0102 0000'), [
      { name: 'Origin-State-Id', flags: 'M', hex: '0102' },
    ]);
    // A Grouped AVP decoded without a resolver has no children to show.
    assert.deepEqual(raw('00000117 40000014 00000116 4000000c 00000007'), [
      { name: 'Failed-AVP', flags: 'M', hex: '000001164000000c00000007' },
    ]);
  });

  test('an unknown AVP without hex is an error naming it', () => {
    assert.throws(
      () => encodeAvps([{ code: 9999, value: 5 }]),
      formError('BAD_MESSAGE_FORM', 'avps[0]/9999', 'hex'),
    );
  });
});

describe('values by data type', () => {
  test('OctetString: printable text as a string, anything else as {hex}', () => {
    both([{ Class: 'abc' }], '00000019 4000000b 61626300');
    both([{ Class: 'tab\there' }], '00000019 40000010 74616209 68657265');
    both([{ Class: { hex: '00ff' } }], '00000019 4000000a 00ff0000');
    both([{ Class: { hex: '06' } }], '00000019 40000009 06000000');
    both([{ Class: { hex: 'c328' } }], '00000019 4000000a c3280000'); // not UTF-8
    both([{ Class: 'é' }], '00000019 4000000a c3a90000'); // UTF-8 text stays text
  });

  test('Unsigned32 and Integer32 as numbers; numeric strings accepted', () => {
    both([{ 'Origin-State-Id': 4294967295 }], '00000116 4000000c ffffffff');
    assert.equal(encodeAvps([{ 'Origin-State-Id': '0x10' }]), '000001164000000c00000010');
    assert.equal(encodeAvps([{ 'Origin-State-Id': '300' }]), '000001164000000c0000012c');
  });

  test('Integer64 and Unsigned64 as decimal strings (beyond 2^53 too)', () => {
    both([{ 'Accounting-Sub-Session-Id': '18446744073709551615' }], '0000011f 40000010 ffffffffffffffff');
    both([{ 'Test-Integer64': '-9223372036854775808' }], '000182bb 40000010 8000000000000000');
    assert.equal(encodeAvps([{ 'Accounting-Input-Octets': 12345 }]), '0000016b400000100000000000003039');
  });

  test('Float32 and Float64 as numbers, non-finite ones as strings', () => {
    both([{ 'Test-Float32': 1.5 }], '000182b9 0000000c 3fc00000');
    both([{ 'Test-Float64': -0.5 }], '000182ba 00000010 bfe0000000000000');
    both([{ 'Test-Float64': 'Infinity' }], '000182ba 00000010 7ff0000000000000');
    both([{ 'Test-Float32': '-Infinity' }], '000182b9 0000000c ff800000');
    both([{ 'Test-Float64': 'NaN' }], '000182ba 00000010 7ff8000000000000');
  });

  test('Enumerated by name; unknown values as numbers; numbers accepted on input', () => {
    both([{ 'Disconnect-Cause': 'DO_NOT_WANT_TO_TALK_TO_YOU' }], '00000111 4000000c 00000002');
    both([{ 'Disconnect-Cause': 9 }], '00000111 4000000c 00000009');
    both([{ 'Disconnect-Cause': -1 }], '00000111 4000000c ffffffff');
    assert.equal(encodeAvps([{ 'Disconnect-Cause': 0 }]), '000001114000000c00000000');
    assert.equal(encodeAvps([{ 'Disconnect-Cause': '1' }]), '000001114000000c00000001');
    assert.deepEqual(decodeAvps('00000111 4000000c 00000000'), [{ 'Disconnect-Cause': 'REBOOTING' }]);
  });

  test('Time as ISO 8601 UTC without milliseconds', () => {
    both([{ 'Event-Timestamp': '2024-01-01T00:00:02Z' }], '00000037 4000000c e93c7f02');
    both([{ 'Event-Timestamp': '2036-02-07T06:28:16Z' }], '00000037 4000000c 00000000');
    // Other ISO spellings are accepted on input.
    assert.equal(
      encodeAvps([{ 'Event-Timestamp': '2024-01-01T01:00:02+01:00' }]),
      '000000374000000ce93c7f02',
    );
  });

  test('Address as text, other families as {family, hex}', () => {
    both([{ 'Host-IP-Address': '192.0.2.10' }], '00000101 4000000e 0001c000020a 0000');
    both(
      [{ 'Host-IP-Address': '2001:db8::1' }],
      '00000101 4000001a 0002 20010db8000000000000000000000001 0000',
    );
    both([{ 'Host-IP-Address': { family: 8, hex: '3135' } }], '00000101 4000000c 00083135');
  });

  test('DiameterURI and DiameterIdentity as text', () => {
    both(
      [{ 'Redirect-Host': 'aaa://cdf.example.net:3868;transport=tcp' }],
      '00000124 40000030 6161613a2f2f6364662e6578616d706c652e6e65743a333836383b7472616e73706f72743d746370',
    );
    both([{ 'Destination-Realm': 'example.net' }], '0000011b 40000013 6578616d706c652e6e6574 00');
  });

  test('UTF8String and IPFilterRule as text', () => {
    both([{ 'User-Name': 'Ωmega' }], '00000001 4000000e cea96d656761 0000');
    both(
      [{ 'Test-IPFilterRule': 'permit out ip from any to any' }],
      '000182bc 40000025 7065726d6974206f75742069702066726f6d20616e7920746f20616e79 000000',
    );
  });
});

describe('message header', () => {
  test('a command abbreviation picks R by request/answer and P from the command', () => {
    const acr = messageFromJson({ command: 'ACR', avps: [] }, dict);
    assert.equal(acr.flags, 0xc0);
    assert.equal(acr.commandCode, 271);
    assert.equal(acr.applicationId, 3);
    const aca = messageFromJson({ command: 'aca', avps: [] }, dict);
    assert.equal(aca.flags, 0x40);
    const cer = messageFromJson({ command: 'CER', avps: [] }, dict);
    assert.equal(cer.flags, 0x80);
    assert.equal(cer.applicationId, 0);
    const cea = messageFromJson({ command: 'CEA', avps: [] }, dict);
    assert.equal(cea.flags, 0);
  });

  test('explicit flags, application and ids win; ids as hex, decimal or numbers', () => {
    const m = messageFromJson(
      { command: 'ACA', application: 4, flags: 'PE', hopByHop: '0x0000ffff', endToEnd: 42, avps: [] },
      dict,
    );
    assert.equal(m.flags, 0x60);
    assert.equal(m.applicationId, 4);
    assert.equal(m.hopByHopId, 0xffff);
    assert.equal(m.endToEndId, 42);
    assert.equal(
      encodeMessage(m).toString('hex'),
      '01000014' + '6000010f' + '00000004' + '0000ffff' + '0000002a',
    );
    assert.equal(
      messageFromJson({ command: 271, hopByHop: '4294967295', avps: [] }, dict).hopByHopId,
      0xffffffff,
    );
  });

  test('unknown command codes and reserved flag bits come out as numbers', () => {
    const m = decodeMessage(
      Buffer.from('01000014' + '8f7fffff' + '01000000' + '00000001' + '00000002', 'hex'),
    );
    const j = messageToJson(m, dict);
    assert.equal(j.command, 0x7fffff);
    assert.equal(j.flags, 0x8f);
    assert.equal(j.application, 0x01000000);
    assert.equal(j.hopByHop, '0x00000001');
    assert.equal(
      encodeMessage(messageFromJson(j, dict)).toString('hex'),
      Buffer.from(m.raw!).toString('hex'),
    );
  });

  test('the answer abbreviation is chosen by the R flag', () => {
    const hex = '01000014' + '4000010f' + '00000003' + '00000001' + '00000002';
    assert.equal(messageToJson(decodeMessage(Buffer.from(hex, 'hex')), dict).command, 'ACA');
    const req = '01000014' + 'c000010f' + '00000003' + '00000001' + '00000002';
    assert.equal(messageToJson(decodeMessage(Buffer.from(req, 'hex')), dict).command, 'ACR');
  });
});

describe('errors name the path of what is wrong', () => {
  const acr = (avps: AvpJson[]): MessageJson => ({ command: 'ACR', avps });

  test('unknown AVP name at the top level', () => {
    assert.throws(
      () => messageFromJson(acr([{ 'Session-Id': 'x' }, { Nope: 1 }]), dict),
      formError('UNKNOWN_NAME', 'avps[1]', '"Nope"'),
    );
    assert.throws(
      () => messageFromJson(acr([{ name: 'Nope', value: 1 }]), dict),
      formError('UNKNOWN_NAME', 'avps[0]', '"Nope"'),
    );
  });

  test('unknown AVP name two levels down', () => {
    const j = acr([
      { 'Session-Id': 'x' },
      { 'Service-Information': [{ 'Subscription-Id': [] }, { 'IMS-Information': [{ Nope: 1 }] }] },
    ]);
    assert.throws(
      () => messageFromJson(j, dict),
      formError('UNKNOWN_NAME', 'avps[1]/Service-Information[1]/IMS-Information[0]', '"Nope"'),
    );
  });

  test('the Result-Code of a form error is 5012 (it is never sent, but every error has one)', () => {
    assert.throws(
      () => messageFromJson(acr([{ Nope: 1 }]), dict),
      (e: unknown) => e instanceof DiameterError && e.resultCode === 5012,
    );
  });

  test('values of the wrong JSON kind name the AVP, its type and what was expected', () => {
    const cases: [AvpJson, ...string[]][] = [
      [{ 'Acct-Interim-Interval': 'abc' }, 'avps[0]/Acct-Interim-Interval', 'Unsigned32'],
      [{ 'Accounting-Input-Octets': 1.5 }, 'avps[0]/Accounting-Input-Octets', 'Unsigned64', 'decimal'],
      [{ 'Event-Timestamp': 'yesterday' }, 'avps[0]/Event-Timestamp', 'Time'],
      [{ 'Host-IP-Address': 42 }, 'avps[0]/Host-IP-Address', 'Address'],
      [{ 'Redirect-Host': 'http://x' }, 'avps[0]/Redirect-Host', 'DiameterURI'],
      [{ 'Service-Information': 'x' }, 'avps[0]/Service-Information', 'Grouped'],
      [{ Class: { hex: 'zz' } }, 'avps[0]/Class', 'not hex'],
      [{ Class: 5 }, 'avps[0]/Class', 'OctetString'],
      [{ 'Session-Id': null }, 'avps[0]/Session-Id'],
      [{ 'Session-Id': ['x'] }, 'avps[0]/Session-Id', 'UTF8String'],
    ];
    for (const [avp, ...fragments] of cases) {
      assert.throws(
        () => messageFromJson(acr([avp]), dict),
        formError('BAD_MESSAGE_FORM', ...fragments),
        JSON.stringify(avp),
      );
    }
  });

  test('an unknown enumerated name lists the known ones', () => {
    assert.throws(
      () => messageFromJson(acr([{ 'Accounting-Record-Type': 'BEGIN_RECORD' }]), dict),
      formError(
        'BAD_MESSAGE_FORM',
        'avps[0]/Accounting-Record-Type',
        'BEGIN_RECORD',
        'START_RECORD',
        'STOP_RECORD',
      ),
    );
  });

  test(
    'values out of range for the type name the AVP path',
    () => {
      for (const [avp, path] of [
        [{ 'Acct-Interim-Interval': -1 }, 'avps[0]/Acct-Interim-Interval'],
        [{ 'Acct-Interim-Interval': 4294967296 }, 'avps[0]/Acct-Interim-Interval'],
        [{ 'Event-Timestamp': '1900-01-01T00:00:00Z' }, 'avps[0]/Event-Timestamp'],
        [{ 'Host-IP-Address': 'not-an-ip' }, 'avps[0]/Host-IP-Address'],
      ] as [AvpJson, string][]) {
        assert.throws(
          () => messageFromJson(acr([avp]), dict),
          (e: unknown) => e instanceof DiameterError && e.message.includes(path),
          JSON.stringify(avp),
        );
      }
    },
  );

  test('values out of range are refused when the form is read, not at send time', () => {
    for (const avp of [
      { 'Acct-Interim-Interval': -1 },
      { 'Acct-Interim-Interval': 4294967296 },
      { 'Event-Timestamp': '1900-01-01T00:00:00Z' },
      { 'Host-IP-Address': 'not-an-ip' },
      { 'Host-IP-Address': { family: 1, hex: '0a00' } },
    ] as AvpJson[]) {
      assert.throws(
        () => messageFromJson(acr([avp]), dict),
        (e: unknown) => e instanceof DiameterError && e.resultCode === 5004,
        JSON.stringify(avp),
      );
    }
  });

  test('malformed AVP objects', () => {
    assert.throws(
      () => messageFromJson(acr([{ 'Session-Id': 'x', 'User-Name': 'y' }]), dict),
      formError('BAD_MESSAGE_FORM', 'avps[0]'),
    );
    assert.throws(
      () => messageFromJson(acr([{ name: 'Session-Id' }]), dict),
      formError('BAD_MESSAGE_FORM', 'avps[0]/Session-Id', 'missing value'),
    );
    assert.throws(
      () => messageFromJson(acr([[] as unknown as AvpJson]), dict),
      formError('BAD_MESSAGE_FORM', 'avps[0]'),
    );
    assert.throws(
      () => messageFromJson(acr([{ name: 'Session-Id', flags: 'MX', value: 'x' }]), dict),
      formError('BAD_MESSAGE_FORM', 'avps[0]', '"X"'),
    );
    assert.throws(
      () => messageFromJson(acr([{ code: 'x', hex: '' }]), dict),
      formError('BAD_MESSAGE_FORM', 'avps[0]', 'code'),
    );
  });

  test('malformed message objects', () => {
    assert.throws(
      () => messageFromJson({ command: 'XYZ', avps: [] }, dict),
      formError('UNKNOWN_NAME', 'command', 'XYZ'),
    );
    assert.throws(
      () => messageFromJson({ command: 'ACR' } as MessageJson, dict),
      formError('BAD_MESSAGE_FORM', 'avps'),
    );
    assert.throws(
      () => messageFromJson({ command: 'ACR', flags: 'RQ', avps: [] }, dict),
      formError('BAD_MESSAGE_FORM', 'flags', '"Q"'),
    );
    assert.throws(
      () => messageFromJson({ command: 'ACR', hopByHop: 'abc', avps: [] }, dict),
      formError('BAD_MESSAGE_FORM', 'hopByHop'),
    );
    assert.throws(
      () => messageFromJson({ command: 'ACR', endToEnd: 2 ** 32, avps: [] }, dict),
      formError('BAD_MESSAGE_FORM', 'endToEnd'),
    );
    assert.throws(
      () => messageFromJson({ command: 'ACR', application: 'Nope', avps: [] }, dict),
      formError('UNKNOWN_NAME', 'application', 'Nope'),
    );
    assert.throws(
      () => messageFromJson({ command: true, avps: [] } as unknown as MessageJson, dict),
      formError('BAD_MESSAGE_FORM', 'command'),
    );
  });
});
