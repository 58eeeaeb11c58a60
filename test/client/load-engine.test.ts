/**
 * The load generator's behaviour against scripted servers on 127.0.0.1 (answers written by hand, see
 * test/helpers/raw-peer.ts): latency from the intended send time, timeouts and late answers, Result-Codes
 * counted as sent, the RFC 6733 record sequence and interim cadence, the end of a run, the base protocol
 * (CER, DWR, DPR) and worker threads (--follow-interim: load-follow-interim.test.ts). The scripted server
 * is scripted-server.ts. Runs go through runLoad(), as the CLI does.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectError } from '../../src/client/load/load-connection.js';
import { runLoad } from '../../src/client/load/run-load.js';
import { avp, dwr, dpr, grouped, message, strOf, u32Of } from '../helpers/raw-peer.js';
import { ScriptedServer, acceptCea, ok, options } from './scripted-server.js';


describe('latency and timing', () => {
  test('latency counts from the intended send time: a generator stalled 300 ms shows it', async () => {
    const srv = await ScriptedServer.start(() => ok);
    // Block this thread (the generator's) for 300 ms in the middle of the run.
    const t = setTimeout(() => {
      const end = Date.now() + 300;
      while (Date.now() < end);
    }, 400);
    const r = await runLoad(options(srv.port, { mode: 'open', rate: 200, durationMs: 1200 }));
    clearTimeout(t);
    assert.equal(r.requests.answered, r.requests.sent);
    assert.ok(r.requests.sent > 200, `sent ${r.requests.sent}`);
    // Arrivals due during the stall went out late; their latency includes the wait.
    assert.ok(r.latencyMs.max >= 240, `max ${r.latencyMs.max} ms`);
    assert.ok(r.sendLagMs && r.sendLagMs.max >= 240, `send lag max ${r.sendLagMs?.max}`);
    assert.ok(r.latencyMs.p50 < 100, `p50 ${r.latencyMs.p50} ms`);
    // Poisson arrivals at 200/s over ~1.2 s: about 240 sessions (well within 5 sigma).
    assert.ok(Math.abs(r.sessions.started - 240) < 80, `started ${r.sessions.started}`);
  });

  test('a server that never answers: every request times out, every session still ends, the run stops', async () => {
    const srv = await ScriptedServer.start(() => null);
    const t0 = Date.now();
    const r = await runLoad(options(srv.port, { mode: 'open', rate: 40, durationMs: 500, timeoutMs: 200 }));
    assert.ok(Date.now() - t0 < 4000, `run took ${Date.now() - t0} ms`);
    assert.equal(r.requests.answered, 0);
    assert.equal(r.requests.timeouts, r.requests.sent);
    assert.equal(r.sessions.ended, r.sessions.started);
    // After START (0) timed out, the session went on to STOP (1): RFC 6733 §9.8.3 numbering.
    for (const [sid, recs] of srv.bySession()) {
      assert.deepEqual(
        recs.map((x) => [x.type, x.number]),
        [
          [2, 0],
          [4, 1],
        ],
        sid,
      );
      assert.ok(recs[1]!.at - recs[0]!.at >= 150, 'STOP only after the START timed out');
    }
  });

  test('answers after their timeout are late, not answered', async () => {
    // Each answer comes 300 ms after its request, the timeout is 100 ms: the START's answer arrives while
    // its session waits for its STOP (due at 600 ms), and is late.
    const srv = await ScriptedServer.start(() => ({ avps: [avp(268, 2001)], delayMs: 300 }));
    const r = await runLoad(
      options(srv.port, {
        concurrency: 4,
        count: 4,
        timeoutMs: 100,
        holding: { kind: 'fixed', seconds: 0.6 },
      }),
    );
    assert.equal(r.requests.answered, 0);
    assert.equal(r.requests.timeouts, 8);
    assert.ok(r.requests.lateAnswers >= 4, `late ${r.requests.lateAnswers}`);
  });
});

describe('sessions', () => {
  test('Result-Codes are counted as the server sent them', async () => {
    const plan = [
      [avp(268, 2001)],
      [avp(268, 2001)],
      [avp(268, 5012)],
      [avp(268, 4002)],
      [],
      [grouped(297, [avp(266, 10415), avp(298, 5030)])],
    ];
    const sent = new Map<string, number>();
    let i = 0;
    const srv = await ScriptedServer.start(() => {
      const k = i++ % plan.length;
      const key = ['2001', '2001', '5012', '4002', '0', '5030'][k]!;
      sent.set(key, (sent.get(key) ?? 0) + 1);
      return { avps: plan[k]! };
    });
    const r = await runLoad(options(srv.port, { concurrency: 3, count: 12 }));
    assert.equal(r.requests.sent, 24);
    assert.equal(r.requests.answered, 24);
    assert.deepEqual(r.resultCodes, Object.fromEntries(sent));
    assert.equal(r.sessions.started, 12);
    assert.equal(r.sessions.ended, 12);
  });

  test('START, an INTERIM every interval while the session lasts, STOP at its end (RFC 6733 §9.8.3)', async () => {
    const srv = await ScriptedServer.start(() => ok);
    const r = await runLoad(
      options(srv.port, {
        concurrency: 2,
        count: 2,
        holding: { kind: 'fixed', seconds: 0.35 },
        interimSeconds: 0.1,
      }),
    );
    assert.deepEqual(r.requests.byRecordType, { START: 2, INTERIM: 6, STOP: 2 });
    const sessions = srv.bySession();
    assert.equal(sessions.size, 2);
    for (const [sid, recs] of sessions) {
      assert.match(sid, /^load\.localdomain;\d+;\d{10}$/);
      assert.deepEqual(
        recs.map((x) => x.type),
        [2, 3, 3, 3, 4],
        sid,
      );
      assert.deepEqual(
        recs.map((x) => x.number),
        [0, 1, 2, 3, 4],
        sid,
      );
      // INTERIM k is due 100·k ms after the START, the STOP 350 ms after: never early. (A generator
      // that was descheduled catches up, so only a loose upper bound.)
      for (let k = 1; k < 5; k++) {
        const due = Math.min(k * 100, 350);
        const after = recs[k]!.at - recs[0]!.at;
        assert.ok(
          after >= due - 15 && after <= due + 1500,
          `record ${k} sent ${after} ms after START, due at ${due}`,
        );
      }
    }
  });

  test('at the end of the duration every open session sends its STOP', async () => {
    const srv = await ScriptedServer.start(() => ok);
    const t0 = Date.now();
    const r = await runLoad(
      options(srv.port, { mode: 'open', rate: 30, durationMs: 500, holding: { kind: 'fixed', seconds: 60 } }),
    );
    assert.ok(Date.now() - t0 < 4000, `run took ${Date.now() - t0} ms`);
    assert.ok(r.sessions.started > 3);
    assert.equal(r.sessions.ended, r.sessions.started);
    for (const [sid, recs] of srv.bySession())
      assert.deepEqual(
        recs.map((x) => [x.type, x.number]),
        [
          [2, 0],
          [4, 1],
        ],
        sid,
      );
    // The closing STOPs are answered and counted, but only the STARTs are timed.
    assert.equal(r.requests.closingStops, r.sessions.started);
    assert.equal(r.requests.answered, 2 * r.sessions.started);
    assert.equal(r.latencyMs.count, r.sessions.started);
  });

  test('EVENT records: one per session', async () => {
    const srv = await ScriptedServer.start(() => ok);
    const r = await runLoad(options(srv.port, { concurrency: 5, count: 20, event: true }));
    assert.deepEqual(r.requests.byRecordType, { EVENT: 20 });
    assert.equal(srv.bySession().size, 20);
    for (const a of srv.acrs) assert.deepEqual([a.type, a.number], [1, 0]);
  });

  test('warm-up traffic is not counted', async () => {
    const srv = await ScriptedServer.start(() => ok);
    const r = await runLoad(options(srv.port, { concurrency: 2, warmupMs: 1000, durationMs: 300 }));
    assert.ok(
      srv.acrs.length > r.requests.sent,
      `server saw ${srv.acrs.length}, report counts ${r.requests.sent}`,
    );
    assert.equal(r.requests.answered, r.requests.sent);
    // The measured part is the 0.3 s after the warm-up (and the last answers), not the whole 1.3 s.
    assert.ok(r.elapsedSeconds >= 0.29 && r.elapsedSeconds < 1, `measured ${r.elapsedSeconds} s`);
  });

  test('an abort ends the run early, with a STOP for each open session', async () => {
    const srv = await ScriptedServer.start(() => ok);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    const t0 = Date.now();
    const r = await runLoad(
      options(srv.port, { concurrency: 3, durationMs: 30_000, holding: { kind: 'fixed', seconds: 60 } }),
      { signal: abort.signal },
    );
    assert.ok(Date.now() - t0 < 3000);
    assert.equal(r.sessions.started, 3);
    assert.deepEqual(r.requests.byRecordType, { START: 3, STOP: 3 });
  });
});


describe('base protocol and threads', () => {
  test('CER names us and advertises accounting; a DWR is answered; a DPR ends the run', async () => {
    // Once the connection is open: a DWR at once, a DPR 300 ms later.
    const srv = await ScriptedServer.start(
      () => null,
      acceptCea,
      (p) => {
        setTimeout(() => p.send(dwr(0x77, 0x78, 'scripted.example.net')), 20);
        setTimeout(() => p.send(dpr(0x79, 0x7a, 0, 'scripted.example.net')), 300);
      },
    );
    const t0 = Date.now();
    const r = await runLoad(options(srv.port, { concurrency: 4, durationMs: 20_000, timeoutMs: 10_000 }));
    assert.ok(Date.now() - t0 < 5000, `run took ${Date.now() - t0} ms`);
    const cer = srv.cers[0]!;
    assert.equal(strOf(cer, 264), 'load.localdomain');
    assert.equal(u32Of(cer, 259), 3, 'Acct-Application-Id 3');
    assert.equal(u32Of(cer, 265), 10415, 'Supported-Vendor-Id 3GPP');
    assert.equal(srv.dwas.length, 1);
    assert.equal(srv.dwas[0]!.hbh, 0x77);
    assert.equal(u32Of(srv.dwas[0]!, 268), 2001);
    assert.equal(srv.dpas.length, 1);
    assert.equal(srv.dpas[0]!.hbh, 0x79);
    assert.equal(r.requests.lost, 4, 'the 4 STARTs in flight when the server left');
    assert.ok(
      r.errors.some((e) => /closed during the run/.test(e)),
      r.errors.join('; '),
    );
  });

  test('a refused CER fails the run with the Result-Code', async () => {
    const srv = await ScriptedServer.start(
      () => ok,
      (cer) =>
        message({ flags: 0x20, command: 257, hbh: cer.hbh, e2e: cer.e2e }, [
          avp(264, 'scripted.example.net'),
          avp(296, 'example.net'),
          avp(268, 3010),
        ]),
    );
    await assert.rejects(
      runLoad(options(srv.port, { count: 1 })),
      (e: Error) => e instanceof ConnectError && /Result-Code 3010/.test(e.message),
    );
  });

  test('all connections or none: one refused CER closes the others and fails the run', async () => {
    let n = 0;
    const srv = await ScriptedServer.start(
      () => ok,
      (cer) =>
        n++ === 0
          ? acceptCea(cer)
          : message({ flags: 0x20, command: 257, hbh: cer.hbh, e2e: cer.e2e }, [
              avp(264, 'scripted.example.net'),
              avp(296, 'example.net'),
              avp(268, 3010),
            ]),
    );
    await assert.rejects(runLoad(options(srv.port, { count: 4, connections: 3 })), /Result-Code 3010/);
    for (const p of srv.peers) await p.expectClose(2000);
    assert.equal(srv.acrs.length, 0, 'no traffic on a partial set of connections');
  });

  test('two worker threads, two connections with their own Origin-Host, no Session-Id twice', async () => {
    const srv = await ScriptedServer.start(() => ok);
    const r = await runLoad(options(srv.port, { concurrency: 6, count: 60, connections: 2, workers: 2 }));
    assert.deepEqual(srv.cers.map((c) => strOf(c, 264)).sort(), ['load-1.localdomain', 'load-2.localdomain']);
    assert.equal(r.run.workers, 2);
    assert.equal(r.cpu.threadBusy.length, 2);
    assert.equal(r.requests.sent, 120);
    assert.equal(r.resultCodes['2001'], 120);
    assert.equal(srv.bySession().size, 60);
    // RFC 6733 §8.8: each Session-Id starts with the Origin-Host of the connection that carried it.
    for (const a of srv.acrs)
      assert.ok(a.sessionId.startsWith(`${strOf(srv.cerOf[a.conn]!, 264)!};`), a.sessionId);
  });

  test('every connection of a run gives one Origin-State-Id: the run’s start, as in its Session-Ids', async () => {
    // A CDF takes a higher Origin-State-Id from an Origin-Host for a restart and closes its sessions
    // (accounting-rf.md §5.5): connections sharing a host must not differ because they connected a second apart.
    const srv = await ScriptedServer.start(() => ok);
    // The clock moves a second on after the run reads its start, so connections made "later" would differ.
    const realNow = Date.now;
    let first = true;
    Date.now = () => (first ? ((first = false), realNow()) : realNow() + 1000);
    try {
      await runLoad(options(srv.port, { concurrency: 4, count: 8, connections: 4, sameOriginHost: true }));
    } finally {
      Date.now = realNow;
    }
    const ids = srv.cers.map((c) => u32Of(c, 278));
    assert.equal(ids.length, 4);
    assert.equal(new Set(ids).size, 1, `one value for all: ${ids.join(', ')}`);
    const high = Number(srv.acrs[0]!.sessionId.split(';')[1]);
    assert.equal(ids[0], high, 'the Session-Ids’ high part (RFC 6733 §8.8)');
  });
});
