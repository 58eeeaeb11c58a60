/**
 * The stream framer (RFC 6733 §3 framing over TCP; base-protocol.md §1): whatever way the byte stream is
 * cut into chunks, the same frames come out; the maximum length is enforced from the first 4 octets,
 * before anything is buffered; lost framing is a typed error that sticks.
 * Style of nats.js parser_test and pg-protocol's split-buffer tests: one byte at a time, every split.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DiameterError } from '../../src/codec/errors.js';
import { DEFAULT_MAX_MESSAGE_LENGTH, Framer } from '../../src/codec/framer.js';
import { loadVectors } from '../helpers/vectors.js';

const vectors = loadVectors();
const stream = Buffer.concat(vectors.map((v) => v.bytes));
const expected = vectors.map((v) => v.hex);

function hexes(frames: Buffer[]): string[] {
  return frames.map((f) => f.toString('hex'));
}

/** Feeds `chunks` in order and returns every frame, as hex. */
function feed(framer: Framer, chunks: Buffer[]): string[] {
  const out: string[] = [];
  for (const c of chunks) out.push(...hexes(framer.push(c)));
  return out;
}

function isFramingError(code: string, resultCode: number, offset?: number) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof DiameterError, `expected a DiameterError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.resultCode, resultCode);
    if (offset !== undefined) assert.equal(e.offset, offset);
    return true;
  };
}

/** A 20-octet header announcing `length` (version 1, CER flags/code), nothing after it. */
function header(length: number, version = 1): Buffer {
  const h = Buffer.alloc(20);
  h[0] = version;
  h.writeUIntBE(length, 1, 3);
  h.writeUInt32BE(0x80000101, 4);
  return h;
}

describe('Framer: chunking does not matter', () => {
  test('there are vectors to frame', () => {
    assert.equal(vectors.length, 12);
    assert.equal(
      stream.length,
      vectors.reduce((n, v) => n + v.bytes.length, 0),
    );
  });

  test('all vectors in one chunk → every frame at once, as views of the chunk', () => {
    const f = new Framer();
    const frames = f.push(stream);
    assert.deepEqual(hexes(frames), expected);
    assert.equal(f.buffered, 0);
    // Views, not copies (DESIGN.md performance habits): a frame shares the chunk's memory.
    assert.equal(frames[0]!.buffer, stream.buffer);
  });

  test('one byte at a time', () => {
    const f = new Framer();
    const out: string[] = [];
    for (let i = 0; i < stream.length; i++) {
      const frames = f.push(stream.subarray(i, i + 1));
      out.push(...hexes(frames));
      // A frame is released exactly when its last octet arrives.
      if (frames.length) assert.equal(f.buffered, 0);
      else assert.ok(f.buffered <= i + 1);
    }
    assert.deepEqual(out, expected);
    assert.equal(f.buffered, 0);
  });

  test('split into two chunks at every offset', () => {
    for (let i = 0; i <= stream.length; i++) {
      const f = new Framer();
      assert.deepEqual(feed(f, [stream.subarray(0, i), stream.subarray(i)]), expected, `split at ${i}`);
      assert.equal(f.buffered, 0);
    }
  });

  test('split into three chunks around every message boundary', () => {
    const bounds: number[] = [];
    let o = 0;
    for (const v of vectors) bounds.push((o += v.bytes.length));
    for (const b of bounds) {
      for (let i = Math.max(0, b - 25); i <= Math.min(stream.length, b + 25); i++) {
        for (const j of [i, i + 1, i + 3, i + 4, i + 19, i + 20, i + 21, b + 40]) {
          if (j > stream.length) continue;
          const f = new Framer();
          const got = feed(f, [stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)]);
          assert.deepEqual(got, expected, `split at ${i} and ${j}`);
        }
      }
    }
  });

  test('random chunk sizes, deterministic', () => {
    let seed = 0x2545f491;
    const rnd = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 0x100000000;
    };
    for (let round = 0; round < 200; round++) {
      const f = new Framer();
      const chunks: Buffer[] = [];
      for (let o = 0; o < stream.length;) {
        const n = 1 + Math.floor(rnd() * 300);
        chunks.push(stream.subarray(o, o + n));
        o += n;
      }
      assert.deepEqual(feed(f, chunks), expected);
    }
  });

  test('many messages per chunk, the last one incomplete', () => {
    const f = new Framer();
    const cut = stream.length - 10;
    assert.deepEqual(hexes(f.push(stream.subarray(0, cut))), expected.slice(0, -1));
    assert.equal(f.buffered, vectors.at(-1)!.bytes.length - 10);
    assert.deepEqual(hexes(f.push(stream.subarray(cut))), expected.slice(-1));
    assert.equal(f.buffered, 0);
  });

  test('an empty chunk yields nothing and changes nothing', () => {
    const f = new Framer();
    assert.deepEqual(f.push(Buffer.alloc(0)), []);
    f.push(stream.subarray(0, 7));
    assert.deepEqual(f.push(Buffer.alloc(0)), []);
    assert.equal(f.buffered, 7);
    assert.deepEqual(hexes(f.push(stream.subarray(7, vectors[0]!.bytes.length))), [expected[0]]);
  });

  test('frames already returned are not altered by later pushes', () => {
    // Frames assembled from held octets must not share memory the framer later reuses.
    const f = new Framer();
    const frames: Buffer[] = [];
    for (let o = 0; o < stream.length; o += 70)
      frames.push(...f.push(Buffer.from(stream.subarray(o, o + 70))));
    assert.deepEqual(hexes(frames), expected);
  });
});

describe('Framer: maximum message length, checked before buffering', () => {
  test('the default maximum is 1 MiB', () => {
    assert.equal(DEFAULT_MAX_MESSAGE_LENGTH, 1024 * 1024);
    assert.equal(new Framer().maxMessageLength, 1024 * 1024);
  });

  test('a header announcing 2 MiB with max 1 MiB throws after its first 4 octets', () => {
    const f = new Framer(1024 * 1024);
    const h = header(2 * 1024 * 1024);
    // The Message Length is complete only with the 4th octet; until then nothing can be judged.
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(f.push(h.subarray(i, i + 1)), []);
      assert.equal(f.buffered, i + 1);
    }
    assert.throws(() => f.push(h.subarray(3, 4)), isFramingError('FRAME_TOO_LONG', 5015, 0));
    assert.equal(f.buffered, 0);
  });

  test('the same header in one chunk with a large body: nothing is kept', () => {
    const f = new Framer(1024 * 1024);
    const chunk = Buffer.concat([header(2 * 1024 * 1024), Buffer.alloc(64 * 1024)]);
    assert.throws(() => f.push(chunk), isFramingError('FRAME_TOO_LONG', 5015, 0));
    assert.equal(f.buffered, 0);
  });

  test('exactly the maximum is accepted, one octet more is not', () => {
    const dwr = vectors.find((v) => v.name === '03-dwr')!;
    assert.equal(dwr.bytes.length, 76);
    assert.deepEqual(hexes(new Framer(76).push(Buffer.from(dwr.bytes))), [dwr.hex]);
    assert.throws(
      () => new Framer(75).push(Buffer.from(dwr.bytes)),
      isFramingError('FRAME_TOO_LONG', 5015, 0),
    );
  });

  test('while waiting for a large but allowed message only its octets so far are held', () => {
    const f = new Framer(1024 * 1024);
    const len = 1024 * 1024;
    f.push(header(len));
    let held = 20;
    for (let i = 0; i < 8; i++) {
      f.push(Buffer.alloc(1000));
      held += 1000;
      assert.equal(f.buffered, held);
    }
    const frames = f.push(Buffer.alloc(len - held));
    assert.equal(frames.length, 1);
    assert.equal(frames[0]!.length, len);
    assert.equal(f.buffered, 0);
  });

  test('a large message arriving in TCP-segment-sized chunks is joined once, not once per chunk', () => {
    const len = 1024 * 1024;
    const msg = Buffer.concat([header(len), Buffer.alloc(len - 20, 0xab)]);
    // Count the octets Buffer.concat produces while framing: linear work means about one message's worth.
    const original = Buffer.concat;
    let joined = 0;
    Buffer.concat = ((list: readonly Uint8Array[], total?: number) => {
      const out = original(list, total);
      joined += out.length;
      return out;
    }) as typeof Buffer.concat;
    const frames: Buffer[] = [];
    try {
      const f = new Framer(len);
      for (let o = 0; o < msg.length; o += 1460) frames.push(...f.push(msg.subarray(o, o + 1460)));
    } finally {
      Buffer.concat = original;
    }
    assert.equal(frames.length, 1);
    assert.ok(frames[0]!.equals(msg));
    assert.ok(joined <= 2 * len, `${joined} octets joined for one ${len}-octet message`);
  });
});

describe('Framer: lost framing is a typed, sticky error', () => {
  test('version ≠ 1 → FRAME_BAD_VERSION, Result-Code 5011', () => {
    for (const v of [0, 2, 0xff]) {
      assert.throws(() => new Framer().push(header(20, v)), isFramingError('FRAME_BAD_VERSION', 5011, 0));
    }
  });

  test('length < 20 → FRAME_BAD_LENGTH, Result-Code 5015', () => {
    for (const len of [0, 4, 16]) {
      assert.throws(() => new Framer().push(header(len)), isFramingError('FRAME_BAD_LENGTH', 5015, 0));
    }
  });

  test('length not a multiple of 4 → FRAME_BAD_LENGTH, Result-Code 5015', () => {
    for (const len of [21, 22, 23, 161]) {
      assert.throws(() => new Framer().push(header(len)), isFramingError('FRAME_BAD_LENGTH', 5015, 0));
    }
  });

  test('a bad header after good messages: the good ones come out, the offset is the stream offset', () => {
    const f = new Framer();
    const good = Buffer.concat(vectors.slice(0, 3).map((v) => v.bytes));
    assert.deepEqual(hexes(f.push(good.subarray(0, 100))), []);
    // The rest of the good messages and a corrupt header arrive together.
    const frames = f.push(Buffer.concat([good.subarray(100), header(22)]));
    assert.deepEqual(hexes(frames), expected.slice(0, 3));
    // The failure surfaces on the next push, naming the stream offset of the bad header.
    assert.throws(() => f.push(Buffer.alloc(0)), isFramingError('FRAME_BAD_LENGTH', 5015, good.length));
    assert.equal(f.error?.offset, good.length);
  });

  test('the stream offset counts octets across pushes', () => {
    const f = new Framer();
    const first = vectors[0]!.bytes;
    f.push(Buffer.from(first));
    f.push(Buffer.from(first.subarray(0, 50)));
    f.push(Buffer.from(first.subarray(50)));
    assert.throws(() => f.push(header(20, 7)), isFramingError('FRAME_BAD_VERSION', 5011, 2 * first.length));
  });

  test('after a failure every push throws the same error, even with valid input', () => {
    const f = new Framer();
    let first: unknown;
    try {
      f.push(header(20, 2));
    } catch (e) {
      first = e;
    }
    assert.ok(first instanceof DiameterError);
    assert.equal(f.error, first);
    assert.equal(f.buffered, 0);
    for (const v of vectors) {
      assert.throws(
        () => f.push(Buffer.from(v.bytes)),
        (e: unknown) => e === first,
      );
      assert.equal(f.buffered, 0);
    }
  });

  test('each header check sees a header split across chunks', () => {
    const bad = header(22);
    const f = new Framer();
    f.push(bad.subarray(0, 2));
    f.push(bad.subarray(2, 3));
    assert.throws(() => f.push(bad.subarray(3)), isFramingError('FRAME_BAD_LENGTH', 5015, 0));
  });
});
