/**
 * Gives memory back once a burst of traffic is over.
 *
 * While a CDF closes sessions by the thousand, V8 grows its young generation (to 2 × 64 MiB with the semi-space
 * the server is started with, src/cli/main.ts) and leaves the
 * old generation's emptied pages committed; it does not shrink either on its own while the process then
 * sits idle, so a server that answered a burst of 300,000 STOPs kept ~95 MiB of heap it no longer used
 * (measured: new space 32 MiB committed and empty, old space 67 MiB for 40 MiB live; docs/perf.md,
 * "memory"). A test tool is idle between runs far more than it is busy: when ACRs have stopped arriving
 * for a whole interval after a busy one, and the heap holds noticeably more than it uses, full
 * collections (which compact the old generation) and a minor one (after which V8 shrinks the young
 * generation) return it; then what the store can free, and the C heap's free pages (src/cdf/c-heap.ts). It
 * runs in quiet periods only, never while traffic flows, so no ACR waits for
 * it; its pause is the heap's live size at a full collection's pace (~10–20 ms for 40–60 MB live).
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { trimCHeap } from './c-heap.js';

export const DEFAULT_IDLE_RECLAIM_SECONDS = 5;

/** Below this much committed-but-unused heap there is nothing worth a full collection. */
const MIN_SLACK_BYTES = 16 * 1024 * 1024;

/**
 * V8 shrinks its young generation after a collection only once its estimate of the allocation rate, taken
 * over the last few seconds, is low (and not zero); the first quiet tick can come too soon. While the young
 * generation is still this large, the reclaim tries again at the next quiet ticks, at most MAX_YOUNG_RETRIES
 * times in one quiet period.
 */
const YOUNG_SHRUNK_BYTES = 16 * 1024 * 1024;
const MAX_YOUNG_RETRIES = 6;

/**
 * The estimate V8 reads is averaged over its last ten or so collections (measured on Node 20: after a
 * burst, the tenth collection with some time between them shrinks the young generation, whether they are
 * 50 ms or 2 s apart; back to back they do not count). So while it is still grown after a reclaim, minor
 * collections follow every YOUNG_STEP_MS, at most YOUNG_STEPS of them, a few ms each on an empty young
 * generation: the quiet period then ends at its compact size within a second, instead of two or three
 * idle intervals later (with 5 s intervals that was 15–25 s after the last ACR).
 */
const YOUNG_STEP_MS = 50;
const YOUNG_STEPS = 12;

export interface IdleReclaimOptions {
  /** The quiet time that counts as idle (ms); checked every `idleMs`. */
  idleMs: number;
  /** A counter that moves with traffic (e.g. ACRs applied). */
  activity: () => number;
  /** Runs the memory-reducing collection (default: V8's, see fullCollection). */
  collect?: () => void;
  /** Runs a minor collection (default: V8's, see minorCollection); the young generation's follow-up. */
  minor?: () => void;
  /** Time between the follow-up's minor collections (ms, default YOUNG_STEP_MS). */
  youngStepMs?: number;
  /** Frees what else can be had again (a store's caches), after the collection. */
  release?: () => void;
  /** Returns the C heap's free memory to the system, last (default: trimCHeap, glibc's malloc_trim). */
  trim?: () => void;
  /** Committed and used heap bytes, and what the young generation has committed (default: V8's statistics). */
  heap?: () => HeapNow;
  /** Called after each collection, with the committed heap before and after, and the heap after (for the log). */
  onReclaim?: (before: number, after: number, now: HeapNow) => void;
}

let gcFn: ((o?: object) => void) | undefined;

/**
 * V8's own gc(), reached without starting Node with --expose-gc: the flag, set at run time, exposes gc() in
 * contexts created afterwards, so a fresh vm context hands it over once. (In Node 20's V8 any object
 * argument means a minor collection, whatever its `type` says; with no argument every version does a full
 * one.)
 */
function v8Gc(): (o?: object) => void {
  if (!gcFn) {
    v8.setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as (o?: object) => void;
  }
  return gcFn;
}

/**
 * A full mark-compact (it moves live objects off sparse old-generation pages so they can be freed), then a
 * minor one, which lets V8 shrink the young generation it grew under load.
 */
export function fullCollection(): void {
  const gc = v8Gc();
  // A full collection moves objects only off the pages it picks as sparse enough, and after a burst many
  // are not: measured on a heap of 2,000,000 small objects of which one in ten was kept, the old generation
  // stayed at 86.5 MB committed for 15 MB used; with compact-on-every-full-gc, read by V8 at each full
  // collection, 15.5 MB. Set only around these two (the pause, on an idle server, is the live heap's copy).
  // Twice: the second finds what the first emptied and left.
  v8.setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
    gc();
  } finally {
    v8.setFlagsFromString('--no-compact-on-every-full-gc');
  }
  gc({ type: 'minor' });
}

/** A minor collection (a scavenge of the young generation), after which V8 may shrink it. */
export function minorCollection(): void {
  v8Gc()({ type: 'minor' });
}

export interface HeapNow {
  committed: number;
  used: number;
  young: number;
}

function heapNow(): HeapNow {
  const h = v8.getHeapStatistics();
  const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  return { committed: h.total_heap_size, used: h.used_heap_size, young };
}

export class IdleReclaim {
  #timer: NodeJS.Timeout | undefined;
  #last = Number.NaN;
  #busy = false;
  #reclaims = 0;
  /** Collections in this quiet period that were only waiting for the young generation to shrink. */
  #youngRetries = 0;
  #youngTimer: NodeJS.Timeout | undefined;
  #youngDone: Promise<void> = Promise.resolve();
  #youngEnd: (() => void) | undefined;

  constructor(private readonly opts: IdleReclaimOptions) {
    if (!(opts.idleMs > 0)) throw new RangeError(`idle reclaim: expected a positive interval, got ${opts.idleMs}`);
  }

  /** Collections run so far. */
  get reclaims(): number {
    return this.#reclaims;
  }

  start(): void {
    if (this.#timer) return;
    this.#last = this.opts.activity();
    this.#timer = setInterval(() => this.tick(), this.opts.idleMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#youngTimer);
    this.#youngTimer = undefined;
    this.#youngEnd?.();
  }

  /** Settles when the young generation's follow-up started by the last reclaim has ended (tests). */
  youngFollowUp(): Promise<void> {
    return this.#youngDone;
  }

  /** One check (the timer's; public so tests drive it without waiting). */
  tick(): void {
    const a = this.opts.activity();
    if (a !== this.#last) {
      this.#last = a;
      this.#busy = true;
      this.#youngRetries = 0;
      return;
    }
    if (!this.#busy) return;
    // Quiet for a whole interval after a busy one, and something to give back. Again at the next quiet
    // tick while a collection still gives back a good deal (V8 releases some pages only after the next
    // one), or while the young generation has yet to shrink (a few times), so the quiet period ends at the
    // heap's compact size; then not until traffic comes back.
    const heap = this.opts.heap ?? heapNow;
    const { committed: before, used } = heap();
    if (before - used < MIN_SLACK_BYTES) {
      this.#busy = false;
      return;
    }
    (this.opts.collect ?? fullCollection)();
    this.opts.release?.();
    (this.opts.trim ?? trimCHeap)();
    this.#reclaims++;
    const now = heap();
    const after = now.committed;
    if (before - after < MIN_SLACK_BYTES) {
      if (now.young >= YOUNG_SHRUNK_BYTES && now.committed - now.used >= MIN_SLACK_BYTES && this.#youngRetries < MAX_YOUNG_RETRIES) {
        this.#youngRetries++;
      } else this.#busy = false;
    }
    this.opts.onReclaim?.(before, after, now);
    if (now.young >= YOUNG_SHRUNK_BYTES) this.#followYoung(heap, a);
  }

  /** Minor collections, spaced out, until the young generation shrinks, traffic returns, or YOUNG_STEPS. */
  #followYoung(heap: () => HeapNow, activity: number): void {
    if (this.#youngTimer) return;
    const minor = this.opts.minor ?? minorCollection;
    const step = this.opts.youngStepMs ?? YOUNG_STEP_MS;
    let steps = 0;
    this.#youngDone = new Promise<void>((resolve) => {
      this.#youngEnd = () => {
        clearTimeout(this.#youngTimer);
        this.#youngTimer = undefined;
        this.#youngEnd = undefined;
        resolve();
      };
    });
    const next = (): void => {
      // Traffic is back: the young generation is in use again; the next quiet period starts over.
      if (this.opts.activity() !== activity) return this.#youngEnd?.();
      minor();
      if (heap().young < YOUNG_SHRUNK_BYTES || ++steps >= YOUNG_STEPS) return this.#youngEnd?.();
      this.#youngTimer = setTimeout(next, step);
      this.#youngTimer.unref();
    };
    this.#youngTimer = setTimeout(next, step);
    this.#youngTimer.unref();
  }
}
