/**
 * Golden vectors as triples (DESIGN.md example 6, mqtt-packet style): for each
 * shared/spec/vectors/NN-name.hex — made by Erlang/OTP diameter and checked with tshark — the fixture
 * test/fixtures/vectors/NN-name.json holds the JSON form written by hand from the tables of
 * shared/spec/test-vectors.md. decode(hex) = fixture, encode(fixture) = hex, and the round trips.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeMessage, encodeMessage } from '../../src/codec/message.js';
import { AVP_V, type Avp, type Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { messageFromJson, messageToJson, type MessageJson } from '../../src/dictionary/message-format.js';
import { loadVectorTables, loadVectors, type VectorAvpRow } from '../helpers/vectors.js';

const dict = builtinDictionary();
const vectors = loadVectors();
const tables = loadVectorTables();

function fixture(name: string): MessageJson {
  const url = new URL(`../fixtures/vectors/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(fileURLToPath(url), 'utf8')) as MessageJson;
}

/** Every AVP in wire order with its depth, as the tables of test-vectors.md list them. */
function flatten(avps: readonly Avp[], depth = 0, out: { avp: Avp; depth: number }[] = []) {
  for (const a of avps) {
    out.push({ avp: a, depth });
    if (a.avps) flatten(a.avps, depth + 1, out);
  }
  return out;
}

test('every vector has a fixture and a table', () => {
  assert.equal(vectors.length, 12);
  for (const v of vectors) {
    assert.ok(tables.has(v.name), `test-vectors.md has a section for ${v.name}`);
    assert.doesNotThrow(() => fixture(v.name), `fixture ${v.name}.json`);
  }
});

for (const v of vectors) {
  describe(`vector ${v.name}`, () => {
    const expected = fixture(v.name);
    const table = tables.get(v.name)!;

    test('decode(hex) deep-equals the hand-written JSON form', () => {
      const m = decodeMessage(v.bytes, dict.resolve);
      const j = messageToJson(m, dict);
      assert.deepEqual(j, expected);
      // The form is plain JSON: nothing (bigint, Date, Buffer) is lost by serializing it.
      assert.deepEqual(JSON.parse(JSON.stringify(j)), j);
    });

    test('encode(messageFromJson(fixture)) gives the vector’s octets', () => {
      const bytes = encodeMessage(messageFromJson(expected, dict));
      assert.equal(bytes.toString('hex'), v.hex);
    });

    test('bytes → message → bytes with the dictionary (typed values re-encoded)', () => {
      const m = decodeMessage(v.bytes, dict.resolve);
      // Drop the raw views so the encoder must work from the typed values and children.
      const strip = (avps: Avp[]): Avp[] =>
        avps.map((a) =>
          a.avps
            ? { ...a, data: undefined, avps: strip(a.avps) }
            : a.value !== undefined
              ? { ...a, data: undefined }
              : a,
        );
      const typed: Message = { ...m, raw: undefined, avps: strip(m.avps) };
      assert.equal(encodeMessage(typed).toString('hex'), v.hex);
    });

    test('bytes → message → bytes with no dictionary (raw AVPs)', () => {
      const m = decodeMessage(v.bytes);
      for (const { avp } of flatten(m.avps)) {
        assert.equal(avp.value, undefined);
        assert.equal(avp.avps, undefined);
      }
      assert.equal(encodeMessage(m).toString('hex'), v.hex);
    });

    test('JSON → message → JSON is stable', () => {
      const once = messageToJson(
        decodeMessage(encodeMessage(messageFromJson(expected, dict)), dict.resolve),
        dict,
      );
      assert.deepEqual(once, expected);
    });

    test('the decoded header and AVP layout match the table in test-vectors.md', () => {
      const m = decodeMessage(v.bytes, dict.resolve);
      assert.equal(v.bytes.length, table.length);
      assert.equal(m.version, 1);
      assert.equal(m.flags, table.flags);
      assert.equal(m.commandCode, table.commandCode);
      assert.equal(m.applicationId, table.applicationId);
      assert.equal(m.hopByHopId, table.hopByHop);
      assert.equal(m.endToEndId, table.endToEnd);
      const got = flatten(m.avps);
      assert.equal(got.length, table.avps.length, 'number of AVPs at every depth');
      got.forEach(({ avp, depth }, i) => {
        const row: VectorAvpRow = table.avps[i]!;
        const where = `${v.name} row ${i} (${row.name})`;
        const header = avp.flags & AVP_V ? 12 : 8;
        // The data is a view into the message: its position gives the header's offset.
        const offset = avp.data!.byteOffset - (m.raw as Uint8Array).byteOffset - header;
        assert.equal(offset, row.offset, where);
        assert.equal(depth, row.depth, where);
        assert.equal(avp.code, row.code, where);
        assert.equal(avp.flags, row.flags, where);
        assert.equal(header + avp.data!.length, row.length, where);
        assert.equal(avp.vendorId, row.vendorId ?? 0, where);
        const def = dict.avp(avp.code, avp.vendorId);
        assert.ok(def, `${where}: the built-in dictionary knows it`);
        assert.equal(def.type === 'Grouped', row.value === '(grouped)', where);
      });
    });

    // A command name alone implies R (request abbreviation), P (proxiable command) and the application.
    if (typeof expected.command === 'string' && !String(expected.flags).includes('E')) {
      test('flags and application default from the command name', () => {
        const { flags: _flags, application: _application, ...rest } = expected;
        assert.equal(encodeMessage(messageFromJson(rest as MessageJson, dict)).toString('hex'), v.hex);
      });
    }
  });
}
