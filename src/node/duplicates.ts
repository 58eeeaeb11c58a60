/**
 * Duplicate detection (RFC 6733 §6.1 and base-protocol.md §14.3): a request with the T flag and the same
 * (Origin-Host, End-to-End id) as one already answered within the window gets the original answer again
 * (with the new Hop-by-Hop id) instead of being processed twice. A T-flagged copy that arrives while the
 * original is still being processed waits for the original's answer.
 *
 * Memory is bounded twice: entries older than `windowMs` are dropped, and at most `maxEntries` are kept
 * (oldest first out), so a load test cannot grow it without bound.
 */
export interface DuplicateCacheOptions {
  windowMs?: number;
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  at: number;
  /** Encoded answer, or a promise of it while the original is in progress. */
  answer: Buffer | Promise<Buffer | undefined>;
}

export class DuplicateCache {
  private readonly map = new Map<string, Entry>();
  /**
   * Every remembered (key, entry), oldest first, read from `head`. Eviction walks this, not the Map: V8
   * keeps a deleted Map entry as a hole at the front until the table is rebuilt, so a walk from the Map's
   * start skips every entry evicted since then — tens of thousands on each request of a busy server.
   * An item whose key was remembered again (or dropped by lookup) no longer matches the Map and is skipped.
   */
  private keys: string[] = [];
  private entries: Entry[] = [];
  private head = 0;
  readonly windowMs: number;
  readonly maxEntries: number;
  private readonly now: () => number;
  hits = 0;

  constructor(opts: DuplicateCacheOptions = {}) {
    this.windowMs = opts.windowMs ?? 60_000;
    this.maxEntries = opts.maxEntries ?? 65_536;
    this.now = opts.now ?? Date.now;
  }

  static key(originHost: string, endToEndId: number): string {
    return `${originHost.toLowerCase()}\u0000${endToEndId}`;
  }

  /** The earlier answer (or its promise) for this key, if still in the window. */
  lookup(key: string): Buffer | Promise<Buffer | undefined> | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (this.now() - e.at > this.windowMs) {
      this.map.delete(key);
      return undefined;
    }
    this.hits++;
    return e.answer;
  }

  /** Records the (future) answer of an original request. */
  remember(key: string, answer: Buffer | Promise<Buffer | undefined>): void {
    const now = this.now();
    const entry: Entry = { at: now, answer };
    this.map.set(key, entry);
    this.keys.push(key);
    this.entries.push(entry);
    this.evict(now);
  }

  private evict(now: number): void {
    // The oldest entries come first.
    let h = this.head;
    while (h < this.keys.length) {
      const k = this.keys[h]!;
      const e = this.entries[h]!;
      if (this.map.get(k) === e) {
        if (this.map.size > this.maxEntries || now - e.at > this.windowMs) this.map.delete(k);
        else break;
      }
      h++;
    }
    this.head = h;
    // Drop the consumed part now and then (amortised O(1) per entry).
    if (h > 1024 && h * 2 > this.keys.length) {
      this.keys = this.keys.slice(h);
      this.entries = this.entries.slice(h);
      this.head = 0;
    }
  }

  get size(): number {
    return this.map.size;
  }
}

/** Copies an encoded answer with another Hop-by-Hop id (octets 12–15 of the header). */
export function withHopByHop(answer: Buffer, hopByHopId: number): Buffer {
  const b = Buffer.from(answer);
  b.writeUInt32BE(hopByHopId >>> 0, 12);
  return b;
}
