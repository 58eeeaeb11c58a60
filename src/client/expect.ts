/**
 * Expectations on an answer (docs/scenarios.md "expect"): its Result-Code, its E bit, and AVP values by
 * path. An expected value is read as the AVP's type exactly as in a message (docs/message-format.md), so
 * `STOP_RECORD` and `4` are the same Accounting-Record-Type and `2024-01-01T00:00:00Z` matches a Time
 * whatever its wire form; values are compared as encoded octets, Grouped AVPs child by child.
 */
import { DATA_CODECS } from '../codec/data-types.js';
import { FLAG_E, type Avp, type Message } from '../codec/types.js';
import { Writer } from '../codec/writer.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { avpFromJson, avpToJson, type JsonValue } from '../dictionary/message-format.js';
import { formatAvpValue } from '../dictionary/text-format.js';
import type { AvpDef } from '../dictionary/types.js';
import { describeResultCode, resultCodeOf } from './send.js';

/** What one AVP path must satisfy. */
export type ValueCheck =
  | { equals: JsonValue }
  | { not: JsonValue }
  | { match: string }
  | { absent: true }
  | { present: true }
  | { count: number }
  | { values: JsonValue[] };

export interface AvpExpectation {
  /** "Service-Information/PS-Information/Service-Data-Container[1]/Rating-Group" */
  path: string;
  check: ValueCheck;
}

export interface Expectation {
  /** Result-Code (or Experimental-Result-Code) must be one of these; 'any': not checked. */
  result?: number[] | 'any';
  /** The answer's E bit must be set (true) or clear (false). */
  error?: boolean;
  avps: AvpExpectation[];
}

/** A mistake in an expectation: `sub` is where inside it (["avps", PATH], ["result"]), `detail` what. */
export class ExpectationError extends Error {
  constructor(
    message: string,
    readonly sub: (string | number)[] = [],
    readonly detail: string = message,
  ) {
    super(message);
  }
}

function bad(where: string, sub: (string | number)[], detail: string): ExpectationError {
  const at = sub.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  return new ExpectationError(`${where}${at}: ${detail}`, sub, detail);
}

const OPERATORS = ['not', 'match', 'absent', 'present', 'count', 'values'] as const;

/** One step of a path: an AVP name and, optionally, which occurrence (0-based). */
export interface PathStep {
  def: AvpDef;
  index?: number;
}

/** "A/B[1]/C" → steps; unknown names are an error naming the path. */
export function parsePath(path: string, dict: Dictionary): PathStep[] {
  if (!path.trim()) throw new ExpectationError('an empty AVP path');
  const segs = path.split('/');
  const inPath = segs.length > 1 ? ` in "${path}"` : '';
  return segs.map((seg) => {
    const m = /^\s*([^[\]\s]+)\s*(?:\[(\d+)\])?\s*$/.exec(seg);
    if (!m) throw new ExpectationError(`"${seg}" is not NAME or NAME[INDEX]${inPath}`);
    const def = dict.avpByName(m[1]!);
    if (!def) throw new ExpectationError(`unknown AVP "${m[1]}"${inPath}`);
    return { def, index: m[2] === undefined ? undefined : Number(m[2]) };
  });
}

/**
 * The AVPs a path selects, in message order. Each step keeps the children named by it of every AVP
 * selected so far; `[i]` then keeps only the i-th of those.
 */
export function selectAvps(avps: readonly Avp[], steps: readonly PathStep[]): Avp[] {
  let level: readonly Avp[] = avps;
  let picked: Avp[] = [];
  for (const [n, s] of steps.entries()) {
    picked = level.filter((a) => a.code === s.def.code && a.vendorId === s.def.vendorId);
    if (s.index !== undefined) picked = picked[s.index] ? [picked[s.index]!] : [];
    if (n < steps.length - 1) level = picked.flatMap((a) => a.avps ?? []);
  }
  return picked;
}

/**
 * Reads the YAML/JSON form of an expectation: `{result, error, avps: {PATH: VALUE | {OPERATOR: …}}}`.
 * Values are not yet read as AVP types (they may hold placeholders); `checkValueForms` does that.
 */
export function parseExpectation(raw: unknown, dict: Dictionary, where: string): Expectation {
  if (raw === null || raw === undefined) return { avps: [] };
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw bad(where, [], 'expected a mapping with result, error, avps');
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r))
    if (!['result', 'error', 'avps'].includes(k))
      throw bad(where, [k], 'unknown key (expected result, error, avps)');
  const out: Expectation = { avps: [] };
  if (r.result === 'any') out.result = 'any';
  else if (r.result !== undefined) {
    const list = Array.isArray(r.result) ? r.result : [r.result];
    out.result = list.map((x) => {
      const n = typeof x === 'number' ? x : typeof x === 'string' && /^\d+$/.test(x) ? Number(x) : NaN;
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
        throw bad(
          where,
          ['result'],
          `expected a Result-Code number, a list of them or "any", got ${JSON.stringify(x)}`,
        );
      return n;
    });
  }
  if (r.error !== undefined) {
    if (typeof r.error !== 'boolean') throw bad(where, ['error'], 'expected true or false');
    out.error = r.error;
  }
  if (r.avps !== undefined) {
    if (!r.avps || typeof r.avps !== 'object' || Array.isArray(r.avps))
      throw bad(where, ['avps'], 'expected a mapping of AVP path to expected value');
    for (const [path, v] of Object.entries(r.avps as Record<string, unknown>)) {
      try {
        parsePath(path, dict);
        out.avps.push({ path, check: parseCheck(v as JsonValue) });
      } catch (e) {
        throw bad(where, ['avps', path], (e as Error).message);
      }
    }
  }
  return out;
}

function parseCheck(v: JsonValue): ValueCheck {
  if (v === null) throw new ExpectationError('no value (for "not there" write {absent: true})');
  if (typeof v !== 'object' || Array.isArray(v)) return { equals: v };
  const keys = Object.keys(v);
  const op = keys.find((k) => (OPERATORS as readonly string[]).includes(k));
  if (!op) return { equals: v }; // {hex: …} or {family, hex}: a value form
  if (keys.length !== 1) throw new ExpectationError(`"${op}" stands alone (got keys ${keys.join(', ')})`);
  const x = v[op]!;
  switch (op) {
    case 'absent':
    case 'present':
      if (x !== true) throw new ExpectationError(`write {${op}: true}`);
      return op === 'absent' ? { absent: true } : { present: true };
    case 'match':
      if (typeof x !== 'string') throw new ExpectationError('match: expected a regular expression string');
      try {
        new RegExp(x);
      } catch (e) {
        throw new ExpectationError(`match: ${(e as Error).message}`);
      }
      return { match: x };
    case 'count':
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0)
        throw new ExpectationError('count: expected a whole number');
      return { count: x };
    case 'values':
      if (!Array.isArray(x))
        throw new ExpectationError('values: expected a list (one value per occurrence, in order)');
      return { values: x };
    default:
      return { not: x };
  }
}

/** The typed AVP an expected value stands for; throws a message naming the path when it is no such value. */
function expectedAvp(def: AvpDef, v: JsonValue, dict: Dictionary, path: string): Avp {
  try {
    return avpFromJson({ [def.name]: v }, dict, path);
  } catch (e) {
    const detail = (e as Error).message.replace(/^[A-Z_]+: /, '').replace(/^[^:]*: /, '');
    throw new ExpectationError(`${path}: ${detail}`, ['avps', path], detail);
  }
}

/** Every value an expectation compares (equals, not, values) must read as its AVP's type. */
export function checkValueForms(e: Expectation, dict: Dictionary, skip: (v: JsonValue) => boolean): void {
  for (const { path, check } of e.avps) {
    const def = parsePath(path, dict).at(-1)!.def;
    const vals =
      'equals' in check
        ? [check.equals]
        : 'not' in check
          ? [check.not]
          : 'values' in check
            ? check.values
            : [];
    for (const v of vals) if (!skip(v)) expectedAvp(def, v, dict, path);
  }
}

function valueBytes(a: Avp, def: AvpDef): Buffer | undefined {
  if (a.data) return Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  if (a.value === undefined) return undefined;
  const w = new Writer(64);
  DATA_CODECS[a.type ?? def.type].encode(w, a.value);
  return w.finish();
}

/** Same AVP value: octet for octet, Grouped AVPs child by child (flags are not compared). */
function sameValue(actual: Avp, expected: Avp, dict: Dictionary): boolean {
  const def = dict.avp(expected.code, expected.vendorId);
  if (expected.avps) {
    const kids = actual.avps;
    if (!kids || kids.length !== expected.avps.length) return false;
    return expected.avps.every(
      (e, i) => kids[i]!.code === e.code && kids[i]!.vendorId === e.vendorId && sameValue(kids[i]!, e, dict),
    );
  }
  if (!def) return false;
  const a = valueBytes(actual, def);
  const b = valueBytes(expected, def);
  return a !== undefined && b !== undefined && a.equals(b);
}

/** The value as the message form writes it, as text: what `match` is tried against. */
function textForm(a: Avp, dict: Dictionary): string {
  const j = avpToJson(a, dict);
  const def = dict.avp(a.code, a.vendorId);
  const body = def && def.name in j ? j[def.name]! : (j.value ?? j.avps ?? j.hex ?? null);
  return typeof body === 'string' ? body : JSON.stringify(body);
}

function shown(v: JsonValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function got(found: Avp[], dict: Dictionary): string {
  if (found.length === 0) return 'nothing (no such AVP)';
  const first = formatAvpValue(found[0]!, dict);
  return found.length === 1 ? first : `${first} (first of ${found.length})`;
}

/**
 * Checks an answer; returns one line per unmet expectation, each naming the path (or "Result-Code",
 * "E bit"), the expected and the actual value. Empty when all hold.
 */
export function checkAnswer(answer: Message, e: Expectation, dict: Dictionary): string[] {
  const out: string[] = [];
  if (e.result && e.result !== 'any') {
    const rc = resultCodeOf(answer);
    if (rc === undefined || !e.result.includes(rc))
      out.push(
        `Result-Code: expected ${e.result.map(describeResultCode).join(' or ')}, got ${describeResultCode(rc)}`,
      );
  }
  if (e.error !== undefined) {
    const set = (answer.flags & FLAG_E) !== 0;
    if (set !== e.error)
      out.push(`E bit: expected ${e.error ? 'set (protocol error)' : 'clear'}, got ${set ? 'set' : 'clear'}`);
  }
  for (const { path, check } of e.avps) {
    let steps: PathStep[];
    try {
      steps = parsePath(path, dict);
    } catch (err) {
      out.push((err as Error).message);
      continue;
    }
    const def = steps.at(-1)!.def;
    const found = selectAvps(answer.avps, steps);
    try {
      if ('absent' in check) {
        if (found.length) out.push(`${path}: expected absent, got ${got(found, dict)}`);
      } else if ('present' in check) {
        if (!found.length) out.push(`${path}: expected present, got ${got(found, dict)}`);
      } else if ('count' in check) {
        if (found.length !== check.count)
          out.push(`${path}: expected ${check.count} occurrence(s), got ${found.length}`);
      } else if ('match' in check) {
        const re = new RegExp(check.match);
        if (!found.length || !re.test(textForm(found[0]!, dict)))
          out.push(`${path}: expected to match /${check.match}/, got ${got(found, dict)}`);
      } else if ('equals' in check) {
        const want = expectedAvp(def, check.equals, dict, path);
        if (!found.length || !sameValue(found[0]!, want, dict))
          out.push(`${path}: expected ${shown(check.equals)}, got ${got(found, dict)}`);
      } else if ('not' in check) {
        const unwanted = expectedAvp(def, check.not, dict, path);
        if (found.length && sameValue(found[0]!, unwanted, dict))
          out.push(`${path}: expected anything but ${shown(check.not)}, got ${got(found, dict)}`);
      } else {
        const wants = check.values.map((v) => expectedAvp(def, v, dict, path));
        const ok = wants.length === found.length && wants.every((w, i) => sameValue(found[i]!, w, dict));
        if (!ok)
          out.push(
            `${path}: expected the values [${check.values.map(shown).join(', ')}], got [${found.map((a) => formatAvpValue(a, dict)).join(', ')}]`,
          );
      }
    } catch (err) {
      out.push((err as Error).message);
    }
  }
  return out;
}
