/**
 * Time-boxed fuzzing of everything that reads untrusted octets or text (DESIGN.md example 7, after
 * undici's test/fuzzing): mutated vectors (bit flips, byte changes, truncation, length-field edits,
 * splices) and random bytes go through the Framer, decodeMessage with the built-in resolver,
 * messageToJson/messageFromJson and the text forms. The only exception allowed is DiameterError; the
 * framer never holds more than its maximum; what we encode we can decode again.
 *
 * Reproduce a failure with the seed it prints: FUZZ_SEED=<seed> node --import tsx --test test/fuzz/codec-fuzz.test.ts
 * Budget: FUZZ_MS (default 5000 ms in total, split between the two targets).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DiameterError } from '../../src/codec/errors.js';
import { Framer } from '../../src/codec/framer.js';
import { decodeMessage, encodeMessage } from '../../src/codec/message.js';
import { AVP_V, type Avp, type Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import {
  messageFromJson,
  messageToJson,
  type JsonValue,
  type MessageJson,
} from '../../src/dictionary/message-format.js';
import { formatMessageLine, formatMessageTree } from '../../src/dictionary/text-format.js';
import { loadVectors } from '../helpers/vectors.js';

const SEED =
  process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const BUDGET_MS = Number(process.env.FUZZ_MS ?? 5000);
const MAX_LEN = 2048;
/** One input taking this long means a pathological path (a hang in the making). */
const SLOW_INPUT_MS = 1000;

const dict = builtinDictionary();
const vectors = loadVectors().map((v) => Buffer.from(v.bytes));

/** xorshift32: small, seedable, good enough to pick mutations. */
function prng(seed: number) {
  let s = seed || 0x9e3779b9;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
  return {
    float: next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(a: readonly T[]): T => a[Math.floor(next() * a.length)]!,
    bool: (p = 0.5) => next() < p,
  };
}
type Rng = ReturnType<typeof prng>;

/** Offsets of every AVP header (nested ones too) of a well-formed message, by walking the raw layout. */
function avpOffsets(b: Buffer): number[] {
  const out: number[] = [];
  const walk = (start: number, end: number, depth: number) => {
    let o = start;
    while (o + 8 <= end) {
      out.push(o);
      const flags = b[o + 4]!;
      const len = b.readUIntBE(o + 5, 3);
      const hdr = flags & AVP_V ? 12 : 8;
      if (len < hdr || o + len > end) return;
      // Walk into anything that looks like a list of AVPs (Grouped); harmless if it is not.
      if (depth < 4 && len - hdr >= 8) walk(o + hdr, o + len, depth + 1);
      o += (len + 3) & ~3;
    }
  };
  walk(20, b.length, 0);
  return out;
}
const offsetsByVector = vectors.map(avpOffsets);

function setMessageLength(b: Buffer, len: number): void {
  if (b.length >= 4) b.writeUIntBE(len & 0xffffff, 1, 3);
}

/** One fuzz input and the name of the mutation that made it. */
function mutate(r: Rng): { kind: string; input: Buffer } {
  const vi = r.int(vectors.length);
  const base = vectors[vi]!;
  const b = Buffer.from(base);
  let kind: string;
  switch (r.int(9)) {
    case 0: {
      kind = 'bit flips';
      for (let n = 1 + r.int(8); n > 0; n--) b[r.int(b.length)]! ^= 1 << r.int(8);
      break;
    }
    case 1: {
      kind = 'byte changes';
      for (let n = 1 + r.int(6); n > 0; n--)
        b[r.int(b.length)] = r.pick([0, 0xff, 0x80, 0x7f, 1, r.int(256)]);
      break;
    }
    case 2: {
      kind = 'truncation';
      const cut = r.int(b.length);
      const t = Buffer.from(b.subarray(0, cut));
      if (r.bool()) setMessageLength(t, t.length);
      return { kind, input: t };
    }
    case 3: {
      kind = 'AVP length edit';
      const offs = offsetsByVector[vi]!;
      for (let n = 1 + r.int(2); n > 0; n--) {
        const o = r.pick(offs);
        const old = b.readUIntBE(o + 5, 3);
        const len = r.pick([
          0,
          1,
          7,
          8,
          9,
          11,
          12,
          13,
          old + 1,
          old - 1,
          old + 4,
          old - 4,
          old * 2,
          0xffffff,
          r.int(1024),
        ]);
        b.writeUIntBE(Math.max(0, len) & 0xffffff, o + 5, 3);
      }
      break;
    }
    case 4: {
      kind = 'AVP flags edit';
      const o = r.pick(offsetsByVector[vi]!);
      b[o + 4] = r.pick([0x80, 0xc0, 0x00, 0x40, 0x20, 0xff, r.int(256)]);
      break;
    }
    case 5: {
      kind = 'message length edit';
      setMessageLength(
        b,
        r.pick([0, 19, 20, 21, b.length - 4, b.length + 4, b.length * 2, 0xffffff, r.int(0x1000000)]),
      );
      break;
    }
    case 6: {
      kind = 'splice';
      const other = r.pick(vectors);
      const a = r.int(b.length + 1);
      const c = r.int(other.length + 1);
      const s = Buffer.concat([b.subarray(0, a), other.subarray(c)]);
      if (r.bool(0.7)) setMessageLength(s, s.length);
      return { kind, input: s };
    }
    case 7: {
      kind = 'insert';
      const other = r.pick(vectors);
      const at = 20 + r.int(Math.max(1, b.length - 20));
      const from = r.int(other.length);
      const piece = other.subarray(from, from + 4 * (1 + r.int(8)));
      const s = Buffer.concat([b.subarray(0, at), piece, b.subarray(at)]);
      if (r.bool(0.8)) setMessageLength(s, s.length);
      return { kind, input: s };
    }
    default: {
      kind = 'random bytes';
      const n = r.pick([0, 3, 4, 19, 20, 24, 28, 32, 64, 128, r.int(600)]);
      const s = Buffer.alloc(n);
      for (let i = 0; i < n; i++) s[i] = r.int(256);
      if (n >= 20 && r.bool(0.8)) {
        s[0] = 1;
        setMessageLength(s, n);
      }
      return { kind, input: s };
    }
  }
  if (r.bool(0.2)) setMessageLength(b, b.length);
  return { kind, input: b };
}

/** Runs `f`; any exception other than DiameterError is a bug. */
function only<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof DiameterError) return undefined;
    throw e;
  }
}

function hasVendorZeroWithV(avps: readonly Avp[]): boolean {
  return avps.some(
    (a) =>
      ((a.flags & AVP_V) !== 0 && a.vendorId === 0) || (a.avps !== undefined && hasVendorZeroWithV(a.avps)),
  );
}

/** Feeds the framer in random chunks; returns the frames, checks the memory bound after every push. */
function frame(input: Buffer, r: Rng): Buffer[] {
  const f = new Framer(MAX_LEN);
  const frames: Buffer[] = [];
  let o = 0;
  // Two copies back to back: a stream of several messages.
  const stream = Buffer.concat([input, input]);
  while (o < stream.length) {
    const n = 1 + r.int(r.bool(0.3) ? 8 : 400);
    const got = only(() => f.push(stream.subarray(o, o + n)));
    assert.ok(f.buffered <= Math.max(3, MAX_LEN - 1), `framer holds ${f.buffered} octets (max ${MAX_LEN})`);
    if (got === undefined) {
      // Lost framing sticks.
      assert.ok(f.error instanceof DiameterError);
      assert.throws(
        () => f.push(Buffer.from([1, 0, 0, 20])),
        (e: unknown) => e === f.error,
      );
      break;
    }
    frames.push(...got);
    o += n;
  }
  return frames;
}

/** Everything we do with a decoded message, checking that our own output is readable again. */
function exercise(bytes: Buffer): void {
  // Raw: what we encode from a raw decode decodes again, and a second round changes nothing.
  const raw = only(() => decodeMessage(bytes));
  if (raw) {
    const once = encodeMessage(raw);
    const twice = encodeMessage(decodeMessage(once));
    assert.equal(twice.toString('hex'), once.toString('hex'), 'raw re-encoding is stable');
    if (!hasVendorZeroWithV(raw.avps)) {
      // Only padding octets may differ from the input (receivers ignore their value).
      assert.equal(once.length, bytes.length, 'raw re-encoding keeps the length');
    }
  }
  const m = only(() => decodeMessage(bytes, dict.resolve));
  if (!m) return;
  formatMessageTree(m, dict);
  formatMessageLine(m, dict);
  const j = messageToJson(m, dict);
  // The JSON form is plain JSON.
  const text = JSON.stringify(j);
  const parsed = JSON.parse(text) as MessageJson;
  const back: Message = messageFromJson(parsed, dict);
  const b2 = encodeMessage(back);
  const m2 = decodeMessage(b2, dict.resolve);
  if (!hasVendorZeroWithV(m.avps)) {
    assert.deepEqual(messageToJson(m2, dict), j, 'JSON form survives encode/decode');
  }
}

/** Replaces one value somewhere in a fixture with a random JSON value. */
function mutateJson(j: JsonValue, r: Rng): JsonValue {
  const randomValue = (): JsonValue =>
    r.pick<() => JsonValue>([
      () => null,
      () => r.bool(),
      () => r.int(2 ** 32) - 2 ** 31,
      () => r.pick([-1, 0, 1.5, 2 ** 32, 2 ** 53, -(2 ** 63), NaN, Infinity]),
      () =>
        r.pick(['', 'x', '0x', '-', '1e3', 'NaN', '2024-13-01', 'aaa://', '::1', '999.1.1.1', '0x4a5b', 'Ω']),
      () => String(r.int(1e6)),
      () => ({ hex: r.pick(['0', 'zz', '00ff', '']) }),
      () => ({ family: r.int(3), hex: '0a000001' }),
      () => [],
      () => [{}],
      () => [{ 'Origin-Host': 1 }],
      () => ({}),
      () => ({
        name: r.pick(['Origin-Host', 'Nope', 'Service-Information']),
        flags: r.pick(['VMP', 'X', 7, null]),
      }),
      () => ({ code: r.pick([0, 263, 873, -1, 1.5]), vendor: r.pick([0, 10415, -5]), hex: '00' }),
    ])();
  const copy = JSON.parse(JSON.stringify(j)) as JsonValue;
  // Collect every slot (object key or array index) and overwrite one.
  const slots: [Record<string, JsonValue> | JsonValue[], string | number][] = [];
  const walk = (v: JsonValue) => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        slots.push([v, i]);
        walk(x);
      });
    } else if (v && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        slots.push([v, k]);
        walk(v[k]!);
      }
    }
  };
  walk(copy);
  const [holder, key] = r.pick(slots);
  (holder as Record<string | number, JsonValue>)[key] = randomValue();
  return copy;
}

test(`fuzz: mutated and random octets (seed ${SEED})`, (t) => {
  t.diagnostic(`seed ${SEED}; reproduce with FUZZ_SEED=${SEED}`);
  const r = prng(SEED);
  const end = Date.now() + BUDGET_MS * 0.75;
  let n = 0;
  const kinds = new Map<string, number>();
  while (Date.now() < end) {
    const { kind, input } = mutate(r);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    const t0 = Date.now();
    try {
      exercise(input);
      for (const f of frame(input, r)) exercise(f);
    } catch (e) {
      assert.fail(
        `seed ${SEED}, input #${n} (${kind}) threw ${e instanceof Error ? e.stack : String(e)}\ninput hex: ${input.toString('hex')}`,
      );
    }
    const took = Date.now() - t0;
    assert.ok(
      took < SLOW_INPUT_MS,
      `seed ${SEED}, input #${n} (${kind}) took ${took} ms: ${input.toString('hex')}`,
    );
    n++;
  }
  t.diagnostic(`${n} inputs: ${[...kinds].map(([k, c]) => `${k} ${c}`).join(', ')}`);
  assert.ok(n > 100, `only ${n} inputs in the time box`);
});

test(`fuzz: mutated JSON message forms (seed ${SEED})`, (t) => {
  const fixtures = loadVectors().map(
    (v) =>
      JSON.parse(
        readFileSync(fileURLToPath(new URL(`../fixtures/vectors/${v.name}.json`, import.meta.url)), 'utf8'),
      ) as JsonValue,
  );
  const r = prng(SEED ^ 0x5bd1e995);
  const end = Date.now() + BUDGET_MS * 0.25;
  let n = 0;
  let rejected = 0;
  while (Date.now() < end) {
    let j = r.pick(fixtures);
    for (let k = 1 + r.int(3); k > 0; k--) j = mutateJson(j, r);
    try {
      const m = only(() => messageFromJson(j as unknown as MessageJson, dict));
      if (m === undefined) {
        rejected++;
      } else {
        // Accepted forms must encode (or be refused with a DiameterError) and decode back — unless they
        // give raw octets ({hex}) for an AVP, the way to send a malformed AVP on purpose.
        const bytes = only(() => encodeMessage(m));
        if (bytes) {
          if (JSON.stringify(j).includes('"hex"')) only(() => decodeMessage(bytes, dict.resolve));
          else decodeMessage(bytes, dict.resolve);
        }
      }
    } catch (e) {
      assert.fail(
        `seed ${SEED}, JSON input #${n} threw ${e instanceof Error ? e.stack : String(e)}\ninput: ${JSON.stringify(j)}`,
      );
    }
    n++;
  }
  t.diagnostic(`${n} JSON inputs, ${rejected} rejected with DiameterError`);
  assert.ok(n > 100, `only ${n} inputs in the time box`);
});
