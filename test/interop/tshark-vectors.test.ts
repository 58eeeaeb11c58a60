/**
 * Wireshark's Diameter dissector as an independent judge of the shared test vectors, and of the pcap and
 * tshark helpers that later tests use to judge bytes our encoder produces.
 * Expected values come from shared/spec/test-vectors.md, never from tshark or from our code.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadVectors, loadVectorTables, specDir } from '../helpers/vectors.js';
import type { Vector, VectorTable } from '../helpers/vectors.js';
import { requireTool } from './helpers/require-tool.js';
import { EXPERT_FIELDS, splitFrames, tsharkCheckMessages } from './helpers/tshark.js';
import type { TsharkCheck } from './helpers/tshark.js';
import type { PcapMessage } from './helpers/pcap-writer.js';

/** Not a Diameter well-known port: proves the decode-as option is applied. */
const PORT = 3999;

const HEADER_FIELDS = [
  'diameter.length',
  'diameter.flags',
  'diameter.cmd.code',
  'diameter.applicationId',
  'diameter.hopbyhopid',
  'diameter.endtoendid',
  'diameter.avp.code',
  'diameter.avp.flags',
  'diameter.avp.len',
  'diameter.avp.vendorId',
  'diameter.Session-Id',
  'diameter.Origin-Host',
  'diameter.Result-Code',
] as const;

const vectors = loadVectors();
const tables = loadVectorTables();

function tableFor(v: Vector): VectorTable {
  const t = tables.get(v.name);
  assert.ok(t, `test-vectors.md has no section for ${v.name}`);
  return t;
}

const hex32 = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
const hex8 = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;
const unquote = (s: string): string => s.replace(/^"(.*)"$/, '$1');

/** The values the spec's table gives for a top-level AVP, as tshark prints them. */
function topLevelValues(t: VectorTable, avpName: string): string[] {
  return t.avps.filter((a) => a.depth === 0 && a.name === avpName).map((a) => unquote(a.value));
}

function isRequest(bytes: Uint8Array): boolean {
  return (bytes[4]! & 0x80) !== 0;
}

/** Asserts that one frame's fields match what test-vectors.md says of vector `t`. */
function assertFrameMatches(row: string[][], t: VectorTable): void {
  const [
    length,
    flags,
    cmd,
    app,
    hbh,
    e2e,
    codes,
    avpFlags,
    lens,
    vendors,
    sessionId,
    originHost,
    resultCode,
  ] = row;
  assert.deepEqual(length, [String(t.length)], 'Message Length');
  assert.deepEqual(flags, [hex8(t.flags)], 'command flags');
  assert.deepEqual(cmd, [String(t.commandCode)], 'Command-Code');
  assert.deepEqual(app, [String(t.applicationId)], 'Application-Id');
  assert.deepEqual(hbh, [hex32(t.hopByHop)], 'Hop-by-Hop Identifier');
  assert.deepEqual(e2e, [hex32(t.endToEnd)], 'End-to-End Identifier');
  // Every AVP, nested ones included, in wire order (the tables list them depth-first, as tshark does).
  assert.deepEqual(
    codes,
    t.avps.map((a) => String(a.code)),
    'AVP codes',
  );
  assert.deepEqual(
    avpFlags,
    t.avps.map((a) => hex8(a.flags)),
    'AVP flags',
  );
  assert.deepEqual(
    lens,
    t.avps.map((a) => String(a.length)),
    'AVP lengths',
  );
  assert.deepEqual(
    vendors,
    t.avps.filter((a) => a.vendorId !== undefined).map((a) => String(a.vendorId)),
    'AVP Vendor-Ids',
  );
  assert.deepEqual(sessionId, topLevelValues(t, 'Session-Id'), 'Session-Id');
  assert.deepEqual(originHost, topLevelValues(t, 'Origin-Host'), 'Origin-Host');
  assert.deepEqual(resultCode, topLevelValues(t, 'Result-Code'), 'Result-Code');
}

/** Requests from the client side, answers from the server side, as on a real connection. */
function asConversation(list: readonly Vector[]): PcapMessage[] {
  return list.map((v) => ({ bytes: v.bytes, fromClient: isRequest(v.bytes) }));
}

/** tshark is slow to start (~0.5 s of CPU), so every vector goes through one capture, decoded once. */
let allVectors: Promise<TsharkCheck> | undefined;
function decodeAllVectors(): Promise<TsharkCheck> {
  allVectors ??= tsharkCheckMessages(asConversation(vectors), {
    port: PORT,
    fields: [...HEADER_FIELDS, ...EXPERT_FIELDS],
  });
  return allVectors;
}

describe('tshark judges the shared test vectors', () => {
  test('the spec holds vectors and a table for each', () => {
    assert.ok(vectors.length >= 12, `expected at least 12 vectors in ${specDir()}, found ${vectors.length}`);
    for (const v of vectors) {
      const t = tableFor(v);
      assert.equal(v.bytes.length, t.length, `${v.name}: file length vs table`);
    }
  });

  test('all vectors in one capture: no malformed packet, no expert info', async (t) => {
    if (!requireTool(t, 'tshark')) return;
    const result = await decodeAllVectors();
    assert.equal(result.malformedCount, 0, result.text);
    assert.deepEqual(result.expertLines, []);
    assert.equal(result.fields.length, vectors.length, 'one frame per vector');
    assert.equal(splitFrames(result.text).length, vectors.length);
  });

  vectors.forEach((v, i) => {
    test(`${v.name}: clean, and every field as in the spec`, async (t) => {
      if (!requireTool(t, 'tshark')) return;
      const row = (await decodeAllVectors()).fields[i];
      assert.ok(row, `no frame ${i + 1}`);
      const [expert, malformed] = row.slice(HEADER_FIELDS.length);
      assert.deepEqual(expert, [], 'expert info');
      assert.deepEqual(malformed, [], 'malformed');
      assertFrameMatches(row, tableFor(v));
    });
  });

  test('05-acr-start: tshark prints the lines the spec recorded from its own tshark run', async (t) => {
    if (!requireTool(t, 'tshark')) return;
    const md = readFileSync(join(specDir(), 'test-vectors.md'), 'utf8');
    const block = /### tshark view of vector 05[^\n]*\n```\n([\s\S]*?)\n```/.exec(md);
    assert.ok(block, 'test-vectors.md has a "tshark view of vector 05" block');
    const expected = block[1]!
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    assert.ok(
      expected.some((l) => l.startsWith('Command Code:')) && expected.some((l) => l.includes('Session-Id')),
    );

    const index = vectors.findIndex((x) => x.name === '05-acr-start');
    assert.notEqual(index, -1);
    const frame = splitFrames((await decodeAllVectors()).text)[index];
    assert.ok(frame);
    const actual = frame.split('\n').map((l) => l.trim());
    // Same lines, same order; tshark's detail lines between them (bit fields, padding) are ignored.
    let at = 0;
    for (const line of expected) {
      const found = actual.indexOf(line, at);
      assert.notEqual(found, -1, `tshark output lacks (after line ${at}): ${line}`);
      at = found + 1;
    }
  });

  test('one conversation split into 61-octet segments reassembles into every vector in order', async (t) => {
    if (!requireTool(t, 'tshark')) return;
    // 61 divides no vector length: messages start and end in the middle of segments.
    const result = await tsharkCheckMessages(asConversation(vectors), {
      port: PORT,
      segmentSize: 61,
      fields: HEADER_FIELDS,
    });
    assert.equal(result.malformedCount, 0, result.text);
    assert.deepEqual(result.expertLines, []);
    // Frames that carry only part of a message have no Diameter fields; the rest complete one message each.
    const decoded = result.fields.filter((row) => row[2]!.length > 0);
    assert.equal(decoded.length, vectors.length);
    decoded.forEach((row, i) => assertFrameMatches(row, tableFor(vectors[i]!)));
  });

  test('the checker is not blind: a reserved AVP flag bit is reported', async (t) => {
    if (!requireTool(t, 'tshark')) return;
    const dwr = Uint8Array.from(vectors.find((x) => x.name === '03-dwr')!.bytes);
    // Origin-State-Id AVP at offset 64, flags octet at +4. RFC 6733 §4.1: reserved bits MUST be zero.
    dwr[64 + 4] = dwr[64 + 4]! | 0x01;
    const result = await tsharkCheckMessages([{ bytes: dwr, fromClient: true }], { port: PORT });
    assert.ok(result.malformedCount > 0, 'expected a malformed report');
    assert.ok(
      result.expertLines.some((l) => /Reserved bit/i.test(l)),
      result.expertLines.join('\n'),
    );
  });

  test('the checker is not blind: an AVP length that overruns the message is reported', async (t) => {
    if (!requireTool(t, 'tshark')) return;
    const dpr = Uint8Array.from(vectors.find((x) => x.name === '07-dpr')!.bytes);
    // Disconnect-Cause at offset 64: AVP Length 12 → 200, past the 76-octet message (RFC 6733 §4.1).
    dpr[64 + 7] = 200;
    const result = await tsharkCheckMessages([{ bytes: dpr, fromClient: true }], { port: PORT });
    assert.ok(result.malformedCount > 0, 'expected a malformed report');
    assert.ok(result.expertLines.length > 0, 'expected expert info');
  });
});
