/**
 * Duplicate detection (RFC 6733 §6.1 and base-protocol.md §14.3): a request with the T flag and the same
 * (Origin-Host, End-to-End id) as one already answered within the window gets the original answer again
 * (with the new Hop-by-Hop id) instead of being processed twice. A T-flagged copy that arrives while the
 * original is still being processed waits for the original's answer.
 *
 * Memory is bounded twice: entries older than `windowMs` are dropped, and at most `maxEntries` are kept
 * (oldest first out), so a load test cannot grow it without bound.
 *
 * Every answered request is remembered, so this is on the hot path, and its entries live for seconds:
 * long enough for the garbage collector to copy and mark each object they hold. So an entry is no
 * object at all: it is a slot of a ring of typed arrays (entries leave in the order they came), its
 * answer octets are copied into shared pages (reused once no entry refers to them), and the index maps
 * the End-to-End id (an integer key, no string built per request) to the newest entry with that id;
 * entries of other Origin-Hosts that share the id are chained behind it. The index is an open-addressing
 * table in typed arrays (IdIndex): a Map churning through tens of thousands of keys a second spends more
 * on rehashing and on the collector than on the lookups.
 */
export interface DuplicateCacheOptions {
  windowMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/** An answer still being produced: resolves to its encoded octets (undefined when none is sent). */
export type PendingAnswer = Promise<Buffer | undefined>;

const NONE = -1;
/**
 * Sequence numbers are kept to their low 30 bits wherever they are stored (always small integers, never
 * boxed). Live entries span at most maxEntries (< 2^30) consecutive numbers, so these stay unique.
 */
const SEQ_MASK = 0x3fffffff;
const MIN_CAPACITY = 4096;
/** The ring grows by this factor (few moves of its entries on the way to maxEntries). */
const GROWTH = 4;
/** Answer octets are copied into pages of this size (a bigger answer gets a page of its own). */
const PAGE_SIZE = 64 * 1024;
/** Unused pages kept for reuse; beyond that they are left to the collector. */
const SPARE_PAGES = 8;

export class DuplicateCache {
  readonly windowMs: number;
  readonly maxEntries: number;
  private readonly now: () => number;
  hits = 0;

  /** End-to-End id (as int32) → sequence number of the newest entry with that id. */
  private index: IdIndex;
  /** Ring slots: slot = sequence & mask. `seqOf` is NONE for a free slot. */
  private mask: number;
  private seqOf: Int32Array;
  private e2eOf: Int32Array;
  private atOf: Float64Array;
  /** The next older entry with the same End-to-End id (another Origin-Host), or NONE. */
  private olderOf: Int32Array;
  /** Origin-Host, lower-cased (RFC 6733 §6.1 compares DiameterIdentity case-insensitively). */
  private hostOf: (string | undefined)[];
  /** Where an answered entry's octets are: page id (NONE while pending), start and end in the page. */
  private pageOf: Int32Array;
  private startOf: Int32Array;
  private endOf: Int32Array;
  private pendingOf: (PendingAnswer | undefined)[];
  /** Sequence numbers of the oldest live entry and of the next one. */
  private head = 0;
  private tail = 0;
  private readonly pages = new AnswerPages();
  /** The last Origin-Host stored: consecutive requests of one peer share one string. */
  private lastHost = '';

  constructor(opts: DuplicateCacheOptions = {}) {
    this.windowMs = opts.windowMs ?? 60_000;
    // 0 keeps nothing (duplicate detection off); the bound keeps sequence numbers unique (SEQ_MASK).
    this.maxEntries = Math.max(0, Math.min(opts.maxEntries ?? 65_536, SEQ_MASK));
    this.now = opts.now ?? Date.now;
    const cap = Math.min(MIN_CAPACITY, ceilPowerOfTwo(this.maxEntries));
    this.mask = cap - 1;
    this.index = new IdIndex(cap * 2);
    this.seqOf = new Int32Array(cap).fill(NONE);
    this.e2eOf = new Int32Array(cap);
    this.atOf = new Float64Array(cap);
    this.olderOf = new Int32Array(cap);
    this.hostOf = new Array<string | undefined>(cap).fill(undefined);
    this.pageOf = new Int32Array(cap).fill(NONE);
    this.startOf = new Int32Array(cap);
    this.endOf = new Int32Array(cap);
    this.pendingOf = new Array<PendingAnswer | undefined>(cap).fill(undefined);
  }

  /**
   * The earlier answer to (originHost, endToEndId) if still in the window: its octets (a view to copy,
   * not to keep or change), or the promise of them while the original is being processed.
   */
  lookup(originHost: string, endToEndId: number): Buffer | PendingAnswer | undefined {
    let seq = this.index.get(endToEndId | 0);
    if (seq === NONE) return undefined;
    const host = originHost.toLowerCase();
    while (seq !== NONE) {
      const slot: number = seq & this.mask;
      if (this.seqOf[slot] !== seq) return undefined; // evicted, and every older one with it
      if (this.hostOf[slot] === host) {
        if (this.now() - this.atOf[slot]! > this.windowMs) return undefined;
        this.hits++;
        return this.pendingOf[slot] ?? this.pages.view(this.pageOf[slot]!, this.startOf[slot]!, this.endOf[slot]!);
      }
      seq = this.olderOf[slot]!;
    }
    return undefined;
  }

  /**
   * Records the answer (or the promise of it) of an original request. Returns a ticket for `settle`,
   * which replaces a promise by the octets once they are known.
   */
  remember(originHost: string, endToEndId: number, answer: Uint8Array | PendingAnswer): number {
    if (this.maxEntries === 0) return NONE;
    const now = this.now();
    this.evict(now);
    if (this.tail - this.head > this.mask) this.grow(Math.min(ceilPowerOfTwo(this.maxEntries), (this.mask + 1) * GROWTH));
    const seq = this.tail++ & SEQ_MASK;
    const slot = seq & this.mask;
    const key = endToEndId | 0;
    const newest = this.index.swap(key, seq);
    this.seqOf[slot] = seq;
    this.e2eOf[slot] = key;
    this.atOf[slot] = now;
    this.olderOf[slot] = newest;
    this.hostOf[slot] = this.hostString(originHost);
    if (answer instanceof Promise) this.pendingOf[slot] = answer;
    else this.store(slot, answer);
    return seq;
  }

  /** The octets a remembered promise resolved to; a later lookup gets them without the promise. */
  settle(ticket: number, answer: Uint8Array): void {
    if (ticket === NONE) return;
    const slot = ticket & this.mask;
    if (this.seqOf[slot] !== ticket || this.pendingOf[slot] === undefined) return;
    this.pendingOf[slot] = undefined;
    this.store(slot, answer);
  }

  get size(): number {
    return this.tail - this.head;
  }

  private store(slot: number, bytes: Uint8Array): void {
    const pages = this.pages;
    this.pageOf[slot] = pages.put(bytes);
    this.startOf[slot] = pages.start;
    this.endOf[slot] = pages.start + bytes.length;
  }

  /** Drops the oldest entries: beyond the window, and enough to leave room for one more. */
  private evict(now: number): void {
    const window = this.windowMs;
    while (this.head < this.tail) {
      const slot = this.head & this.mask;
      if (this.tail - this.head < this.maxEntries && now - this.atOf[slot]! <= window) break;
      const key = this.e2eOf[slot]!;
      // Only if it is the newest with its id: a newer one's chain simply ends at this freed slot.
      this.index.deleteIf(key, this.seqOf[slot]!);
      this.seqOf[slot] = NONE;
      this.hostOf[slot] = undefined;
      if (this.pageOf[slot] !== NONE) this.pages.release(this.pageOf[slot]!);
      this.pageOf[slot] = NONE;
      this.pendingOf[slot] = undefined;
      this.head++;
    }
  }

  /**
   * Grows the ring to `cap` slots (it starts small and grows up to maxEntries). It grows only when full:
   * the oldest entries sit from the head's slot to the end, the newest from slot 0 to it; each run keeps
   * its order and stays contiguous in the bigger ring (a power of two times the old one).
   */
  private grow(cap: number): void {
    const oldCap = this.mask + 1;
    const h = this.head & this.mask;
    const to1 = this.head & (cap - 1);
    const to2 = (this.head + oldCap - h) & (cap - 1);
    const ints = <T extends Int32Array | Float64Array>(from: T, made: T): T => {
      made.set(from.subarray(h, oldCap), to1);
      made.set(from.subarray(0, h), to2);
      return made;
    };
    const refs = <T>(from: T[]): T[] => {
      const made = new Array<T>(cap).fill(undefined as T);
      for (let i = h; i < oldCap; i++) made[to1 + i - h] = from[i]!;
      for (let i = 0; i < h; i++) made[to2 + i] = from[i]!;
      return made;
    };
    this.seqOf = ints(this.seqOf, new Int32Array(cap).fill(NONE));
    this.e2eOf = ints(this.e2eOf, new Int32Array(cap));
    this.atOf = ints(this.atOf, new Float64Array(cap));
    this.olderOf = ints(this.olderOf, new Int32Array(cap));
    this.startOf = ints(this.startOf, new Int32Array(cap));
    this.endOf = ints(this.endOf, new Int32Array(cap));
    this.hostOf = refs(this.hostOf);
    this.pageOf = ints(this.pageOf, new Int32Array(cap).fill(NONE));
    this.pendingOf = refs(this.pendingOf);
    this.mask = cap - 1;
    // The newest entry of each id is indexed: re-adding oldest first leaves exactly those.
    this.index = new IdIndex(cap * 2);
    for (let s = this.head; s < this.tail; s++) this.index.set(this.e2eOf[s & this.mask]!, s & SEQ_MASK);
  }

  /**
   * The lower-cased Origin-Host to store. A decoded value may be a slice of a string of the whole message
   * (codec/avp.ts textValue), which would keep that alive with the entry: a new host is stored as a copy.
   */
  private hostString(originHost: string): string {
    if (sameIgnoringAsciiCase(originHost, this.lastHost)) return this.lastHost;
    const host = originHost.toLowerCase();
    this.lastHost = host.length < 13 ? host : (' ' + host).slice(1);
    return this.lastHost;
  }
}

/**
 * Whether `s` lower-cased is `lower` (already lower case), for the usual ASCII host names: cheaper than
 * lower-casing `s` into a new string on every request. Anything non-ASCII answers false (then the caller
 * lower-cases properly).
 */
function sameIgnoringAsciiCase(s: string, lower: string): boolean {
  const n = s.length;
  if (n !== lower.length) return false;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    else if (c >= 0x80) return false;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The octets of remembered answers, appended to pages. Each page counts the entries whose octets it
 * holds; one that no entry uses any more is kept for reuse (up to SPARE_PAGES), so a busy server
 * allocates no memory per answer or, in a steady state, per page.
 */
class AnswerPages {
  private readonly pages: (Buffer | undefined)[] = [];
  private readonly users: number[] = [];
  /** Ids of spare pages, and ids whose page was dropped (free to give a new page). */
  private readonly spare: number[] = [];
  private readonly unused: number[] = [];
  private current = NONE;
  private pos = 0;
  /** Where the octets of the last put() start in their page. */
  start = 0;

  /** Copies `bytes` in; returns the id of their page (see `start`). The page counts one more user. */
  put(bytes: Uint8Array): number {
    const n = bytes.length;
    let id = this.current;
    if (id === NONE || this.pages[id]!.length - this.pos < n) id = this.turnPage(n);
    this.pages[id]!.set(bytes, this.pos);
    this.users[id]!++;
    this.start = this.pos;
    this.pos += n;
    return id;
  }

  view(id: number, start: number, end: number): Buffer {
    return this.pages[id]!.subarray(start, end);
  }

  /** One user fewer (an entry left); a page with none left, and not being filled, is free. */
  release(id: number): void {
    if (--this.users[id]! === 0 && id !== this.current) this.free(id);
  }

  /** Starts filling another page with room for `n` octets. */
  private turnPage(n: number): number {
    const old = this.current;
    let id = n <= PAGE_SIZE ? this.spare.pop() : undefined;
    if (id === undefined) {
      id = this.unused.pop() ?? this.pages.length;
      this.pages[id] = Buffer.allocUnsafe(Math.max(PAGE_SIZE, n));
      this.users[id] = 0;
    }
    this.current = id;
    this.pos = 0;
    if (old !== NONE && this.users[old] === 0) this.free(old);
    return id;
  }

  private free(id: number): void {
    if (this.pages[id]!.length === PAGE_SIZE && this.spare.length < SPARE_PAGES) {
      this.spare.push(id);
    } else {
      this.pages[id] = undefined;
      this.unused.push(id);
    }
  }
}

/**
 * Int32 key → non-negative int32 value, open addressing with linear probing in two typed arrays (values
 * NONE where empty), deletion by shifting the rest of the run back (no tombstones, so probes stay short
 * under constant churn). Sized by the caller to at most half full.
 */
class IdIndex {
  private readonly keys: Int32Array;
  private readonly values: Int32Array;
  private readonly mask: number;
  private readonly shift: number;

  constructor(size: number) {
    this.keys = new Int32Array(size);
    this.values = new Int32Array(size).fill(NONE);
    this.mask = size - 1;
    this.shift = 32 - Math.log2(size);
  }

  /** Fibonacci hashing: the high bits of key × 2^32/φ, so consecutive ids spread out. */
  private home(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> this.shift;
  }

  private find(key: number): number {
    const mask = this.mask;
    let i = this.home(key);
    while (this.values[i] !== NONE && this.keys[i] !== key) i = (i + 1) & mask;
    return i;
  }

  /** The value for `key`, or NONE. */
  get(key: number): number {
    return this.values[this.find(key)]!;
  }

  set(key: number, value: number): void {
    this.swap(key, value);
  }

  /** Sets `key` to `value`; returns what it was (NONE if absent). One probe for both. */
  swap(key: number, value: number): number {
    const i = this.find(key);
    const old = this.values[i]!;
    this.keys[i] = key;
    this.values[i] = value;
    return old;
  }

  /** Deletes `key` if its value is `value`. */
  deleteIf(key: number, value: number): void {
    const mask = this.mask;
    let hole = this.find(key);
    if (this.values[hole] !== value || value === NONE) return;
    // Move back each later entry of the run that may live in the hole (its home is not between).
    for (let j = (hole + 1) & mask; this.values[j] !== NONE; j = (j + 1) & mask) {
      const home = this.home(this.keys[j]!);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        this.keys[hole] = this.keys[j]!;
        this.values[hole] = this.values[j]!;
        hole = j;
      }
    }
    this.values[hole] = NONE;
  }
}

function ceilPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Copies an encoded answer with another Hop-by-Hop id (octets 12–15 of the header). */
export function withHopByHop(answer: Uint8Array, hopByHopId: number): Buffer {
  const b = Buffer.from(answer);
  b.writeUInt32BE(hopByHopId >>> 0, 12);
  return b;
}
