/**
 * CdrStore contract, sessions: an empty store, a session round-trip with every field, upserts and
 * deletes by (Session-Id, sub-session id) key. Part of storeContract (store-contract.ts).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { at, session, U64_MAX, type FreshStore } from './store-contract-fixtures.js';

/** The session tests, in the contract's order. */
export function sessionContract(fresh: FreshStore): void {
  it('starts empty and reports so', async (t) => {
    const { store } = await fresh(t);
    assert.equal(await store.getSession({ sessionId: 'nope' }), undefined);
    assert.deepEqual(await store.listCdrs(), []);
    assert.deepEqual(await store.listOpenSessions(), []);
    assert.equal(await store.countCdrs(), 0);
    const st = await store.stats();
    assert.equal(st.backend, store.backend);
    assert.deepEqual(
      [st.openSessions, st.closedSessions, st.cdrs, st.commits, st.rowsWritten],
      [0, 0, 0, 0, 0],
    );
  });

  it('round-trips a session with every field, 64-bit counters and sub-session id included', async (t) => {
    const { store } = await fresh(t);
    const full = session('full;1;2', {
      subSessionId: U64_MAX,
      originRealm: 'realm.example',
      state: 'closed',
      recordType: 3,
      lastRecordNumber: 4294967295,
      openedAt: at(1),
      lastSeenAt: at(2.5),
      expiresAt: at(3600),
      interimInterval: 300,
      serviceContextId: '32260@3gpp.org',
      partialSequence: 7,
      counters: { inputOctets: U64_MAX, outputOctets: 9007199254740993n, acrs: 3n },
      anomalies: ['gap:2-3', 'startLost'],
      data: { containers: [{ rg: 10, up: 1234567890123456789n, note: 'é"\\' }], flag: true, none: null },
    });
    const minimal = session('minimal');
    await store.commit({ sessionUpserts: [full, minimal] });
    assert.deepEqual(await store.getSession({ sessionId: 'full;1;2', subSessionId: U64_MAX }), {
      ...full,
      data: { containers: [{ rg: 10, up: '1234567890123456789', note: 'é"\\' }], flag: true, none: null },
    });
    assert.equal(
      await store.getSession({ sessionId: 'full;1;2' }),
      undefined,
      'the sub-session id is part of the key',
    );
    const back = await store.getSession({ sessionId: 'minimal' });
    assert.deepEqual(back, minimal);
    assert.ok(back && !('subSessionId' in back) && !('expiresAt' in back), 'absent optionals stay absent');
  });

  it('upserts replace a session; sub-sessions are separate keys', async (t) => {
    const { store } = await fresh(t);
    await store.commit({
      sessionUpserts: [session('a'), session('a', { subSessionId: 1n, lastRecordNumber: 10 })],
    });
    const v2 = session('a', {
      recordType: 3,
      lastRecordNumber: 1,
      lastSeenAt: at(30),
      counters: { acrs: 2n },
    });
    await store.commit({ sessionUpserts: [v2] });
    assert.deepEqual(await store.getSession({ sessionId: 'a' }), v2);
    assert.equal((await store.getSession({ sessionId: 'a', subSessionId: 1n }))?.lastRecordNumber, 10);
    assert.equal((await store.listOpenSessions()).length, 2);
  });

  it('deletes exactly the named key; deleting a missing key is not an error', async (t) => {
    const { store } = await fresh(t);
    await store.commit({
      sessionUpserts: [session('a'), session('a', { subSessionId: 5n }), session('b')],
    });
    await store.commit({ sessionDeletes: [{ sessionId: 'a', subSessionId: 5n }, { sessionId: 'ghost' }] });
    assert.equal(await store.getSession({ sessionId: 'a', subSessionId: 5n }), undefined);
    assert.ok(await store.getSession({ sessionId: 'a' }));
    assert.ok(await store.getSession({ sessionId: 'b' }));
  });
}
