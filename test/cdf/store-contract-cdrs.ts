/**
 * CdrStore contract, CDRs: a CDR round-trip with every field, then filtering, paging and exporting a
 * corpus of 30 CDRs. Part of storeContract (store-contract.ts).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Cdr, CdrStore } from '../../src/cdf/store.js';
import { at, cdr, collect, U64_MAX, withoutSeq, type FreshStore } from './store-contract-fixtures.js';

/** The CDR tests, in the contract's order. */
export function cdrContract(fresh: FreshStore): void {
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
      (await collect(store.exportCdrs({ since: at(100), until: at(125) }, { pageSize: 4 }))).map((c) => c.id),
      all.slice(0, 25).map((c) => c.id),
    );
  });
}
