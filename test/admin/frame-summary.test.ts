/**
 * The header fields and Result-Code the metrics read from raw frames, checked against the byte-exact
 * vectors (made by Erlang/OTP diameter) and the values test-vectors.md lists for them, plus hand-written
 * frames for Experimental-Result (RFC 6733 §7.6), vendor AVPs and broken AVP lengths.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  frameApplication,
  frameCommand,
  frameFlags,
  frameHopByHop,
  frameResultCode,
} from '../../src/admin/frame-summary.js';
import { loadVectors, loadVectorTables } from '../helpers/vectors.js';

/** A frame from hex AVPs after a 20-octet header (answer, command 271, application 3, Hop-by-Hop 0x0a0b0c0d). */
function answer(avpsHex: string, flags = 0x40): Uint8Array {
  const body = Buffer.from(avpsHex.replace(/\s+/g, ''), 'hex');
  const len = 20 + body.length;
  const h = Buffer.from(
    `01${len.toString(16).padStart(6, '0')}${flags.toString(16).padStart(2, '0')}00010f000000030a0b0c0d01020304`,
    'hex',
  );
  return Uint8Array.from(Buffer.concat([h, body]));
}

describe('frame summary', () => {
  test('header fields and Result-Code of every vector match test-vectors.md', () => {
    const tables = loadVectorTables();
    const vectors = loadVectors();
    assert.ok(vectors.length >= 12);
    for (const v of vectors) {
      const t = tables.get(v.name);
      assert.ok(t, `table for ${v.name}`);
      assert.equal(frameFlags(v.bytes), t.flags, v.name);
      assert.equal(frameCommand(v.bytes), t.commandCode, v.name);
      assert.equal(frameApplication(v.bytes), t.applicationId, v.name);
      assert.equal(frameHopByHop(v.bytes), t.hopByHop, v.name);
      const rc = t.avps.find((a) => a.depth === 0 && a.name === 'Result-Code');
      assert.equal(frameResultCode(v.bytes), rc ? Number(rc.value) : 0, v.name);
    }
  });

  test('Experimental-Result-Code inside Experimental-Result when there is no Result-Code', () => {
    // Session-Id "a" (padded), a 3GPP vendor AVP that happens to have code 268, then Experimental-Result
    // { Vendor-Id 10415, Experimental-Result-Code 5030 }.
    const f = answer(`
      00000107 40000009 61000000
      0000010c c0000010 000028af 000007d1
      00000129 40000020 0000010a 4000000c 000028af 0000012a 4000000c 000013a6`);
    assert.equal(frameResultCode(f), 5030);
  });

  test('with two Result-Code AVPs the first is read', () => {
    const f = answer('0000010c4000000c00000bb9 0000010c4000000c000007d1');
    assert.equal(frameResultCode(f), 3001);
  });

  test('broken AVP lengths, a short frame or no Result-Code read as 0', () => {
    assert.equal(frameResultCode(answer('0000010c40000004')), 0, 'length below the header');
    assert.equal(frameResultCode(answer('0000010c400000ff000007d1')), 0, 'AVP overruns the message');
    assert.equal(frameResultCode(answer('00000107400000096100000000')), 0, 'no Result-Code');
    assert.equal(frameResultCode(Uint8Array.from([1, 0, 0, 20])), 0, 'fewer than 20 octets');
    assert.equal(frameCommand(Uint8Array.from([1, 0, 0])), 0);
    // A Message Length shorter than the buffer: AVPs past it are not read.
    const f = answer('0000010c4000000c000007d1');
    f[3] = 20;
    assert.equal(frameResultCode(f), 0);
  });
});
