/**
 * `diamkit load --follow-interim` against scripted servers: the server directs the interim cadence with
 * Acct-Interim-Interval in its ACAs (RFC 6733 §9.1, §9.8.2), 0 ends the INTERIMs, and without the flag the
 * generator keeps --interim. Runs go through runLoad(), as the CLI does.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runLoad } from '../../src/client/load/run-load.js';
import { avp, strOf, u32Of, type RawMessage } from '../helpers/raw-peer.js';
import { ScriptedServer, options, type Reply, type Seen } from './scripted-server.js';

describe('--follow-interim: the server directs the interim cadence (RFC 6733 §9.1, §9.8.2)', () => {
  /** ACAs with Result-Code 2001 and, for a START or INTERIM, Acct-Interim-Interval `seconds(acr)` unless undefined. */
  function directing(seconds: (acr: RawMessage, s: ScriptedServer) => number | undefined) {
    return (m: RawMessage, s: ScriptedServer): Reply => {
      const type = u32Of(m, 480);
      const v = type === 2 || type === 3 ? seconds(m, s) : undefined;
      return { avps: v === undefined ? [avp(268, 2001)] : [avp(268, 2001), avp(85, v)] };
    };
  }

  /** Milliseconds from each session's START to each of its records, as the server received them. */
  function offsets(recs: Seen[]): number[] {
    return recs.map((x) => x.at - recs[0]!.at);
  }

  /** How early a record may seem at the server: the START it is measured from can arrive late. */
  const EARLY_SLACK_MS = 100;

  test('an ACA with 1 s: INTERIMs 1 s apart instead of --interim 0.25 s, STOP at the holding time; the report counts them', async () => {
    // This server puts it in every ACA, the STOP's too (which a client has no use for).
    const srv = await ScriptedServer.start(() => ({ avps: [avp(268, 2001), avp(85, 1)] }));
    const r = await runLoad(
      options(srv.port, {
        concurrency: 2,
        count: 2,
        holding: { kind: 'fixed', seconds: 2.5 },
        interimSeconds: 0.25,
        followInterim: true,
      }),
    );
    const sessions = srv.bySession();
    assert.equal(sessions.size, 2);
    for (const [sid, recs] of sessions) {
      assert.deepEqual(
        recs.map((x) => [x.type, x.number]),
        [
          [2, 0],
          [3, 1],
          [3, 2],
          [4, 3],
        ],
        sid,
      );
      // INTERIM k is due k s after the START, the STOP 2.5 s after: not early, not much late. Times are
      // arrivals at this server, so a START delayed on a busy machine makes the next record look early:
      // 100 ms of slack, still far from the 250 ms grid --interim would give.
      const at = offsets(recs);
      [1000, 2000, 2500].forEach((due, i) =>
        assert.ok(
          at[i + 1]! >= due - EARLY_SLACK_MS && at[i + 1]! <= due + 700,
          `${sid}: record ${i + 1} sent ${at[i + 1]} ms after START, due at ${due}`,
        ),
      );
    }
    assert.equal(r.run.followInterim, true);
    // 2 STARTs and 4 INTERIMs answered with the AVP; the STOPs' answers are not read.
    assert.deepEqual(r.serverInterim, { sessions: 2, answers: 6, bySeconds: { '1': 6 } });
  });

  test('without the flag the same server does not change the cadence: INTERIMs every --interim', async () => {
    const srv = await ScriptedServer.start(directing(() => 1));
    const r = await runLoad(
      options(srv.port, {
        concurrency: 2,
        count: 2,
        holding: { kind: 'fixed', seconds: 1.1 },
        interimSeconds: 0.25,
      }),
    );
    assert.deepEqual(r.requests.byRecordType, { START: 2, INTERIM: 8, STOP: 2 });
    for (const [sid, recs] of srv.bySession()) {
      const at = offsets(recs);
      [250, 500, 750, 1000, 1100].forEach((due, i) =>
        assert.ok(
          at[i + 1]! >= due - EARLY_SLACK_MS && at[i + 1]! <= due + 1500,
          `${sid}: record ${i + 1} sent ${at[i + 1]} ms after START, due at ${due}`,
        ),
      );
    }
    assert.equal(r.run.followInterim, false);
    assert.equal(r.serverInterim, undefined);
  });

  test('0 ends the INTERIMs; an ACA without the AVP changes nothing; an INTERIM’s ACA sets the next interval', async () => {
    // Four sessions, each with its own plan by the order of their STARTs (--interim 0.25 s, holding 2.5 s):
    //   A: START answered with 0                           → no INTERIM at all
    //   B: START without; INTERIM 1 (at 0.25 s) with 0     → that INTERIM only
    //   C: START with 1; the INTERIMs' ACAs without        → keeps 1 s (the latest value), not --interim
    //   D: START without; INTERIM 1 (at 0.25 s) with 1     → INTERIMs at 1.25 s and 2.25 s
    const order = new Map<string, number>();
    const plans: ((n: number) => number | undefined)[] = [
      (n) => (n === 0 ? 0 : undefined),
      (n) => (n === 1 ? 0 : undefined),
      (n) => (n === 0 ? 1 : undefined),
      (n) => (n === 1 ? 1 : undefined),
    ];
    const srv = await ScriptedServer.start(
      directing((m) => {
        const sid = strOf(m, 263)!;
        if (!order.has(sid)) order.set(sid, order.size);
        return plans[order.get(sid)!]!(u32Of(m, 485)!);
      }),
    );
    const r = await runLoad(
      options(srv.port, {
        concurrency: 4,
        count: 4,
        holding: { kind: 'fixed', seconds: 2.5 },
        interimSeconds: 0.25,
        followInterim: true,
      }),
    );
    const sessions = srv.bySession();
    const expected = [
      [0, 2500],
      [0, 250, 2500],
      [0, 1000, 2000, 2500],
      [0, 250, 1250, 2250, 2500],
    ];
    for (const [sid, k] of order) {
      const recs = sessions.get(sid)!;
      const due = expected[k]!;
      assert.deepEqual(
        recs.map((x) => x.type),
        due.map((_, i) => (i === 0 ? 2 : i === due.length - 1 ? 4 : 3)),
        `session ${'ABCD'[k]}`,
      );
      const at = offsets(recs);
      due.forEach((d, i) =>
        assert.ok(
          at[i]! >= d - 15 && at[i]! <= d + 700,
          `session ${'ABCD'[k]}: record ${i} sent ${at[i]} ms after START, due at ${d}`,
        ),
      );
    }
    assert.deepEqual(r.serverInterim, { sessions: 4, answers: 4, bySeconds: { '0': 2, '1': 2 } });
  });

  test('worker threads follow it too', async () => {
    const srv = await ScriptedServer.start(directing(() => 0));
    const r = await runLoad(
      options(srv.port, {
        concurrency: 4,
        count: 4,
        connections: 2,
        workers: 2,
        holding: { kind: 'fixed', seconds: 0.7 },
        interimSeconds: 0.2,
        followInterim: true,
      }),
    );
    assert.equal(r.cpu.threadBusy.length, 2);
    assert.deepEqual(r.requests.byRecordType, { START: 4, STOP: 4 });
    assert.deepEqual(r.serverInterim, { sessions: 4, answers: 4, bySeconds: { '0': 4 } });
  });
});
