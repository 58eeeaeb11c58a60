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
import type { Avp, Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { messageFromJson, messageToJson } from '../../src/dictionary/message-format.js';
import { message } from '../helpers/random-messages.js';

const RUNS = { numRuns: 300, interruptAfterTimeLimit: 2000 };
const dict = builtinDictionary();

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
