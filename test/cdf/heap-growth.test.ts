/**
 * src/cdf/heap-growth.ts: the growth cap is in force only while the live heap is large, and the V8 flag is
 * set only when that changes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeapGrowthLimit, LARGE_HEAP_BYTES } from '../../src/cdf/heap-growth.js';

test('caps growth above the large-heap line, gives it back to V8 below', () => {
  let used = 60 * 1024 * 1024;
  const flags: string[] = [];
  const g = new HeapGrowthLimit({ percent: 20, used: () => used, setFlag: (f) => flags.push(f) });
  g.check();
  assert.deepEqual(flags, [], 'a small heap: V8 decides, nothing set');
  used = LARGE_HEAP_BYTES + 1;
  g.check();
  g.check();
  assert.deepEqual(flags, ['--heap-growing-percent=20'], 'set once on crossing');
  assert.equal(g.capped, true);
  used = LARGE_HEAP_BYTES - 1;
  g.check();
  assert.deepEqual(flags, ['--heap-growing-percent=20', '--heap-growing-percent=0']);
  assert.equal(g.capped, false);
});

test('percent 0 never touches the flag; a bad percent is refused', () => {
  const flags: string[] = [];
  const g = new HeapGrowthLimit({ percent: 0, used: () => 4 * LARGE_HEAP_BYTES, setFlag: (f) => flags.push(f) });
  g.check();
  assert.deepEqual(flags, []);
  assert.throws(() => new HeapGrowthLimit({ percent: -1 }), /whole percent/);
  assert.throws(() => new HeapGrowthLimit({ percent: 2.5 }), /whole percent/);
});
