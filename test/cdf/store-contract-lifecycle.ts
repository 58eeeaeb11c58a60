/**
 * CdrStore contract, lifecycle: open sessions listed for supervision and loaded again after a reopen,
 * named sequences, and a closed store refusing work. Part of storeContract (store-contract.ts).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AccountingSession } from '../../src/cdf/store.js';
import {
  at,
  cdr,
  collect,
  rejectsWith,
  session,
  U64_MAX,
  type FreshStore,
} from './store-contract-fixtures.js';

/** The lifecycle tests, in the contract's order. */
export function lifecycleContract(fresh: FreshStore): void {
  it('lists open sessions by origin host, Session-Id and supervision deadline', async (t) => {
    const { store } = await fresh(t);
    await store.commit({
      sessionUpserts: [
        session('o1', { originHost: 'h1', expiresAt: at(10) }),
        session('o2', { originHost: 'h1', expiresAt: at(20) }),
        session('o2', { originHost: 'h1', subSessionId: 9n }),
        session('o3', { originHost: 'h2', expiresAt: at(5) }),
        session('c1', { originHost: 'h1', state: 'closed', expiresAt: at(1) }),
      ],
    });
    const key = (s: AccountingSession): string => `${s.sessionId}/${s.subSessionId ?? ''}`;
    assert.deepEqual((await store.listOpenSessions({ originHost: 'h1' })).map(key).sort(), [
      'o1/',
      'o2/',
      'o2/9',
    ]);
    assert.deepEqual((await store.listOpenSessions({ sessionId: 'o2' })).map(key).sort(), ['o2/', 'o2/9']);
    assert.deepEqual(
      (await store.listOpenSessions({ expiredBefore: at(15) })).map(key),
      ['o3/', 'o1/'],
      'most overdue first',
    );
    assert.equal((await store.listOpenSessions({ limit: 2 })).length, 2);
    const st = await store.stats();
    assert.deepEqual([st.openSessions, st.closedSessions], [4, 1]);
  });

  it('keeps sessions, CDRs and sequences across close and reopen; loads open sessions page by page', async (t) => {
    const fx = await fresh(t);
    const open = Array.from({ length: 250 }, (_, i) =>
      session(`sess-${String(i).padStart(4, '0')}`, {
        ...(i % 10 === 0 ? { subSessionId: BigInt(i) } : {}),
        lastRecordNumber: i,
        counters: { inputOctets: U64_MAX - BigInt(i) },
      }),
    );
    const closed = Array.from({ length: 20 }, (_, i) => session(`closed-${i}`, { state: 'closed' }));
    for (let i = 0; i < open.length; i += 100)
      await fx.store.commit({ sessionUpserts: open.slice(i, i + 100) });
    await fx.store.commit({ sessionUpserts: closed, cdrs: [cdr('kept')] });
    assert.equal(await fx.store.allocateSequence('lrsn', 100), 1);
    await fx.store.close();

    const again = fx.reopen();
    await again.open();
    const loadedSessions = await collect(again.loadOpenSessions({ pageSize: 100 }));
    const byKey = (s: AccountingSession): string => `${s.sessionId}\u0000${s.subSessionId ?? ''}`;
    assert.equal(loadedSessions.length, 250);
    assert.equal(new Set(loadedSessions.map(byKey)).size, 250, 'each open session exactly once');
    const want = new Map(open.map((s) => [byKey(s), s]));
    for (const s of loadedSessions) assert.deepEqual(s, want.get(byKey(s)));
    assert.equal((await collect(again.loadOpenSessions())).length, 250, 'default page size');
    assert.deepEqual(
      (await again.listCdrs()).map((c) => c.id),
      ['kept'],
    );
    assert.equal(await again.allocateSequence('lrsn', 1), 101, 'the sequence continues after reopen');
    const st = await again.stats();
    assert.deepEqual([st.openSessions, st.closedSessions, st.cdrs, st.commits], [250, 20, 1, 0]);
  });

  it('allocates non-overlapping blocks of a named sequence', async (t) => {
    const { store } = await fresh(t);
    const blocks = await Promise.all(
      [5, 1, 10, 3].map((n) => store.allocateSequence('lrsn', n).then((f) => [f, n])),
    );
    const covered = blocks
      .flatMap(([f, n]) => Array.from({ length: n! }, (_, i) => f! + i))
      .sort((a, b) => a - b);
    assert.deepEqual(
      covered,
      Array.from({ length: 19 }, (_, i) => i + 1),
    );
    assert.equal(await store.allocateSequence('other', 2), 1, 'names are independent');
    await rejectsWith(store.allocateSequence('lrsn', 0), 'STORE_BAD_RECORD', 5012);
  });

  it('refuses work once closed', async (t) => {
    const { store } = await fresh(t);
    await store.close();
    await rejectsWith(store.commit({ cdrs: [cdr('late')] }), 'STORE_CLOSED', 4002);
    await rejectsWith(store.getSession({ sessionId: 'x' }), 'STORE_CLOSED', 4002);
  });
}
