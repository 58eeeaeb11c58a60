/**
 * The duplicate cache (RFC 6733 §6.1): what a T-flagged retransmission finds, checked against a plain
 * reference model (a list of every answer remembered, newest wins, oldest and expired dropped first) over long random sequences that wrap and grow the ring.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DuplicateCache, withHopByHop } from '../../src/node/duplicates.js';

function answer(n: number): Buffer {
  // A distinct payload per entry, of varying length (so entries straddle the cache's pages).
  const len = 20 + (n % 7) * 4;
  const b = Buffer.alloc(len);
  b.writeUInt32BE(n >>> 0, 16);
  b.fill(n & 0xff, 20);
  return b;
}

function asBytes(v: Buffer | Promise<Buffer | undefined> | undefined): Buffer | undefined {
  assert.ok(v === undefined || Buffer.isBuffer(v), 'an answered entry gives its octets');
  return v === undefined ? undefined : Buffer.from(v);
}

describe('DuplicateCache', () => {
  test('finds an answer by Origin-Host (any case) and End-to-End id, and only that', () => {
    const c = new DuplicateCache();
    c.remember('Client.Example.COM', 0xfffffff0, answer(1));
    assert.deepEqual(asBytes(c.lookup('client.example.com', 0xfffffff0)), answer(1));
    assert.deepEqual(asBytes(c.lookup('CLIENT.EXAMPLE.COM', 0xfffffff0)), answer(1));
    assert.equal(c.lookup('client.example.com', 0xfffffff1), undefined, 'other id');
    assert.equal(c.lookup('other.example.com', 0xfffffff0), undefined, 'other host');
    assert.equal(c.hits, 2);
  });

  test('two hosts with the same End-to-End id keep their own answers; a repeat replaces', () => {
    const c = new DuplicateCache();
    c.remember('a.example.com', 7, answer(1));
    c.remember('b.example.com', 7, answer(2));
    c.remember('c.example.com', 7, answer(3));
    assert.deepEqual(asBytes(c.lookup('a.example.com', 7)), answer(1));
    assert.deepEqual(asBytes(c.lookup('b.example.com', 7)), answer(2));
    assert.deepEqual(asBytes(c.lookup('c.example.com', 7)), answer(3));
    c.remember('b.example.com', 7, answer(4));
    assert.deepEqual(asBytes(c.lookup('b.example.com', 7)), answer(4));
  });

  test('entries leave after the window', () => {
    let now = 1_000;
    const c = new DuplicateCache({ windowMs: 100, now: () => now });
    c.remember('h.example.com', 1, answer(1));
    now += 60;
    c.remember('h.example.com', 2, answer(2));
    now += 50; // the first is 110 ms old, the second 50
    assert.equal(c.lookup('h.example.com', 1), undefined);
    assert.deepEqual(asBytes(c.lookup('h.example.com', 2)), answer(2));
    c.remember('h.example.com', 3, answer(3));
    assert.equal(c.size, 2, 'the expired entry was dropped');
  });

  test('a pending answer is found as its promise, then as the octets it settled to', async () => {
    const c = new DuplicateCache();
    let resolve!: (b: Buffer) => void;
    const p = new Promise<Buffer | undefined>((r) => (resolve = r));
    const ticket = c.remember('h.example.com', 5, p);
    assert.equal(c.lookup('h.example.com', 5), p);
    resolve(answer(5));
    c.settle(ticket, (await p)!);
    assert.deepEqual(asBytes(c.lookup('h.example.com', 5)), answer(5));
  });

  test('matches a reference model over long random runs (eviction by count and age, ring growth)', () => {
    // [maxEntries, steps, distinct ids, windowMs]: the last two runs expire entries while the ring grows.
    for (const [maxEntries, steps, ids, windowMs] of [
      [1, 200, 4, 60_000],
      [5, 3000, 9, 60_000],
      [1500, 20000, 2500, 60_000],
      [4096, 30000, 5000, 60_000],
      [100_000, 40000, 20000, 700],
      [3000, 40000, 20000, 1000],
    ] as const) {
      let now = 0;
      const c = new DuplicateCache({ maxEntries, windowMs, now: () => now });
      // Every remembered answer is an entry (a repeat supersedes but still counts), oldest out first.
      const model: { key: string; at: number; bytes: Buffer }[] = [];
      const hosts = ['a.example.com', 'B.example.com', 'c.example.com'];
      let seed = maxEntries * 7919 + windowMs;
      const rnd = (n: number) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return (seed >>> 12) % n;
      };
      for (let n = 0; n < steps; n++) {
        // Slow traffic first (entries expire before the ring fills), then fast (it grows while expiring).
        now += rnd(2) * (n < steps / 2 ? 1 : 0.05);
        const host = hosts[rnd(hosts.length)]!;
        const id = (0xfffff000 + rnd(ids)) >>> 0;
        const key = `${host.toLowerCase()} ${id}`;
        if (rnd(3) === 0) {
          let e: (typeof model)[number] | undefined;
          for (const x of model) if (x.key === key) e = x; // the newest wins
          const want = e && now - e.at <= windowMs ? e.bytes : undefined;
          const got = asBytes(c.lookup(host, id));
          assert.deepEqual(got, want, `lookup ${host} ${id} at step ${n} (max ${maxEntries}, window ${windowMs})`);
        } else {
          while (model.length > 0 && (model.length >= maxEntries || now - model[0]!.at > windowMs)) model.shift();
          model.push({ key, at: now, bytes: answer(n) });
          c.remember(host, id, answer(n));
          assert.equal(c.size, model.length);
        }
      }
    }
  });

  test('maxEntries 0 keeps nothing', () => {
    const c = new DuplicateCache({ maxEntries: 0 });
    c.remember('h.example.com', 1, answer(1));
    assert.equal(c.lookup('h.example.com', 1), undefined);
    assert.equal(c.size, 0);
  });

  test('withHopByHop copies the answer with the new Hop-by-Hop id', () => {
    const a = answer(9);
    const b = withHopByHop(a, 0xdeadbeef);
    assert.equal(b.readUInt32BE(12), 0xdeadbeef);
    assert.equal(a.readUInt32BE(12), 0, 'the original is untouched');
    assert.deepEqual(b.subarray(16), a.subarray(16));
  });
});
