/**
 * src/cdf/idle-reclaim.ts: one memory-giving collection per quiet period after traffic, none while traffic
 * flows or when there is little to give back; and the real collection does free an emptied heap.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import v8 from 'node:v8';
import { IdleReclaim, fullCollection } from '../../src/cdf/idle-reclaim.js';

const MiB = 1024 * 1024;

/** A fake heap: each collection gives back `freesMiB` of committed memory (not below what is used). */
function harness(slackMiB = 64, freesMiB = 64) {
  let acrs = 0;
  let collected = 0;
  const heap = { committed: 200 * MiB, used: (200 - slackMiB) * MiB, young: 1 * MiB };
  const r = new IdleReclaim({
    idleMs: 1000,
    activity: () => acrs,
    collect: () => {
      collected++;
      heap.committed = Math.max(heap.used, heap.committed - freesMiB * MiB);
    },
    heap: () => heap,
    trim: () => undefined,
  });
  r.start();
  r.stop(); // ticks are driven by hand
  return { r, traffic: (n = 1) => (acrs += n), collected: () => collected, heap };
}

test('collects once when traffic stops, not while it flows, and again after the next busy spell', () => {
  const h = harness();
  h.r.tick();
  assert.equal(h.collected(), 0, 'no traffic yet: nothing to give back');
  for (let i = 0; i < 5; i++) {
    h.traffic(100);
    h.r.tick();
  }
  assert.equal(h.collected(), 0, 'never while ACRs keep arriving');
  h.r.tick();
  assert.equal(h.collected(), 1, 'the first quiet interval after a busy one');
  h.r.tick();
  h.r.tick();
  assert.equal(h.collected(), 1, 'once per quiet period');
  h.traffic();
  h.heap.committed += 64 * MiB;
  h.r.tick();
  h.r.tick();
  assert.equal(h.collected(), 2, 'a new busy spell, a new quiet period');
  assert.equal(h.r.reclaims, 2);
});

test('collects again at the next quiet ticks while that still gives back a good deal', () => {
  const h = harness(64, 20);
  h.traffic();
  h.r.tick();
  h.r.tick();
  h.r.tick();
  h.r.tick();
  h.r.tick();
  // 64 MiB of slack, 20 MiB back per collection: 64 -> 44 -> 24 -> 4 (below 16: stop).
  assert.equal(h.collected(), 3);
  h.r.tick();
  assert.equal(h.collected(), 3, 'then not until traffic comes back');
});

test('tries again, a few times, while the young generation has not shrunk yet', () => {
  // V8 keeps its grown young generation until its allocation-rate estimate is low: the first collections
  // give back nothing; the fourth shrinks it.
  const acrs = 1;
  let collected = 0;
  const heap = { committed: 200 * MiB, used: 60 * MiB, young: 128 * MiB };
  const r = new IdleReclaim({
    idleMs: 1000,
    activity: () => acrs,
    collect: () => {
      if (++collected === 4) {
        heap.committed -= 126 * MiB;
        heap.young = 2 * MiB;
      }
    },
    heap: () => heap,
    trim: () => undefined,
    minor: () => undefined,
  });
  r.tick(); // sees the traffic
  for (let i = 0; i < 3; i++) r.tick();
  assert.equal(collected, 3, 'nothing given back yet, the young generation still grown: again');
  r.tick();
  assert.equal(collected, 4, 'the collection that shrinks it');
  r.tick();
  r.tick();
  assert.equal(collected, 4, 'then done until traffic comes back');

  // It never shrinks: at most a handful of tries per quiet period.
  const stuck = harness(140, 0);
  stuck.heap.young = 128 * MiB;
  stuck.traffic();
  for (let i = 0; i < 20; i++) stuck.r.tick();
  assert.equal(stuck.collected(), 7, 'the first collection and six more tries');
  stuck.traffic();
  for (let i = 0; i < 20; i++) stuck.r.tick();
  assert.equal(stuck.collected(), 14, 'a new quiet period tries again as often');
});

/** Awaits a follow-up whose timers are unref'd (so they never keep a server alive): hold the loop open. */
async function settled(r: IdleReclaim): Promise<void> {
  const hold = setInterval(() => undefined, 1000);
  try {
    await r.youngFollowUp();
  } finally {
    clearInterval(hold);
  }
}

test('follows a reclaim that left the young generation grown with spaced-out minor collections', async () => {
  let acrs = 1;
  let minors = 0;
  let shrinkAt = 3;
  const heap = { committed: 200 * MiB, used: 60 * MiB, young: 128 * MiB };
  const r = new IdleReclaim({
    idleMs: 1000,
    activity: () => acrs,
    collect: () => undefined,
    minor: () => {
      if (++minors === shrinkAt) {
        heap.young = 1 * MiB;
        heap.committed -= 127 * MiB;
      }
    },
    youngStepMs: 1,
    heap: () => heap,
    trim: () => undefined,
  });
  r.tick(); // sees the traffic
  r.tick(); // quiet: reclaim; the young generation is still grown
  assert.equal(minors, 0, 'the follow-up runs on its own timer, not inside the tick');
  await settled(r);
  assert.equal(minors, 3, 'minor collections until the young generation shrank, then no more');
  r.tick();
  assert.equal(r.reclaims, 1, 'nothing left to give back: the quiet period is over');

  // Traffic comes back while the follow-up runs: it stops at once.
  heap.young = 128 * MiB;
  heap.committed += 127 * MiB;
  shrinkAt = Infinity;
  minors = 0;
  acrs++;
  r.tick(); // sees the traffic
  r.tick(); // reclaim, follow-up starts
  acrs++;
  await settled(r);
  assert.equal(minors, 0, 'no minor collection once ACRs arrive again');

  // It never shrinks: a bounded number of minor collections.
  r.tick(); // sees the traffic
  r.tick(); // reclaim
  await settled(r);
  assert.equal(minors, 12);
  r.stop();
});

test('V8 does shrink a grown young generation within the first reclaim (64 MB semi-space, as the server runs)', () => {
  // A child process: the semi-space size is fixed at start-up. It grows the young generation with a
  // burst, then drives one quiet period of the real IdleReclaim and prints the young generation's size.
  const code = `
    import v8 from 'node:v8';
    import { IdleReclaim } from ${JSON.stringify(new URL('../../src/cdf/idle-reclaim.ts', import.meta.url).href)};
    const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    let keep = [];
    for (let i = 0; i < 3_000_000; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 200_000) keep = keep.slice(100_000); }
    keep = undefined;
    const grown = young();
    let acrs = 0;
    const r = new IdleReclaim({ idleMs: 1000, activity: () => acrs });
    acrs++;
    r.tick();
    r.tick();
    const hold = setInterval(() => undefined, 1000);
    await r.youngFollowUp();
    clearInterval(hold);
    console.log(JSON.stringify({ grown, after: young(), reclaims: r.reclaims }));
  `;
  const out = execFileSync(process.execPath, ['--max-semi-space-size=64', '--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
  const { grown, after, reclaims } = JSON.parse(out.trim().split('\n').pop()!) as { grown: number; after: number; reclaims: number };
  assert.ok(grown >= 64 * MiB, `the burst grew the young generation (${grown / MiB} MiB)`);
  assert.equal(reclaims, 1);
  assert.ok(after < 16 * MiB, `shrunk after the first reclaim's follow-up: ${grown / MiB} -> ${after / MiB} MiB`);
});

test('skips the collection when the heap holds little it does not use', () => {
  const h = harness(8);
  h.traffic();
  h.r.tick();
  h.r.tick();
  assert.equal(h.collected(), 0, '8 MiB of slack is not worth a full collection');
});

test('refuses an interval that is not positive', () => {
  assert.throws(() => new IdleReclaim({ idleMs: 0, activity: () => 0 }), /positive interval/);
});

test('the real collection frees the heap a burst left behind', () => {
  // A burst's garbage: ~64 MiB promoted to the old generation, then dropped.
  let keep: number[][] | undefined = [];
  for (let i = 0; i < 4096; i++) keep.push(new Array(2048).fill(i));
  const grown = v8.getHeapStatistics().total_heap_size;
  keep = undefined;
  fullCollection();
  const after = v8.getHeapStatistics().total_heap_size;
  assert.equal(keep, undefined);
  assert.ok(grown - after > 32 * MiB, `heap ${Math.round(grown / MiB)} MiB -> ${Math.round(after / MiB)} MiB`);
});

test('the real collection also compacts an old generation left sparse (one object in ten kept)', () => {
  const oldSpace = () => v8.getHeapSpaceStatistics().find((sp) => sp.space_name === 'old_space')!;
  let all: { i: number; s: string }[] | undefined = [];
  for (let i = 0; i < 2_000_000; i++) all.push({ i, s: `k${i}` });
  // Promoted by now; keep one in ten, scattered over every page they fill.
  const kept = all.filter((_, i) => i % 10 === 0);
  all = undefined;
  fullCollection();
  const o = oldSpace();
  assert.equal(kept.length, 200_000);
  assert.equal(all, undefined);
  // Without compaction the emptied-but-not-empty pages stay committed: ~86 MB for ~15 MB used (measured).
  assert.ok(o.space_size < o.space_used_size * 1.5 + 4 * MiB, `old space ${Math.round(o.space_size / MiB)} MiB committed for ${Math.round(o.space_used_size / MiB)} MiB used`);
});

