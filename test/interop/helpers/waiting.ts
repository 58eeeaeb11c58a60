/**
 * Small helpers for waiting in the interop tests: a RegExp literal for `Child.waitFor` patterns, sleep,
 * bounded polling, and an opt-in progress trace. Re-exported by peers.ts.
 */

/** `s` as a literal inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until `cond()` is true, polling; throws `what` after `timeoutMs`. */
export async function until(
  cond: () => boolean,
  timeoutMs: number,
  what: string,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** With DIAMKIT_INTEROP_VERBOSE set, prints a timestamped progress line (to see where a slow test waits). */
export function trace(what: string): void {
  if (process.env.DIAMKIT_INTEROP_VERBOSE) console.log(`[${new Date().toISOString().slice(11, 23)}] ${what}`);
}
