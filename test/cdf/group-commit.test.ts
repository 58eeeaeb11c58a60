/**
 * GroupCommitter against a recording fake store: when batches close (turn, delay, size), what one merged
 * batch contains, backpressure, flush/close. The real-store behaviour is in store-contract.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DiameterError } from '../../src/codec/errors.js';
import { GroupCommitter } from '../../src/cdf/group-commit.js';
import type { StoreBatch } from '../../src/cdf/store.js';
import { cdr, session } from './store-contract.js';

class FakeStore {
  batches: StoreBatch[] = [];
  delayMs = 0;
  failNext = false;
  async commit(b: StoreBatch): Promise<void> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk on fire');
    }
    this.batches.push(b);
  }
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const keys = (b: StoreBatch): string[] => [
  ...(b.sessionDeletes ?? []).map((k) => `-${k.sessionId}/${k.subSessionId ?? ''}`),
  ...(b.sessionUpserts ?? []).map((s) => `+${s.sessionId}/${s.subSessionId ?? ''}#${s.lastRecordNumber}`),
];

describe('GroupCommitter', () => {
  it('commits everything submitted in one turn as one batch, after the turn', async () => {
    const fake = new FakeStore();
    const gc = new GroupCommitter(fake);
    const all = [1, 2, 3].map((i) => gc.submit({ cdrs: [cdr(`c${i}`)] }));
    assert.equal(fake.batches.length, 0, 'nothing is committed synchronously');
    await Promise.all(all);
    assert.equal(fake.batches.length, 1);
    assert.deepEqual(
      fake.batches[0]!.cdrs!.map((c) => c.id),
      ['c1', 'c2', 'c3'],
    );
  });

  it('merges per session key with the last operation in submission order winning', async () => {
    const fake = new FakeStore();
    const gc = new GroupCommitter(fake);
    await Promise.all([
      gc.submit({
        sessionUpserts: [session('a', { lastRecordNumber: 1 }), session('b', { lastRecordNumber: 1 })],
      }),
      gc.submit({
        sessionDeletes: [{ sessionId: 'a' }],
        sessionUpserts: [session('a', { lastRecordNumber: 2 })],
      }),
      gc.submit({ sessionDeletes: [{ sessionId: 'b' }, { sessionId: 'b', subSessionId: 3n }] }),
      gc.submit({ sessionUpserts: [session('b', { subSessionId: 3n, lastRecordNumber: 5 })] }),
    ]);
    assert.equal(fake.batches.length, 1);
    assert.deepEqual(keys(fake.batches[0]!).sort(), ['+a/#2', '+b/3#5', '-b/']);
  });

  it('waits up to maxDelayMs for company, and commits at once when maxItems rows wait', async () => {
    const fake = new FakeStore();
    // A long delay, so that a loaded machine's slow event-loop turns cannot end it early.
    const gc = new GroupCommitter(fake, { maxDelayMs: 2000, maxItems: 4 });
    const p1 = gc.submit({ cdrs: [cdr('a')] });
    await turn();
    await turn();
    assert.equal(fake.batches.length, 0, 'still waiting for the delay');
    const p2 = gc.submit({ cdrs: [cdr('b')] });
    await Promise.all([p1, p2]);
    assert.equal(fake.batches.length, 1);
    assert.equal(fake.batches[0]!.cdrs!.length, 2);

    const t0 = Date.now();
    await Promise.all([0, 1, 2, 3].map((i) => gc.submit({ cdrs: [cdr(`n${i}`)] })));
    assert.ok(Date.now() - t0 < 1000, 'a full batch does not wait for the delay');
    assert.equal(fake.batches.length, 2);
  });

  it('never splits a part across commits and caps a batch near maxItems', async () => {
    const fake = new FakeStore();
    fake.delayMs = 5;
    const gc = new GroupCommitter(fake, { maxItems: 5 });
    const parts = Array.from({ length: 6 }, (_, i) => ({ cdrs: [cdr(`x${i}a`), cdr(`x${i}b`)] }));
    await Promise.all(parts.map((p) => gc.submit(p)));
    for (const b of fake.batches) {
      assert.ok(b.cdrs!.length <= 5, 'a batch holds at most maxItems rows when parts allow');
      assert.equal(b.cdrs!.length % 2, 0, 'parts stay whole');
    }
    assert.deepEqual(
      fake.batches.flatMap((b) => b.cdrs!.map((c) => c.id)),
      parts.flatMap((p) => p.cdrs.map((c) => c.id)),
    );
  });

  it('runs one commit at a time and collects what arrives meanwhile into the next', async () => {
    const fake = new FakeStore();
    fake.delayMs = 20;
    let inFlight = 0;
    let maxInFlight = 0;
    const tracking = {
      async commit(b: StoreBatch): Promise<void> {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          await fake.commit(b);
        } finally {
          inFlight--;
        }
      },
    };
    const gc = new GroupCommitter(tracking);
    const first = gc.submit({ cdrs: [cdr('first')] });
    await turn();
    const later = Array.from({ length: 10 }, (_, i) => gc.submit({ cdrs: [cdr(`l${i}`)] }));
    await Promise.all([first, ...later]);
    assert.equal(maxInFlight, 1);
    assert.equal(fake.batches.length, 2);
    assert.equal(fake.batches[1]!.cdrs!.length, 10);
  });

  it('rejects the parts of a failed commit with STORE_WRITE_FAILED (4002) and keeps going', async () => {
    const fake = new FakeStore();
    fake.failNext = true;
    const gc = new GroupCommitter(fake);
    const results = await Promise.allSettled([
      gc.submit({ cdrs: [cdr('a')] }),
      gc.submit({ cdrs: [cdr('b')] }),
    ]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const e = (r as PromiseRejectedResult).reason as DiameterError;
      assert.ok(e instanceof DiameterError);
      assert.equal(e.code, 'STORE_WRITE_FAILED');
      assert.equal(e.resultCode, 4002);
      assert.match(e.message, /disk on fire/);
    }
    await gc.submit({ cdrs: [cdr('c')] });
    assert.deepEqual(
      fake.batches.map((b) => b.cdrs!.map((c) => c.id)),
      [['c']],
    );
    assert.equal(gc.stats().failedCommits, 1);
  });

  it('refuses new parts with STORE_OVERLOADED while too many rows wait', async () => {
    const fake = new FakeStore();
    fake.delayMs = 20;
    const gc = new GroupCommitter(fake, { maxPendingItems: 3 });
    const inFlight = gc.submit({ cdrs: [cdr('f')] });
    await turn();
    const waiting = [gc.submit({ cdrs: [cdr('w1'), cdr('w2')] }), gc.submit({ cdrs: [cdr('w3')] })];
    await assert.rejects(gc.submit({ cdrs: [cdr('w4')] }), (e: unknown) => {
      assert.ok(e instanceof DiameterError);
      assert.equal(e.code, 'STORE_OVERLOADED');
      assert.equal(e.resultCode, 3004, 'DIAMETER_TOO_BUSY (accounting-rf.md §5.6)');
      return true;
    });
    await Promise.all([inFlight, ...waiting]);
    assert.equal(gc.stats().refused, 1);
    await gc.submit({ cdrs: [cdr('w5')] });
  });

  it('flush commits without waiting for the delay; close flushes and then refuses', async () => {
    const fake = new FakeStore();
    const gc = new GroupCommitter(fake, { maxDelayMs: 10_000 });
    const p = gc.submit({ cdrs: [cdr('a')] });
    const t0 = Date.now();
    await gc.flush();
    await p;
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(fake.batches.length, 1);
    const q = gc.submit({ cdrs: [cdr('b')] });
    await gc.close();
    await q;
    assert.equal(fake.batches.length, 2);
    await assert.rejects(
      gc.submit({ cdrs: [cdr('c')] }),
      (e: unknown) => (e as DiameterError).code === 'STORE_CLOSED',
    );
  });
});
