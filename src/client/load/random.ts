/**
 * Random numbers for the load generator: a small seedable generator (so a run, or a test, can be
 * repeated with --seed) and the distributions the issue asks for: exponential gaps between Poisson
 * arrivals, and fixed / uniform / exponential session holding times.
 */

/** A function returning uniform numbers in [0, 1). */
export type Uniform = () => number;

/**
 * SplitMix32-style generator (32-bit state, full period 2^32): cheap, and good enough to space
 * arrivals — no cryptographic or statistical-suite claims. Without a seed it starts from Math.random.
 */
export function seededUniform(seed?: number): Uniform {
  let s = (seed ?? Math.floor(Math.random() * 0x100000000)) >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 0x100000000;
  };
}

/** An exponential variate with the given mean (inverse transform; 1 − u avoids log(0)). */
export function exponential(u: Uniform, mean: number): number {
  return -Math.log(1 - u()) * mean;
}

/** Session holding time, in seconds. */
export type Holding =
  | { kind: 'fixed'; seconds: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'exponential'; mean: number };

/** Draws one holding time in milliseconds. */
export function drawHoldingMs(h: Holding, u: Uniform): number {
  switch (h.kind) {
    case 'fixed':
      return h.seconds * 1000;
    case 'uniform':
      return (h.min + (h.max - h.min) * u()) * 1000;
    case 'exponential':
      return exponential(u, h.mean) * 1000;
  }
}

/** Mean holding time in seconds (for the report and for sizing). */
export function meanHoldingSeconds(h: Holding): number {
  switch (h.kind) {
    case 'fixed':
      return h.seconds;
    case 'uniform':
      return (h.min + h.max) / 2;
    case 'exponential':
      return h.mean;
  }
}

export function describeHolding(h: Holding): string {
  switch (h.kind) {
    case 'fixed':
      return `${h.seconds} s`;
    case 'uniform':
      return `uniform ${h.min}–${h.max} s`;
    case 'exponential':
      return `exponential, mean ${h.mean} s`;
  }
}
