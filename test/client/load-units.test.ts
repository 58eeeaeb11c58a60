/**
 * The load generator's small parts: option parsing, the random distributions, the timer heap, reading a
 * Result-Code and Acct-Interim-Interval from answer octets (the shared spec vectors, made by an
 * independent implementation), and the report's arithmetic.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  NO_INTERIM_INTERVAL,
  NO_RESULT_CODE,
  readInterimInterval,
  readResultCode,
} from '../../src/client/load/answer-reader.js';
import {
  connectionOriginHost,
  LoadOptionError,
  parseDurationMs,
  parseHolding,
  parsePeer,
} from '../../src/client/load/options.js';
import { drawHoldingMs, exponential, seededUniform } from '../../src/client/load/random.js';
import { ProgressPrinter } from '../../src/client/load/progress.js';
import { buildReport, formatReport, summarise } from '../../src/client/load/report.js';
import { splitShares } from '../../src/client/load/run-load.js';
import { LoadStats, mergeSnapshots, newHistogram } from '../../src/client/load/stats.js';
import { TimerHeap } from '../../src/client/load/timer-heap.js';
import type { LoadOptions } from '../../src/client/load/options.js';
import { avp, grouped, message } from '../helpers/raw-peer.js';
import { loadVector } from '../helpers/vectors.js';

describe('options', () => {
  test('peer, durations, holding times', () => {
    assert.deepEqual(parsePeer('127.0.0.1:3868'), { host: '127.0.0.1', port: 3868 });
    assert.deepEqual(parsePeer('[::1]:3869'), { host: '::1', port: 3869 });
    assert.throws(() => parsePeer('localhost'), LoadOptionError);
    assert.throws(() => parsePeer('h:70000'), LoadOptionError);
    assert.equal(parseDurationMs('10', '--d'), 10_000);
    assert.equal(parseDurationMs('2.5s', '--d'), 2_500);
    assert.equal(parseDurationMs('250ms', '--d'), 250);
    assert.equal(parseDurationMs('2m', '--d'), 120_000);
    assert.throws(() => parseDurationMs('ten', '--duration'), /--duration/);
    assert.deepEqual(parseHolding('0'), { kind: 'fixed', seconds: 0 });
    assert.deepEqual(parseHolding('30s'), { kind: 'fixed', seconds: 30 });
    assert.deepEqual(parseHolding('fixed:500ms'), { kind: 'fixed', seconds: 0.5 });
    assert.deepEqual(parseHolding('uniform:10,60'), { kind: 'uniform', min: 10, max: 60 });
    assert.deepEqual(parseHolding('exp:30'), { kind: 'exponential', mean: 30 });
    assert.throws(() => parseHolding('uniform:60,10'), /MIN must not exceed MAX/);
    assert.throws(() => parseHolding('exp:0'), LoadOptionError);
    assert.throws(() => parseHolding('normal:3'), /--holding/);
  });

  test('Origin-Host per connection', () => {
    assert.equal(connectionOriginHost('load.localdomain', 0, 1, false), 'load.localdomain');
    assert.equal(connectionOriginHost('load.localdomain', 0, 3, false), 'load-1.localdomain');
    assert.equal(connectionOriginHost('load.localdomain', 2, 3, false), 'load-3.localdomain');
    assert.equal(connectionOriginHost('ctf', 1, 2, false), 'ctf-2');
    assert.equal(connectionOriginHost('load.localdomain', 2, 3, true), 'load.localdomain');
  });

  test('threads share connections, rate, sessions in flight and count; session numbers never collide', () => {
    const opts = {
      workers: 3,
      connections: 7,
      rate: 300,
      concurrency: 10,
      count: 100,
      seed: 5,
    } as LoadOptions;
    const shares = splitShares(opts, 1700000000, 1000);
    assert.deepEqual(
      shares.map((s) => s.connectionIndexes),
      [
        [0, 3, 6],
        [1, 4],
        [2, 5],
      ],
    );
    assert.deepEqual(
      shares.map((s) => s.concurrency),
      [4, 3, 3],
    );
    assert.deepEqual(
      shares.map((s) => s.count),
      [34, 33, 33],
    );
    assert.deepEqual(
      shares.map((s) => s.rate),
      [100, 100, 100],
    );
    const numbers = new Set<number>();
    for (const s of shares)
      for (let k = 0; k < 50; k++) numbers.add(s.sessionNumberStart + k * s.sessionNumberStep);
    assert.equal(numbers.size, 150);
    assert.equal(new Set(shares.map((s) => s.seed)).size, 3);
  });
});

describe('random', () => {
  test('a seed repeats the sequence; another seed does not', () => {
    const a = seededUniform(7);
    const b = seededUniform(7);
    const c = seededUniform(8);
    const xs = Array.from({ length: 5 }, () => a());
    assert.deepEqual(
      Array.from({ length: 5 }, () => b()),
      xs,
    );
    assert.notDeepEqual(
      Array.from({ length: 5 }, () => c()),
      xs,
    );
    for (const x of xs) assert.ok(x >= 0 && x < 1);
  });

  test('exponential gaps: mean and the share above the mean match the distribution', () => {
    const u = seededUniform(1);
    const n = 40_000;
    let sum = 0;
    let above = 0;
    for (let i = 0; i < n; i++) {
      const x = exponential(u, 20);
      sum += x;
      if (x > 20) above++;
    }
    assert.ok(Math.abs(sum / n - 20) < 0.4, `mean ${sum / n}`);
    // P(X > mean) = e^-1 ≈ 0.368
    assert.ok(Math.abs(above / n - Math.exp(-1)) < 0.01, `share ${above / n}`);
  });

  test('holding times stay in their distribution', () => {
    const u = seededUniform(3);
    for (let i = 0; i < 2000; i++) {
      const x = drawHoldingMs({ kind: 'uniform', min: 10, max: 60 }, u);
      assert.ok(x >= 10_000 && x <= 60_000);
    }
    assert.equal(drawHoldingMs({ kind: 'fixed', seconds: 1.5 }, u), 1500);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += drawHoldingMs({ kind: 'exponential', mean: 2 }, u);
    assert.ok(Math.abs(sum / 20_000 - 2000) < 60, `mean ${sum / 20_000}`);
  });
});

test('the timer heap pops in time order', () => {
  const h = new TimerHeap<number>();
  const u = seededUniform(11);
  const times = Array.from({ length: 500 }, () => Math.floor(u() * 1000));
  times.forEach((t, i) => h.push(i, t));
  assert.equal(h.size, 500);
  const popped: number[] = [];
  while (h.size) {
    const t = h.peekTime();
    popped.push(t);
    assert.equal(times[h.pop()], t);
  }
  assert.deepEqual(
    popped,
    [...times].sort((a, b) => a - b),
  );
  assert.equal(h.peekTime(), Infinity);
});

describe('reading the Result-Code of an answer', () => {
  // Expected codes as test-vectors.md gives them.
  for (const [name, rc] of [
    ['06-aca-start', 2001],
    ['02-cea', 2001],
    ['10-aca-5005-failed-avp', 5005],
    ['09-error-3001-ebit', 3001],
    ['12-error-5012-ebit-failed-avp', 5012],
  ] as const) {
    test(`${name}: ${rc}`, () => {
      const b = Buffer.from(loadVector(name).bytes);
      assert.equal(readResultCode(b, 0, b.length), rc);
      // At an offset inside a larger buffer (a read holding several answers).
      const padded = Buffer.concat([Buffer.alloc(12, 0xff), b, Buffer.alloc(8, 0xff)]);
      assert.equal(readResultCode(padded, 12, b.length), rc);
    });
  }

  test('Experimental-Result-Code when there is no Result-Code; none at all → 0', () => {
    const exp = message({ flags: 0, command: 271, appId: 3, hbh: 1, e2e: 1 }, [
      avp(263, 'a;1;1'),
      avp(999, Buffer.alloc(4), { vendorId: 10415 }),
      grouped(297, [avp(266, 10415), avp(298, 5030)]),
    ]);
    assert.equal(readResultCode(exp, 0, exp.length), 5030);
    const none = message({ flags: 0, command: 271, appId: 3, hbh: 1, e2e: 1 }, [avp(263, 'a;1;1')]);
    assert.equal(readResultCode(none, 0, none.length), NO_RESULT_CODE);
    // A vendor Result-Code (code 268 of another vendor) is not the base one.
    const vendor = message({ flags: 0, command: 271, appId: 3, hbh: 1, e2e: 1 }, [
      avp(268, 9999, { vendorId: 10415 }),
      avp(268, 2001),
    ]);
    assert.equal(readResultCode(vendor, 0, vendor.length), 2001);
  });

  test('an AVP length that overruns the message ends the walk', () => {
    const m = message({ flags: 0, command: 271, appId: 3, hbh: 1, e2e: 1 }, [
      avp(263, 'abcd'),
      avp(268, 2001),
    ]);
    m.writeUInt32BE(0x40000000 | 200, 24); // Session-Id length 200 > message
    assert.equal(readResultCode(m, 0, m.length), NO_RESULT_CODE);
  });
});

describe('reading the Acct-Interim-Interval of an answer (--follow-interim)', () => {
  test('06-aca-start: 300 s, its last AVP (after the Result-Code); answers without one', () => {
    const b = Buffer.from(loadVector('06-aca-start').bytes);
    assert.equal(readInterimInterval(b, 0, b.length), 300);
    const padded = Buffer.concat([Buffer.alloc(12, 0xff), b, Buffer.alloc(8, 0xff)]);
    assert.equal(readInterimInterval(padded, 12, b.length), 300);
    for (const name of ['10-aca-5005-failed-avp', '02-cea']) {
      const v = Buffer.from(loadVector(name).bytes);
      assert.equal(readInterimInterval(v, 0, v.length), NO_INTERIM_INTERVAL, name);
    }
  });

  test('0 is a value; a vendor AVP 85, a malformed one or one past the message end is not the base AVP', () => {
    const aca = (avps: Buffer[]) => message({ flags: 0, command: 271, appId: 3, hbh: 1, e2e: 1 }, avps);
    const zero = aca([avp(263, 'a;1;1'), avp(268, 2001), avp(85, 0)]);
    assert.equal(readInterimInterval(zero, 0, zero.length), 0);
    const vendor = aca([avp(85, 7, { vendorId: 10415 }), avp(268, 2001), avp(85, 60)]);
    assert.equal(readInterimInterval(vendor, 0, vendor.length), 60);
    const short = aca([avp(85, Buffer.from([0, 0, 1])), avp(268, 2001)]);
    assert.equal(readInterimInterval(short, 0, short.length), NO_INTERIM_INTERVAL);
    const overrun = aca([avp(263, 'abcd'), avp(85, 60)]);
    overrun.writeUInt32BE(0x40000000 | 200, 24); // Session-Id length 200 > message
    assert.equal(readInterimInterval(overrun, 0, overrun.length), NO_INTERIM_INTERVAL);
  });
});

describe('stats and report', () => {
  test('percentiles from the histogram, in milliseconds', () => {
    const h = newHistogram();
    for (let us = 1; us <= 1000; us++) h.record(us * 10); // 10 µs … 10 ms, uniform
    const s = summarise(h);
    assert.equal(s.count, 1000);
    assert.ok(Math.abs(s.p50 - 5) < 0.01, `p50 ${s.p50}`);
    assert.ok(Math.abs(s.p90 - 9) < 0.01, `p90 ${s.p90}`);
    assert.ok(Math.abs(s.p99 - 9.9) < 0.01, `p99 ${s.p99}`);
    assert.ok(Math.abs(s.max - 10) < 0.01, `max ${s.max}`);
  });

  test('snapshots of several threads add up', () => {
    const a = new LoadStats();
    const b = new LoadStats();
    a.sent = 10;
    a.answered = 9;
    a.timeouts = 1;
    a.countResult(2001);
    a.countResult(5012);
    a.latency.record(100);
    b.sent = 5;
    b.answered = 5;
    b.countResult(2001);
    b.countResult(2001);
    b.countResult(4002);
    b.latency.record(300);
    b.latency.record(500);
    a.sentByType[2] = 6;
    b.sentByType[2] = 1;
    const m = mergeSnapshots([
      a.snapshot({ inFlight: 1, sessionsOpen: 2, lateAnswers: 0 }),
      b.snapshot({ inFlight: 3, sessionsOpen: 1, lateAnswers: 4 }),
    ]);
    assert.equal(m.sent, 15);
    assert.equal(m.answered, 14);
    assert.equal(m.timeouts, 1);
    assert.equal(m.inFlight, 4);
    assert.equal(m.sessionsOpen, 3);
    assert.equal(m.lateAnswers, 4);
    assert.equal(m.sentByType[2], 7);
    assert.deepEqual(m.resultCodes, [
      [2001, 3],
      [4002, 1],
      [5012, 1],
    ]);
    assert.equal(m.latency.count, 3);
    assert.equal(m.latency.max, 500);
  });

  test('--follow-interim: sessions that adopted a server interval and the values add up; shown only with the flag', () => {
    const a = new LoadStats();
    const b = new LoadStats();
    a.sessionsFollowing = 2;
    a.countServerInterim(60);
    a.countServerInterim(60);
    a.countServerInterim(0);
    b.sessionsFollowing = 1;
    b.countServerInterim(60);
    b.countServerInterim(5);
    const m = mergeSnapshots([
      a.snapshot({ inFlight: 0, sessionsOpen: 0, lateAnswers: 0 }),
      b.snapshot({ inFlight: 0, sessionsOpen: 0, lateAnswers: 0 }),
    ]);
    assert.equal(m.sessionsFollowing, 3);
    assert.deepEqual(m.serverInterims, [
      [0, 1],
      [5, 1],
      [60, 3],
    ]);
    const opts = {
      host: '127.0.0.1',
      port: 1,
      mode: 'closed',
      concurrency: 5,
      rate: 0,
      holding: { kind: 'fixed', seconds: 30 },
      interimSeconds: 10,
      event: false,
      template: { name: 'ims', messages: {} },
      connections: 1,
      workers: 1,
      warmupMs: 0,
      timeoutMs: 1000,
    } as unknown as LoadOptions;
    const input = {
      snapshot: m,
      measuredMs: 1000,
      cpu: { user: 0, system: 0 },
      threadBusy: [0.1],
      errors: [],
      notes: [],
    };
    const on = buildReport({ ...input, opts: { ...opts, followInterim: true } });
    assert.equal(on.run.followInterim, true);
    assert.deepEqual(on.serverInterim, { sessions: 3, answers: 5, bySeconds: { '0': 1, '5': 1, '60': 3 } });
    const text = formatReport(on);
    assert.match(text, /interim every 10 s or as the server's ACA says/);
    assert.match(
      text,
      /^ {2}interim {4}3 sessions took the server's Acct-Interim-Interval: 0 s \(no more INTERIMs\) in 1 answer, 5 s in 1 answer, 60 s in 3 answers$/m,
    );
    const off = buildReport({ ...input, opts });
    assert.equal(off.run.followInterim, false);
    assert.equal(off.serverInterim, undefined);
    assert.doesNotMatch(formatReport(off), /Acct-Interim-Interval|server's ACA/);
    // The flag on, but no answer carried the AVP: the report says so.
    const none = mergeSnapshots([new LoadStats().snapshot({ inFlight: 0, sessionsOpen: 0, lateAnswers: 0 })]);
    const quiet = buildReport({ ...input, snapshot: none, opts: { ...opts, followInterim: true } });
    assert.deepEqual(quiet.serverInterim, { sessions: 0, answers: 0, bySeconds: {} });
    assert.match(
      formatReport(quiet),
      /no answer carried Acct-Interim-Interval: every session kept --interim/,
    );
  });

  test('throughput and CPU per pair come from the measured time; a saturated single thread is called out', () => {
    const st = new LoadStats();
    st.answered = 2000;
    st.sent = 2000;
    st.sessionsEnded = 1000;
    st.countResult(2001);
    const opts = {
      host: '127.0.0.1',
      port: 1,
      mode: 'closed',
      concurrency: 5,
      rate: 0,
      holding: { kind: 'fixed', seconds: 0 },
      interimSeconds: 0,
      event: false,
      template: { name: 'ims', messages: {} },
      connections: 1,
      workers: 1,
      warmupMs: 0,
      timeoutMs: 1000,
    } as unknown as LoadOptions;
    const r = buildReport({
      opts,
      snapshot: st.snapshot({ inFlight: 0, sessionsOpen: 0, lateAnswers: 0 }),
      measuredMs: 4000,
      cpu: { user: 3000, system: 1000 },
      threadBusy: [0.95],
      errors: [],
      notes: [],
    });
    assert.equal(r.throughput.answersPerSecond, 500);
    assert.equal(r.throughput.sessionsPerSecond, 250);
    assert.equal(r.cpu.microsPerAnswer, 2);
    assert.ok(r.notes.some((n) => /one core was the limit/.test(n)));
    const quiet = buildReport({
      opts,
      snapshot: st.snapshot({ inFlight: 0, sessionsOpen: 0, lateAnswers: 0 }),
      measuredMs: 4000,
      cpu: { user: 0, system: 0 },
      threadBusy: [0.2],
      errors: [],
      notes: [],
    });
    assert.ok(!quiet.notes.some((n) => /one core/.test(n)));
  });
});

describe('progress', () => {
  function sink(): { out: NodeJS.WritableStream; text: () => string } {
    let text = '';
    return {
      out: { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream,
      text: () => text,
    };
  }
  function sample(elapsedMs: number, answered: number, warmingUp = false) {
    const st = new LoadStats();
    st.answered = answered;
    for (let i = 0; i < answered; i++) st.countResult(i % 10 === 0 ? 5012 : 2001);
    st.latency.record(2000);
    return { elapsedMs, warmingUp, snapshot: st.snapshot({ inFlight: 7, sessionsOpen: 3, lateAnswers: 0 }) };
  }

  test('not a terminal: one plain line per update with rate, in flight, codes and p99', () => {
    const s = sink();
    const p = new ProgressPrinter(s.out, false);
    p.update(sample(1000, 100, true));
    p.update(sample(2000, 400));
    p.done();
    const lines = s.text().split('\n').filter(Boolean);
    assert.equal(lines.length, 2);
    assert.match(
      lines[0]!,
      /^\s+1\.0s warm-up {2}100 answers\/s {2}in flight 7 \(3 sessions\) {2}answers 2001:90 5012:10 {2}timeouts 0 {2}p99 2\.00 ms$/,
    );
    assert.match(lines[1]!, /^\s+2\.0s {2}300 answers\/s/);
    assert.doesNotMatch(s.text(), /\x1b/);
  });

  test('a terminal: the line is rewritten in place and cleared at the end', () => {
    const s = sink();
    const p = new ProgressPrinter(s.out, true);
    p.update(sample(1000, 10));
    p.update(sample(2000, 20));
    p.done();
    assert.equal(s.text().split('\r\x1b[2K').length - 1, 3);
    assert.ok(!s.text().includes('\n'));
    assert.ok(s.text().endsWith('\r\x1b[2K'));
  });
});
