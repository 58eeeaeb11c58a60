/**
 * Shared by the data-type tests (data-types-*.test.ts): encode and decode one value with DATA_CODECS, the
 * assertions for the error a malformed value raises, and one AVP decoded inside a hand-built message.
 */
import assert from 'node:assert/strict';
import { DATA_CODECS, ValueError } from '../../src/codec/data-types.js';
import { DiameterError } from '../../src/codec/errors.js';
import { decodeMessage } from '../../src/codec/message.js';
import type { AvpValue, DataType } from '../../src/codec/types.js';
import { Writer } from '../../src/codec/writer.js';

export const RUNS = { numRuns: 2000, interruptAfterTimeLimit: 2000 };

export function enc(type: DataType, v: AvpValue): string {
  const w = new Writer(4);
  DATA_CODECS[type].encode(w, v);
  return w.finish().toString('hex');
}

export function dec(type: DataType, hex: string): AvpValue {
  return DATA_CODECS[type].decode(Buffer.from(hex, 'hex'));
}

/** Asserts that decoding `hex` as `type` raises a ValueError with `code`. */
export function rejects(type: DataType, hex: string, code: string): void {
  assert.throws(
    () => dec(type, hex),
    (e: unknown) => e instanceof ValueError && e.code === code,
    `${type} ${hex} should be rejected with ${code}`,
  );
}

/** Asserts that encoding `v` as `type` raises DiameterError ENCODE_BAD_VALUE. */
export function refuses(type: DataType, v: AvpValue): void {
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
export function decodeOneAvp(type: DataType, dataHex: string): void {
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
