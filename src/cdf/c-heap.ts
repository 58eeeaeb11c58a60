/**
 * Gives the C heap's free memory back to the system: glibc's malloc_trim(0), called through koffi (an
 * optional dependency: a foreign-function interface with prebuilt binaries, so no build step here).
 *
 * Why: after a burst (1,000,000 sessions opened and closed) the JavaScript heap returns to its size, but
 * glibc keeps ~40–55 MiB the process freed in the middle of its heaps (allocations V8 and SQLite made at
 * the peak). `free()` only ever returns the top of a heap; malloc_trim also releases whole free pages in
 * the middle (madvise). Measured with gdb on an idle server after such a burst: `[heap]` 64 → 20 MiB
 * (docs/perf.md, "memory"). Where koffi or glibc is missing (musl, macOS, Windows) this does nothing.
 */
import { createRequire } from 'node:module';

type Trim = (pad: number) => number;
let trim: Trim | null | undefined;

function load(): Trim | null {
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as { load(path: string): { func(decl: string): Trim } };
    return koffi.load('libc.so.6').func('int malloc_trim(size_t)');
  } catch {
    return null;
  }
}

/** Whether this process can trim its C heap (glibc and koffi present). */
export function canTrimCHeap(): boolean {
  if (trim === undefined) trim = load();
  return trim !== null;
}

/** Returns free C-heap memory to the system; true if glibc released any, false if nothing or unavailable. */
export function trimCHeap(): boolean {
  if (!canTrimCHeap()) return false;
  return trim!(0) === 1;
}
