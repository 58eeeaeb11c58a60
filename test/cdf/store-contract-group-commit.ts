/**
 * CdrStore contract, group commit: GroupCommitter (src/cdf/group-commit.ts) over a real store —
 * acknowledgement only after the commit, failed batches, per-session order. Part of storeContract
 * (store-contract.ts).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { GroupCommitter } from '../../src/cdf/group-commit.js';
import type { StoreBatch } from '../../src/cdf/store.js';
import { cdr, rejectsWith, session, turn, type FreshStore } from './store-contract-fixtures.js';

/** The group-commit tests, in the contract's order. */
export function groupCommitContract(fresh: FreshStore): void {
  it('group commit resolves each submitter only after its batch is committed, in fewer commits', async (t) => {
    const { store } = await fresh(t);
    let commits = 0;
    let gate: (() => void) | undefined;
    const gated = {
      async commit(b: StoreBatch): Promise<void> {
        commits++;
        if (gate === undefined) await new Promise<void>((r) => (gate = r));
        await store.commit(b);
      },
    };
    const gc = new GroupCommitter(gated);
    const n = 100;
    let resolved = 0;
    const seen: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const s = session(`g${i}`, { lastRecordNumber: i });
      seen.push(
        gc
          .submit({ sessionUpserts: [s], cdrs: [cdr(`gc${i}`, { sessionId: s.sessionId })] })
          .then(async () => {
            resolved++;
            // What the ACA acknowledges is readable by then.
            assert.equal((await store.getSession({ sessionId: `g${i}` }))?.lastRecordNumber, i);
            assert.equal(await store.countCdrs({ sessionId: `g${i}` }), 1);
          }),
      );
    }
    for (let i = 0; i < 5; i++) await turn();
    assert.equal(commits, 1, 'one commit started for the whole turn');
    assert.equal(resolved, 0, 'nothing resolves before the commit');
    assert.equal(await store.countCdrs(), 0);
    gate!();
    await Promise.all(seen);
    assert.equal(resolved, n);
    assert.ok(commits < n, `${commits} commits for ${n} submits`);
    assert.equal(await store.countCdrs(), n);
    assert.deepEqual(gc.stats(), {
      submits: n,
      commits,
      failedCommits: 0,
      rowsCommitted: 2 * n,
      pendingItems: 0,
      refused: 0,
    });
  });

  it('group commit rejects every submitter of a failed batch, stores none of it, and goes on', async (t) => {
    const { store } = await fresh(t);
    await store.commit({ cdrs: [cdr('taken')] });
    const gc = new GroupCommitter(store);
    const good = gc.submit({ sessionUpserts: [session('innocent')], cdrs: [cdr('fine')] });
    const bad = gc.submit({ cdrs: [cdr('taken', { sessionId: 'dup' })] });
    await rejectsWith(good, 'STORE_WRITE_FAILED', 4002);
    await rejectsWith(bad, 'STORE_WRITE_FAILED', 4002);
    assert.equal(await store.getSession({ sessionId: 'innocent' }), undefined);
    assert.equal(await store.countCdrs(), 1);
    await gc.submit({ sessionUpserts: [session('innocent')], cdrs: [cdr('fine')] });
    assert.ok(await store.getSession({ sessionId: 'innocent' }));
    assert.equal(gc.stats().failedCommits, 1);
    await gc.close();
    await rejectsWith(gc.submit({ cdrs: [cdr('after-close')] }), 'STORE_CLOSED', 4002);
  });

  it('group commit keeps the submission order of one session within and across batches', async (t) => {
    const { store } = await fresh(t);
    let commits = 0;
    const slow = {
      async commit(b: StoreBatch): Promise<void> {
        commits++;
        await new Promise((r) => setTimeout(r, 5));
        await store.commit(b);
      },
    };
    const gc = new GroupCommitter(slow, { maxItems: 3 });
    const done: Promise<void>[] = [];
    const ops: StoreBatch[] = [
      { sessionUpserts: [session('k', { lastRecordNumber: 1 })], cdrs: [cdr('o1')] },
      { sessionUpserts: [session('k', { lastRecordNumber: 2 })], cdrs: [cdr('o2')] },
      { sessionDeletes: [{ sessionId: 'k' }], cdrs: [cdr('o3')] },
      { sessionUpserts: [session('k', { lastRecordNumber: 4 })], cdrs: [cdr('o4')] },
      { sessionUpserts: [session('gone')] },
      { sessionDeletes: [{ sessionId: 'gone' }], cdrs: [cdr('o5')] },
    ];
    for (const op of ops) done.push(gc.submit(op));
    await turn();
    // Submitted while the first batch is in flight.
    done.push(gc.submit({ sessionUpserts: [session('k', { lastRecordNumber: 7 })], cdrs: [cdr('o6')] }));
    done.push(gc.submit({ sessionUpserts: [session('k', { lastRecordNumber: 8 })], cdrs: [cdr('o7')] }));
    await Promise.all(done);
    assert.ok(commits >= 2, 'maxItems split the work into several commits');
    assert.equal((await store.getSession({ sessionId: 'k' }))?.lastRecordNumber, 8);
    assert.equal(await store.getSession({ sessionId: 'gone' }), undefined);
    assert.deepEqual(
      (await store.listCdrs()).map((c) => c.id),
      ['o1', 'o2', 'o3', 'o4', 'o5', 'o6', 'o7'],
    );
  });
}
