/**
 * CdrStore contract, commit batches: order of deletes, upserts and CDRs in a batch, all-or-nothing
 * commits, records refused before writing, JSON written as ready-made text. Part of storeContract
 * (store-contract.ts).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { JsonText } from '../../src/cdf/json-text.js';
import type { StoreBatch } from '../../src/cdf/store.js';
import { cdr, rejectsWith, session, type FreshStore } from './store-contract-fixtures.js';

/** The commit-batch tests, in the contract's order. */
export function batchContract(fresh: FreshStore): void {
  it('applies a batch as deletes, then upserts (last of a key wins), then CDRs', async (t) => {
    const { store } = await fresh(t);
    await store.commit({ sessionUpserts: [session('x'), session('y')] });
    await store.commit({
      sessionDeletes: [{ sessionId: 'x' }, { sessionId: 'y' }],
      sessionUpserts: [session('x', { lastRecordNumber: 1 }), session('x', { lastRecordNumber: 2 })],
      cdrs: [cdr('c1', { sessionId: 'y' })],
    });
    assert.equal((await store.getSession({ sessionId: 'x' }))?.lastRecordNumber, 2);
    assert.equal(await store.getSession({ sessionId: 'y' }), undefined);
    assert.equal(await store.countCdrs({ sessionId: 'y' }), 1);
  });

  it('commits a batch all or nothing: a bad row leaves nothing of its batch', async (t) => {
    const { store } = await fresh(t);
    await store.commit({ sessionUpserts: [session('s0', { lastRecordNumber: 1 })], cdrs: [cdr('c0')] });
    // The duplicate CDR id comes last, after rows the database has already accepted in the transaction.
    await rejectsWith(
      store.commit({
        sessionDeletes: [{ sessionId: 's0' }],
        sessionUpserts: [session('s1')],
        cdrs: [cdr('c1'), cdr('c0', { sessionId: 'other' })],
      }),
      'STORE_WRITE_FAILED',
      4002,
    );
    await rejectsWith(store.commit({ cdrs: [cdr('c2'), cdr('c2')] }), 'STORE_WRITE_FAILED', 4002);
    assert.equal((await store.getSession({ sessionId: 's0' }))?.lastRecordNumber, 1);
    assert.equal(await store.getSession({ sessionId: 's1' }), undefined);
    assert.deepEqual(
      (await store.listCdrs()).map((c) => c.id),
      ['c0'],
    );
    const st = await store.stats();
    assert.equal(st.commits, 1, 'failed batches are not counted as commits');
    // The store is still usable after a failed batch.
    await store.commit({ cdrs: [cdr('c3')] });
    assert.equal(await store.countCdrs(), 2);
  });

  it('refuses records it cannot store faithfully, writing nothing', async (t) => {
    const { store } = await fresh(t);
    const bad: StoreBatch[] = [
      {
        sessionUpserts: [session('ok')],
        cdrs: [cdr('b1', { fields: { octets: new Uint8Array([1]) as never } })],
      },
      { sessionUpserts: [session('ok')], cdrs: [cdr('b2', { duration: Number.NaN })] },
      { sessionUpserts: [session('ok'), session('bad', { state: 'half' as never })] },
      { sessionUpserts: [session('ok'), session('bad', { counters: { x: 1 as never } })] },
      { sessionUpserts: [session('ok'), session('bad', { data: { s: 'nul\u0000' } })] },
      { sessionUpserts: [session('ok')], sessionDeletes: [{ sessionId: 'x', subSessionId: -1n }] },
    ];
    for (const b of bad) await rejectsWith(store.commit(b), 'STORE_BAD_RECORD', 5012);
    assert.equal(await store.getSession({ sessionId: 'ok' }), undefined);
    assert.equal(await store.countCdrs(), 0);
  });

  it('writes JSON that is already text as it is and reads it back as a value', async (t) => {
    const { store } = await fresh(t);
    // Session data that writes its own text (store.ts JsonTextSource): the store must write
    // toJsonText(), not serialise the object (whose own fields would give other JSON).
    const kept = {
      calls: 0,
      toJSON: () => ({ v: 2, first: 'AQAC', ps: false }),
      toJsonText(): string {
        kept.calls++;
        return '{"v":2,"first":"AQAC","ps":false}';
      },
    };
    await store.commit({
      sessionUpserts: [session('own-text', { data: kept as never })],
      cdrs: [cdr('text-1', { rawAvps: new JsonText('{"first":[{"Session-Id":"a;1"}],"last":null}') })],
    });
    assert.equal(kept.calls, 1);
    assert.deepEqual((await store.getSession({ sessionId: 'own-text' }))?.data, {
      v: 2,
      first: 'AQAC',
      ps: false,
    });
    assert.deepEqual((await store.listCdrs())[0]?.rawAvps, {
      first: [{ 'Session-Id': 'a;1' }],
      last: null,
    });
    // The NUL check (PostgreSQL jsonb refuses \u0000) applies to such text too.
    const nul: StoreBatch[] = [
      { cdrs: [cdr('text-nul', { rawAvps: new JsonText('["a\\u0000b"]') })] },
      {
        sessionUpserts: [
          session('nul', { data: { toJSON: () => 'a', toJsonText: () => '"a\\u0000"' } as never }),
        ],
      },
    ];
    for (const b of nul) await rejectsWith(store.commit(b), 'STORE_BAD_RECORD', 5012);
    assert.equal(await store.countCdrs(), 1);
    assert.equal(await store.getSession({ sessionId: 'nul' }), undefined);
  });
}
