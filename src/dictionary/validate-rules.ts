/**
 * The compiled form of a grammar that validate.ts walks a message with (RFC 6733 §3.2 CCF, §4.4 Grouped):
 * each grammar is compiled once per dictionary revision into (vendor, code) → rule indexes (arrays indexed
 * by code) with reused counters (a Tally), so checking an AVP is a numeric lookup. Also which Grouped AVPs
 * have their children checked, and with which compiled grammar.
 */
import type { Avp } from '../codec/types.js';
import type { Dictionary } from './dictionary.js';
import { ANY_AVP } from './grammar.js';
import type { AvpDef, Grammar } from './types.js';

// RFC 6733 §4.5: Failed-AVP (vendor 0), whose children are never checked.
const FAILED_AVP = 279;

interface Rule {
  def: AvpDef;
  min: number;
  max: number;
  /** The compiled grammar of this AVP's children; null when they are not checked; undefined until first needed. */
  child: Compiled | null | undefined;
  /** The values of an Enumerated AVP, when the dictionary lists any (read here, not from the def, per AVP). */
  enums: ReadonlyMap<number, string> | undefined;
}

/**
 * How many instances of each rule one level holds. Reset per level by starting a new generation: a count
 * stamped with an older one reads as 0, so nothing is cleared per message.
 */
export class Tally {
  private readonly counts: Uint32Array;
  private readonly stamps: Uint32Array;
  private gen = 0;

  constructor(rules: number) {
    this.counts = new Uint32Array(rules);
    this.stamps = new Uint32Array(rules);
  }

  reset(): void {
    if (++this.gen > 0xffffffff) {
      this.stamps.fill(0);
      this.gen = 1;
    }
  }

  get(rule: number): number {
    return this.stamps[rule] === this.gen ? this.counts[rule]! : 0;
  }

  /** Counts one more instance; returns the new count. */
  add(rule: number): number {
    if (this.stamps[rule] !== this.gen) {
      this.stamps[rule] = this.gen;
      this.counts[rule] = 1;
      return 1;
    }
    return ++this.counts[rule]!;
  }
}

export interface Compiled {
  /** Fixed rules first (in order), then required, then optional; rules whose name is unknown are left out. */
  rules: Rule[];
  fixedCount: number;
  /** Indices of the non-fixed rules with a minimum. */
  required: number[];
  /** vendor 0: code → rule index. */
  ietf: CodeIndex;
  /** other vendors: vendor → code → rule index; the first one also on its own (grammars rarely have two). */
  vendors: Map<number, CodeIndex>;
  firstVendor: number;
  firstVendorIndex: CodeIndex | undefined;
  /** The `AVP` rule ("any other AVP"), if the grammar has one. */
  any: { min: number; max: number } | undefined;
  /** Counters reused between messages; `busy` while a walk of this grammar is under way. */
  tally: Tally;
  busy: boolean;
}

interface GrammarCache {
  revision: number;
  grammars: Map<Grammar, Compiled>;
}

const caches = new WeakMap<Dictionary, GrammarCache>();

export function compile(dict: Dictionary, g: Grammar): Compiled {
  let cache = caches.get(dict);
  if (!cache || cache.revision !== dict.revision) {
    cache = { revision: dict.revision, grammars: new Map() };
    caches.set(dict, cache);
  }
  let c = cache.grammars.get(g);
  if (!c) {
    c = build(dict, g);
    cache.grammars.set(g, c);
  }
  return c;
}

/**
 * AVP code → rule index for one vendor. Every AVP of every message is looked up here, so codes up to
 * DENSE_CODES are found by indexing an array (index + 1; 0 for none) rather than by hashing.
 */
const DENSE_CODES = 4096;

class CodeIndex {
  private dense = new Int32Array(0);
  private readonly sparse = new Map<number, number>();

  has(code: number): boolean {
    return this.get(code) !== undefined;
  }

  set(code: number, index: number): void {
    if (code >= DENSE_CODES) {
      this.sparse.set(code, index);
      return;
    }
    if (code >= this.dense.length) {
      const grown = new Int32Array(code + 1);
      grown.set(this.dense);
      this.dense = grown;
    }
    this.dense[code] = index + 1;
  }

  get(code: number): number | undefined {
    if (code < this.dense.length) {
      const v = this.dense[code]!;
      return v === 0 ? undefined : v - 1;
    }
    return code < DENSE_CODES ? undefined : this.sparse.get(code);
  }
}

function build(dict: Dictionary, g: Grammar): Compiled {
  const c: Compiled = {
    rules: [],
    fixedCount: 0,
    required: [],
    ietf: new CodeIndex(),
    vendors: new Map(),
    firstVendor: 0,
    firstVendorIndex: undefined,
    any: undefined,
    tally: new Tally(0),
    busy: false,
  };
  const add = (avp: string, min: number, max: number, fixed: boolean): void => {
    if (avp === ANY_AVP || avp.toUpperCase() === 'AVP') {
      if (!c.any) c.any = { min, max };
      return;
    }
    // A name the dictionary does not define matches nothing: its AVP, if it ever comes, is unknown.
    const def = dict.avpByName(avp);
    if (!def) return;
    let byCode = c.ietf;
    if (def.vendorId !== 0) {
      byCode = c.vendors.get(def.vendorId) ?? new CodeIndex();
      c.vendors.set(def.vendorId, byCode);
      if (c.firstVendorIndex === undefined) {
        c.firstVendor = def.vendorId;
        c.firstVendorIndex = byCode;
      }
    }
    if (byCode.has(def.code)) return; // the same AVP under two spellings: the first rule wins
    byCode.set(def.code, c.rules.length);
    if (fixed) c.fixedCount++;
    else if (min > 0) c.required.push(c.rules.length);
    const enums = def.type === 'Enumerated' && def.enums && def.enums.size > 0 ? def.enums : undefined;
    c.rules.push({ def, min, max, child: undefined, enums });
  };
  for (const r of g.fixed) add(r.avp, r.min, r.max, true);
  for (const r of [...g.required, ...g.optional]) add(r.avp, r.min, r.max, false);
  c.tally = new Tally(c.rules.length);
  return c;
}

/**
 * How a Grouped AVP's children are checked: with its grammar, except Failed-AVP (copies of AVPs that failed
 * elsewhere) and AVPs the dictionary gives no grammar (nothing to judge them by).
 */
export function childGrammar(dict: Dictionary, def: AvpDef): Compiled | null {
  if (def.type !== 'Grouped' || !def.grammar || (def.code === FAILED_AVP && def.vendorId === 0)) return null;
  return compile(dict, def.grammar);
}

export function ruleIndex(c: Compiled, a: Avp): number | undefined {
  const v = a.vendorId;
  if (v === 0) return c.ietf.get(a.code);
  if (v === c.firstVendor) return c.firstVendorIndex!.get(a.code);
  return c.vendors.get(v)?.get(a.code);
}
