/**
 * LogRateLimit (src/cli/log-rate-limit.ts) on a hand-driven clock: at most N lines a window, a window
 * opening with its first line, one summary per window that held lines back (counted by key), due at the
 * window's end even when nothing else comes, and none for a window that held nothing back.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LogRateLimit } from '../../src/cli/log-rate-limit.js';
import { ManualClock } from '../node/manual-clock.js';

function limiter(perWindow = 3) {
  const clock = new ManualClock();
  const summaries: { at: number; count: number; byKey: Record<string, number> }[] = [];
  const limit = new LogRateLimit({
    perWindow,
    windowMs: 1000,
    clock,
    onSuppressed: (count, byKey) =>
      summaries.push({ at: clock.now(), count, byKey: Object.fromEntries(byKey) }),
  });
  return { clock, limit, summaries };
}

describe('LogRateLimit', () => {
  test('lets the first N of a window through and counts the rest by key; the summary comes at the window end', () => {
    const { clock, limit, summaries } = limiter(3);
    const keys = [5005, 5005, 5012, 5005, 5012, 5005, 3007];
    assert.deepEqual(
      keys.map((k) => limit.take(k)),
      [true, true, true, false, false, false, false],
    );
    clock.advance(999);
    assert.deepEqual(summaries, [], 'not before the window ends');
    clock.advance(1);
    assert.deepEqual(summaries, [{ at: 1000, count: 4, byKey: { 5005: 2, 5012: 1, 3007: 1 } }]);
    clock.advance(5000);
    assert.equal(summaries.length, 1, 'one summary per window');
  });

  test('a window that held nothing back has no summary; the next window opens with its first line', () => {
    const { clock, limit, summaries } = limiter(3);
    clock.advance(123);
    assert.equal(limit.take('a'), true);
    assert.equal(limit.take('a'), true);
    clock.advance(5000);
    assert.deepEqual(summaries, []);
    // A new window from t = 5123: three lines, then held back until 6123.
    assert.deepEqual(
      [limit.take('b'), limit.take('b'), limit.take('b'), limit.take('b')],
      [true, true, true, false],
    );
    clock.advance(999);
    assert.equal(limit.take('b'), false, 'still the same window');
    clock.advance(1);
    assert.deepEqual(summaries, [{ at: 6123, count: 2, byKey: { b: 2 } }]);
    assert.equal(limit.take('b'), true, 'a fresh window after the summary');
  });

  test('a steady flood: N lines and one summary each window, every line counted once', () => {
    const { clock, limit, summaries } = limiter(10);
    let passed = 0;
    for (let ms = 0; ms < 5000; ms++) {
      if (limit.take('anomaly')) passed++;
      if (limit.take('anomaly')) passed++;
      clock.advance(1);
    }
    limit.flush();
    assert.equal(passed, 50, '10 lines in each of 5 windows');
    assert.equal(summaries.length, 5);
    assert.equal(passed + summaries.reduce((n, s) => n + s.count, 0), 10_000);
    assert.ok(summaries.every((s) => s.count === 1990 && s.byKey.anomaly === 1990));
  });

  test('a line that finds its window over closes it first (a late timer): the summary, then a new window', () => {
    // A clock whose timers never fire: only take() and flush() can close a window.
    const { clock, limit, summaries } = limiter(1);
    clock.setTimeout = () => undefined;
    assert.deepEqual([limit.take(1), limit.take(2)], [true, false]);
    clock.advance(1500);
    assert.deepEqual(summaries, []);
    assert.equal(limit.take(3), true);
    assert.deepEqual(summaries, [{ at: 1500, count: 1, byKey: { 2: 1 } }]);
  });

  test('flush() writes what is due now (shutdown) and cancels its timer', () => {
    const { clock, limit, summaries } = limiter(1);
    limit.take('x');
    limit.take('x');
    clock.advance(10);
    limit.flush();
    assert.deepEqual(summaries, [{ at: 10, count: 1, byKey: { x: 1 } }]);
    // The next window (from t = 500) ends at 1500: the cancelled timer (due at 1000) must not end it early.
    clock.advance(490);
    assert.deepEqual([limit.take('y'), limit.take('y')], [true, false]);
    clock.advance(999);
    assert.equal(summaries.length, 1, 'the cancelled timer does not report');
    clock.advance(1);
    assert.deepEqual(summaries[1], { at: 1500, count: 1, byKey: { y: 1 } });
    limit.flush();
    assert.equal(summaries.length, 2, 'nothing held back: no summary');
  });
});
