/**
 * src/cdf/c-heap.ts: on Linux with glibc the CDF can hand the C heap's free pages back (malloc_trim via
 * koffi), and doing so does shrink the process after memory freed in the middle of the heap.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { canTrimCHeap, trimCHeap } from '../../src/cdf/c-heap.js';
import { fullCollection } from '../../src/cdf/idle-reclaim.js';

const glibc = process.platform === 'linux' && Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);

function rssMiB(): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
}

test('returns memory freed in the middle of the C heap', { skip: glibc ? false : 'not Linux with glibc: nothing to trim' }, () => {
  assert.equal(canTrimCHeap(), true, 'koffi and glibc are here, so malloc_trim must be reachable');
  // ~120 MB of C heap (Buffers of 60 KB are malloc'd below glibc's mmap threshold), with a small Buffer
  // kept every 50, so that what is freed sits between live blocks: free() cannot give it back.
  let big: Buffer[] | undefined = [];
  const pins: Buffer[] = [];
  for (let i = 0; i < 2000; i++) {
    big.push(Buffer.alloc(60_000, 1));
    if (i % 50 === 0) pins.push(Buffer.alloc(5000, 1));
  }
  big = undefined;
  fullCollection();
  const before = rssMiB();
  trimCHeap();
  const after = rssMiB();
  assert.equal(pins.length, 40);
  assert.ok(before - after > 40, `RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MiB`);
});
