/**
 * What the metrics keep per connection (metrics.ts holds it in a WeakMap): the count and latency cells
 * already looked up, the start times of outstanding requests for answer latency (PendingRing), and the
 * messages seen before the connection's peer is known.
 */
import type { CountCell, HistogramCell } from './cells.js';

/** Requests remembered per connection and direction while their answer is awaited (latency): the ring starts small and grows to this. */
const MAX_PENDING = 1 << 16;
/** Messages kept per connection before its peer is known (the CER, the CEA), counted once it is. */
export const MAX_DEFERRED = 16;

/** Direction of a message as seen by this process. */
export const RX = 0;
export const TX = 1;
/** Which side measured an answer latency. */
export const SERVER = 0; // we received the request and sent the answer
export const CLIENT = 1; // we sent the request and received the answer

interface Deferred {
  dir: number;
  cmd: number;
  r: number;
  app: number;
  rc: number;
  /** Latency in seconds when this message was an answer that closed a timed request. */
  latency: number;
}

/** What the metrics keep per connection (in a WeakMap: it goes when the connection does). */
export interface ConnState {
  peer: string | undefined;
  /** Count cells by (command << 1 | R) and direction, each a short list told apart by app and rc. */
  cache: [Map<number, CountEntry[]>, Map<number, CountEntry[]>];
  latency: Map<number, LatencyEntry[]>;
  /** When requests were received (answered by us) and sent (answered by them), by Hop-by-Hop id. */
  pending: [PendingRing | undefined, PendingRing | undefined];
  deferred: Deferred[] | undefined;
}

/** A per-connection cache entry: the cell for one (application, Result-Code). */
interface CountEntry {
  app: number;
  rc: number;
  cell: CountCell;
}
interface LatencyEntry {
  app: number;
  cell: HistogramCell;
}

/**
 * Start times of outstanding requests in a hash ring indexed by the low bits of the Hop-by-Hop id, which
 * a sender increments per request (RFC 6733 §3: unique per connection among its outstanding requests), so
 * consecutive requests take consecutive slots. Cheaper than a Map per message. A slot still held by a
 * request younger than a minute makes the ring double (up to MAX_PENDING); an older one (never answered)
 * is overwritten.
 */
export class PendingRing {
  private ids: Uint32Array;
  private times: Float64Array;
  private mask: number;

  constructor(size = 256) {
    this.ids = new Uint32Array(size);
    this.times = new Float64Array(size);
    this.mask = size - 1;
  }

  get size(): number {
    return this.mask + 1;
  }

  /** `t` > 0 (performance.now()). */
  put(id: number, t: number): void {
    let i = id & this.mask;
    const held = this.times[i]!;
    if (held !== 0 && this.ids[i] !== id && t - held < 60_000 && this.mask + 1 < MAX_PENDING) {
      this.grow();
      i = id & this.mask;
    }
    this.ids[i] = id;
    this.times[i] = t;
  }

  /** The start time of request `id` (and forgets it), or -1. */
  take(id: number): number {
    const i = id & this.mask;
    const t = this.times[i]!;
    if (t === 0 || this.ids[i] !== id) return -1;
    this.times[i] = 0;
    return t;
  }

  private grow(): void {
    const ids = this.ids;
    const times = this.times;
    const size = (this.mask + 1) * 2;
    this.ids = new Uint32Array(size);
    this.times = new Float64Array(size);
    this.mask = size - 1;
    for (let j = 0; j < ids.length; j++) {
      if (times[j] === 0) continue;
      const i = ids[j]! & this.mask;
      this.ids[i] = ids[j]!;
      this.times[i] = times[j]!;
    }
  }
}
