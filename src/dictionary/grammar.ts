/**
 * Helpers to write dictionary data compactly: command and grouped-AVP grammars in the CCF notation of
 * RFC 6733 §3.2 (base-protocol.md §5), and enumerations in the "0 NAME, 1 NAME" form the spec tables use.
 * The built-in modules paste grammars from the spec almost verbatim, so a reader can compare them line by line.
 */
import { DiameterError } from '../codec/errors.js';
import type { DataType } from '../codec/types.js';
import type { AvpDef, FlagRule, Grammar, GrammarRule } from './types.js';

/** The rule name that stands for "any other AVP" (`* [ AVP ]` in CCF). */
export const ANY_AVP = '*';

const RULE_RE = /^(?:(\d*)\s*\*\s*(\d*))?\s*([<{[])\s*([A-Za-z0-9][A-Za-z0-9_.-]*)\s*([>}\]])$/;
const CLOSE: Record<string, string> = { '<': '>', '{': '}', '[': ']' };

/**
 * Parses CCF rule lines into a Grammar. One rule per line; a line holding `::=` (the `< Diameter Header: … >`
 * or `< AVP Header: … >` line) is skipped, so grammars can be pasted from the spec with their header; `;`
 * starts a comment. Qualifier defaults follow RFC 6733 §3.2: no qualifier means exactly one for `< >` and
 * `{ }` and zero or one for `[ ]`; with a qualifier, min defaults to 0 for fixed and optional rules and to 1
 * for required ones, max to infinity. `AVP` as the name means any other AVP.
 */
export function grammar(text: string): Grammar {
  const g: Grammar = { fixed: [], required: [], optional: [] };
  const seen = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/;.*$/, '').trim();
    if (!line || line.includes('::=')) continue;
    const m = RULE_RE.exec(line);
    if (!m || CLOSE[m[3]!] !== m[5]) bad(`cannot read grammar rule "${line}"`);
    const [, minText, maxText, open, rawName] = m;
    const hasQualifier = minText !== undefined;
    const kind = open === '<' ? 'fixed' : open === '{' ? 'required' : 'optional';
    const name = rawName === 'AVP' ? ANY_AVP : rawName!;
    let min: number;
    let max: number;
    if (!hasQualifier) {
      min = kind === 'optional' ? 0 : 1;
      max = 1;
    } else {
      min = minText ? Number(minText) : kind === 'required' ? 1 : 0;
      max = maxText ? Number(maxText) : Infinity;
    }
    if (min > max) bad(`rule "${line}": min ${min} above max ${max}`);
    // RFC 6733 §3.2: an optional rule's min, when given, MUST be 0.
    if (kind === 'optional' && min !== 0) bad(`rule "${line}": an optional rule cannot have a minimum`);
    const key = name.toLowerCase();
    if (seen.has(key)) bad(`rule "${line}": ${name} appears twice in one grammar`);
    seen.add(key);
    const rule: GrammarRule = { avp: name, min, max };
    g[kind].push(rule);
  }
  return g;
}

/** Same as `grammar` as a template tag: grammar`{ Origin-Host } ...`. */
export function ccf(strings: TemplateStringsArray, ...values: unknown[]): Grammar {
  return grammar(String.raw({ raw: strings }, ...values));
}

/**
 * Parses "0 REBOOTING, 1 BUSY, 2 DO_NOT_WANT_TO_TALK_TO_YOU" into value → name. Names may contain spaces
 * ("0 SDP Offer") but not ", <digit>"; values may be negative ("-1 Successful transaction").
 */
export function enums(text: string): ReadonlyMap<number, string> {
  const out = new Map<number, string>();
  for (const item of text.split(/,\s*(?=-?\d+\s)/)) {
    const m = /^\s*(-?\d+)\s+(.+?)\s*$/.exec(item);
    if (!m) bad(`cannot read enumeration item "${item}"`);
    const value = Number(m[1]);
    if (out.has(value)) bad(`enumeration value ${value} given twice`);
    out.set(value, m[2]!);
  }
  return out;
}

/** Every rule of a grammar: fixed, then required, then optional. */
export function rulesOf(g: Grammar): GrammarRule[] {
  return [...g.fixed, ...g.required, ...g.optional];
}

function bad(msg: string): never {
  throw new DiameterError('DICTIONARY_BAD_FILE', msg);
}

/**
 * A maker of AvpDefs for one vendor and source, so a module's table reads like the spec's:
 * `avp('Origin-Host', 264, 'DiameterIdentity')`. The M rule defaults to 'must', the common case.
 */
export function avpMaker(vendorId: number, source: string) {
  return (
    name: string,
    code: number,
    type: DataType,
    mandatory: FlagRule = 'must',
    extra: Partial<AvpDef> = {},
  ): AvpDef => ({
    name,
    code,
    vendorId,
    type,
    mandatory,
    source,
    ...extra,
  });
}
