/**
 * src/cdf/wal-checkpointer.ts: the worker that checkpoints the SQLite WAL. Its failure must cost nothing
 * but the checkpoints: no crash, and stop() (from SqliteStore.close()) still returns.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WalCheckpointer } from '../../src/cdf/wal-checkpointer.js';

test('a worker that failed (no such database) is stopped at once, and did not take the process down', async () => {
  const w = new WalCheckpointer('/nonexistent-diamkit-dir/cdr.db', 20);
  // Long enough for the worker to start, fail to open the file and exit.
  await new Promise((r) => setTimeout(r, 500));
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('stop() did not return')), 5000);
  });
  try {
    await Promise.race([w.stop(), hung]);
  } finally {
    clearTimeout(timer);
  }
  assert.ok(Date.now() - t0 < 1000, `stop() took ${Date.now() - t0} ms`);
  assert.equal(await w.stop(), undefined, 'and again: the same settled promise');
});
