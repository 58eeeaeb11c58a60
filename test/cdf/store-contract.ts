/**
 * The one behaviour every CDR store must have (src/cdf/store.ts), run against each backend by
 * sqlite-store.test.ts and postgres-store.test.ts — the way aedes-persistence tests all its backends.
 * Expected values are written out here, never read back from the store to build the expectation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DiameterError } from '../../src/codec/errors.js';
import { GroupCommitter } from '../../src/cdf/group-commit.js';
import { JsonText } from '../../src/cdf/json-text.js';
import type { AccountingSession, Cdr, CdrStore, StoreBatch } from '../../src/cdf/store.js';

export interface StoreFixture {
  /** A store over storage of its own, empty, not opened. */
  store: CdrStore;
  /** A new store object over the same storage (call after closing `store`), not opened. */
  reopen(): CdrStore;
}

export type StoreFactory = () => Promise<StoreFixture>;

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0, 123);
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);
const U64_MAX = 18446744073709551615n;

export function session(sessionId: string, over: Partial<AccountingSession> = {}): AccountingSession {
  return {
    sessionId,
    originHost: 'ctf1.example.com',
    originRealm: 'example.com',
    state: 'open',
    recordType: 2,
    lastRecordNumber: 0,
    openedAt: at(0),
    lastSeenAt: at(0),
    partialSequence: 0,
    counters: {},
    anomalies: [],
    data: {},
    ...over,
  };
}

export function cdr(id: string, over: Partial<Cdr> = {}): Cdr {
  return {
    id,
    kind: 'ims',
    sessionId: `sess-${id}`,
    recordOpeningTime: at(0),
    recordClosingTime: at(60),
    duration: 60,
    causeForRecordClosing: 0,
    servedParty: [],
    originHost: 'ctf1.example.com',
    anomalies: [],
    fields: {},
    rawAvps: [],
    createdAt: at(61),
    ...over,
  };
}

/** The CDR as read back: everything given plus the seq the store assigned. */
function withoutSeq(c: Cdr): Cdr {
  const { seq: _seq, ...rest } = c;
  return rest;
}

async function rejectsWith(p: Promise<unknown>, code: string, resultCode: number): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DiameterError, `expected a DiameterError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.resultCode, resultCode);
    return true;
  });
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

export function storeContract(name: string, factory: StoreFactory, options: { skip?: string } = {}): void {
  describe(`CdrStore contract: ${name}`, { skip: options.skip }, () => {
    /** Opens a fresh store and closes whatever the test opened at its end. */
    async function fresh(t: {
      after(fn: () => Promise<void>): void;
    }): Promise<StoreFixture & { opened: CdrStore[] }> {
      const fx = await factory();
      const opened: CdrStore[] = [fx.store];
      t.after(async () => {
        for (const s of opened) await s.close();
      });
      await fx.store.open();
      return {
        store: fx.store,
        opened,
        reopen: () => {
          const s = fx.reopen();
          opened.push(s);
          return s;
        },
      };
    }

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

    it('round-trips a CDR with every field; 64-bit volumes come back as exact decimal strings', async (t) => {
      const { store } = await fresh(t);
      const full = cdr('pgw-1', {
        kind: 'pgw',
        recordType: 85,
        sessionId: 'pgw.example;77;1',
        subSessionId: 42n,
        recordSequenceNumber: 3,
        localRecordSequenceNumber: 123456,
        recordOpeningTime: at(-3600),
        recordClosingTime: at(0),
        duration: 3600,
        causeForRecordClosing: 17,
        servedParty: [
          { type: 1, data: '001010123456789' },
          { type: 0, data: '491701234567' },
        ],
        originHost: 'pgw.example.com',
        originRealm: 'example.com',
        nodeAddress: '192.0.2.1',
        anomalies: ['aCRInterimLost'],
        fields: {
          recordType: 85,
          listOfServiceData: [
            { ratingGroup: 10, datavolumeFBCUplink: U64_MAX, datavolumeFBCDownlink: 2n ** 63n },
          ],
          accessPointNameNI: 'internet',
        },
        rawAvps: [
          { name: 'Accounting-Record-Type', value: 4 },
          { name: 'Accounting-Input-Octets', value: U64_MAX },
        ],
        createdAt: at(1),
      });
      await store.commit({ cdrs: [full] });
      const [back] = await store.listCdrs();
      assert.ok(back);
      assert.equal(typeof back.seq, 'number');
      assert.deepEqual(withoutSeq(back), {
        ...full,
        fields: {
          recordType: 85,
          listOfServiceData: [
            {
              ratingGroup: 10,
              datavolumeFBCUplink: '18446744073709551615',
              datavolumeFBCDownlink: '9223372036854775808',
            },
          ],
          accessPointNameNI: 'internet',
        },
        rawAvps: [
          { name: 'Accounting-Record-Type', value: 4 },
          { name: 'Accounting-Input-Octets', value: '18446744073709551615' },
        ],
      });
      const minimal = cdr('min');
      await store.commit({ cdrs: [minimal] });
      const [min] = await store.listCdrs({ sessionId: 'sess-min' });
      assert.ok(min);
      assert.deepEqual(withoutSeq(min), minimal);
    });

    /** 30 CDRs over 3 sessions, 2 kinds, 2 origin hosts; created 1 s apart, closing times in reverse. */
    const corpus = (): Cdr[] =>
      Array.from({ length: 30 }, (_, i) =>
        cdr(`c${String(i).padStart(2, '0')}`, {
          sessionId: `s${i % 3}`,
          subSessionId: i % 3 === 2 ? BigInt(i % 2) : undefined,
          kind: i % 2 === 0 ? 'ims' : 'pgw',
          originHost: i < 20 ? 'a.example' : 'b.example',
          createdAt: at(100 + i),
          // Pairs share a closing time, so a time-ordered export meets ties at page boundaries.
          recordClosingTime: at(1000 - Math.floor(i / 2)),
        }),
      );

    async function loaded(t: {
      after(fn: () => Promise<void>): void;
    }): Promise<{ store: CdrStore; all: Cdr[] }> {
      const { store } = await fresh(t);
      const all = corpus();
      // Several commits, so seq order spans transactions.
      for (let i = 0; i < all.length; i += 7) await store.commit({ cdrs: all.slice(i, i + 7) });
      return { store, all };
    }

    it('filters CDRs by session, sub-session, kind, origin host and time, and counts the same', async (t) => {
      const { store, all } = await loaded(t);
      const ids = (cs: Cdr[]): string[] => cs.map((c) => c.id);
      const cases: [Parameters<CdrStore['listCdrs']>[0], (c: Cdr) => boolean][] = [
        [{ sessionId: 's1' }, (c) => c.sessionId === 's1'],
        [{ sessionId: 's2', subSessionId: 1n }, (c) => c.sessionId === 's2' && c.subSessionId === 1n],
        [{ kind: 'pgw' }, (c) => c.kind === 'pgw'],
        [{ originHost: 'b.example', kind: 'ims' }, (c) => c.originHost === 'b.example' && c.kind === 'ims'],
        [{ since: at(105), until: at(110) }, (c) => +c.createdAt >= +at(105) && +c.createdAt < +at(110)],
        [
          { timeField: 'recordClosingTime', since: at(980), sessionId: 's0' },
          (c) => +c.recordClosingTime >= +at(980) && c.sessionId === 's0',
        ],
      ];
      for (const [q, pred] of cases) {
        const want = all.filter(pred).map((c) => c.id);
        assert.ok(
          want.length > 0 && want.length < all.length,
          `case ${JSON.stringify(q, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))} selects some`,
        );
        assert.deepEqual(ids(await store.listCdrs({ ...q, limit: 1000 })), want);
        assert.equal(await store.countCdrs(q), want.length);
      }
    });

    it('pages CDRs by limit/offset and by a seq cursor, in both orders', async (t) => {
      const { store, all } = await loaded(t);
      const ids = all.map((c) => c.id);
      const first = await store.listCdrs({ limit: 10 });
      assert.deepEqual(
        first.map((c) => c.id),
        ids.slice(0, 10),
      );
      const seqs = first.map((c) => c.seq!);
      assert.ok(
        seqs.every((s, i) => i === 0 || s > seqs[i - 1]!),
        'seq grows in insertion order',
      );
      assert.deepEqual(
        (await store.listCdrs({ limit: 5, offset: 12 })).map((c) => c.id),
        ids.slice(12, 17),
      );
      assert.deepEqual(
        (await store.listCdrs({ limit: 4, afterSeq: first[9]!.seq })).map((c) => c.id),
        ids.slice(10, 14),
      );
      assert.deepEqual(
        (await store.listCdrs({ limit: 3, order: 'desc' })).map((c) => c.id),
        [ids[29], ids[28], ids[27]],
      );
      assert.deepEqual(
        (await store.listCdrs({ limit: 2, order: 'desc', afterSeq: first[5]!.seq })).map((c) => c.id),
        [ids[4], ids[3]],
      );
      assert.equal((await store.listCdrs()).length, 30, 'default limit holds 30');
    });

    it('exports every matching CDR once, in insertion order, across pages', async (t) => {
      const { store, all } = await loaded(t);
      assert.deepEqual(
        (await collect(store.exportCdrs({}, { pageSize: 7 }))).map((c) => c.id),
        all.map((c) => c.id),
      );
      assert.deepEqual(
        (await collect(store.exportCdrs({ kind: 'ims', originHost: 'a.example' }, { pageSize: 4 }))).map(
          (c) => c.id,
        ),
        all.filter((c) => c.kind === 'ims' && c.originHost === 'a.example').map((c) => c.id),
      );
      // A page size dividing the total exactly must not lose or repeat the last page.
      assert.equal((await collect(store.exportCdrs({}, { pageSize: 10 }))).length, 30);
      // With a time bound the export walks that time, ties in insertion order.
      const byClosing = all
        .map((c, i) => ({ c, i }))
        .filter(({ c }) => +c.recordClosingTime >= +at(990))
        .sort((a, b) => +a.c.recordClosingTime - +b.c.recordClosingTime || a.i - b.i)
        .map(({ c }) => c.id);
      assert.equal(byClosing.length, 22);
      assert.deepEqual(
        (
          await collect(store.exportCdrs({ timeField: 'recordClosingTime', since: at(990) }, { pageSize: 3 }))
        ).map((c) => c.id),
        byClosing,
      );
      assert.deepEqual(
        (await collect(store.exportCdrs({ since: at(100), until: at(125) }, { pageSize: 4 }))).map(
          (c) => c.id,
        ),
        all.slice(0, 25).map((c) => c.id),
      );
    });

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
  });
}
