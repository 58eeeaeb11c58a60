/**
 * Timers of the peer layer: the defaults of base-protocol.md §17 in one place, and the clock the peer
 * code reads time and sets timers through. The clock is injected so that tests can drive the watchdog
 * with node:test's `mock.timers` instead of waiting 30 s.
 */

/** RFC 3539 §3.4.1: default TwInit is 30 s. */
export const TW_INIT_DEFAULT_MS = 30_000;
/** RFC 3539 §3.4.1: TwInit MUST NOT be set lower than 6 s. */
export const TW_INIT_MIN_MS = 6_000;
/** RFC 3539 §3.4.1: each (re)arming of Tw adds a random jitter in −2 s … +2 s. */
export const TW_JITTER_MS = 2_000;
/** RFC 6733 §12: Tc, the reconnect timer, is recommended to be 30 s. */
export const TC_DEFAULT_MS = 30_000;
/**
 * Implementation-defined waits (RFC 6733 §5.6 leaves the Timeout event to the implementation);
 * base-protocol.md §10 suggests these values.
 */
export const CONNECT_TIMEOUT_DEFAULT_MS = 10_000;
export const CER_WAIT_DEFAULT_MS = 10_000;
export const CEA_WAIT_DEFAULT_MS = 10_000;
export const DPA_WAIT_DEFAULT_MS = 5_000;

/** Opaque handle returned by `Clock.setTimeout`. */
export type TimerHandle = unknown;

/** What the peer layer needs from time: a monotonic `now` and one-shot timers. */
export interface Clock {
  /** Milliseconds on a monotonic scale; only differences are meaningful. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock. `now` is `performance.now()` (monotonic, so a wall-clock step cannot postpone a
 * watchdog). Timers are unref'd: a watchdog alone never keeps the process alive — the socket it
 * watches does. The globals are looked up at call time.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(callback, ms) {
    const handle = globalThis.setTimeout(callback, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout(handle) {
    globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>);
  },
};

/**
 * A clock over `Date.now()` and the global timers, looked up at call time. node:test's
 * `mock.timers.enable({ apis: ['setTimeout', 'Date'] })` fakes all three, which `performance.now()`
 * is not; use this clock in tests that tick fake time.
 */
export const dateClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};
