/**
 * What a behaviour rule's `match` compiles to (rules.ts runs it): one test per field, compiled against the
 * dictionary once (names → codes, values → the AVP's type) so that matching a request is a few numeric
 * comparisons, and the window in which the rule is active.
 */
import type { Avp, AvpValue, Message } from '../codec/types.js';
import { getAvps } from '../dictionary/accessors.js';
import { Code } from '../dictionary/codes.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import type { AvpDef } from '../dictionary/types.js';
import { RuleError, type RuleMatch, type RuleWindow, type ValueMatch } from './rule-spec.js';
import { instant, isU32, seconds, show } from './rule-values.js';

export type Test = (m: Message) => boolean;

/** The tests of a rule's `match` (application, command, record type, Session-Id, AVP paths), in that order. */
export function compileTests(dict: Dictionary, m: RuleMatch): Test[] {
  const tests: Test[] = [];
  if (m.application !== undefined) {
    const app = typeof m.application === 'number' ? m.application : dict.applicationByName(m.application)?.id;
    if (app === undefined || !isU32(app))
      throw new RuleError(`unknown application "${m.application}"`, ['match', 'application']);
    tests.push((r) => r.applicationId === app);
  }
  if (m.command !== undefined) {
    const code = typeof m.command === 'number' ? m.command : dict.commandByName(m.command)?.code;
    if (code === undefined || !Number.isInteger(code) || code < 0 || code > 0xffffff)
      throw new RuleError(`unknown command "${m.command}"`, ['match', 'command']);
    tests.push((r) => r.commandCode === code);
  }
  if (m.recordType !== undefined) tests.push(recordTypeTest(dict, m.recordType));
  if (m.sessionId !== undefined) {
    const def = dict.avp(Code.SESSION_ID)!;
    const t = valueTest(dict, def, m.sessionId, ['match', 'sessionId']);
    tests.push((r) => t(topLevel(r, Code.SESSION_ID)));
  }
  for (const [path, v] of Object.entries(m.avp ?? {})) {
    const where = ['match', 'avp', path];
    const def = pathDef(dict, path, where);
    const t = valueTest(dict, def, v, where);
    tests.push((r) => t(getAvps(r, path, dict)));
  }
  return tests;
}

/** When the rule is active, [start, end) in ms since the epoch; `after` and `for` count from `addedAt`. */
export function compileWindow(
  w: RuleWindow | undefined,
  addedAt: number,
): { windowStart: number; windowEnd: number } {
  let windowStart = -Infinity;
  let windowEnd = Infinity;
  if (w) {
    if (w.from !== undefined)
      windowStart = Math.max(windowStart, instant(w.from, ['match', 'window', 'from']));
    if (w.until !== undefined)
      windowEnd = Math.min(windowEnd, instant(w.until, ['match', 'window', 'until']));
    const after = w.after === undefined ? 0 : seconds(w.after, ['match', 'window', 'after']);
    if (w.after !== undefined) windowStart = Math.max(windowStart, addedAt + after);
    if (w.for !== undefined)
      windowEnd = Math.min(windowEnd, addedAt + after + seconds(w.for, ['match', 'window', 'for']));
  }
  return { windowStart, windowEnd };
}

function recordTypeTest(dict: Dictionary, v: number | string | (number | string)[]): Test {
  const def = dict.avp(Code.ACCOUNTING_RECORD_TYPE)!;
  const list = Array.isArray(v) ? v : [v];
  const wanted = new Set<number>();
  for (const [i, x] of list.entries()) {
    const where = Array.isArray(v) ? ['match', 'recordType', i] : ['match', 'recordType'];
    let n: number | undefined;
    if (typeof x === 'number') n = x;
    else if (typeof x === 'string') {
      const name = x.toUpperCase();
      n = dict.enumValue(def, name) ?? dict.enumValue(def, `${name}_RECORD`);
      if (n === undefined && /^\d+$/.test(x)) n = Number(x);
    }
    if (n === undefined || !(n >= 1 && n <= 4))
      throw new RuleError(
        `expected an Accounting-Record-Type (1-4 or ${[...(def.enums?.values() ?? [])].join(', ')}), got ${show(x)}`,
        where,
      );
    wanted.add(n);
  }
  return (r) => {
    const a = topLevel(r, Code.ACCOUNTING_RECORD_TYPE)[0];
    return a !== undefined && typeof a.value === 'number' && wanted.has(a.value);
  };
}

function pathDef(dict: Dictionary, path: string, where: (string | number)[]): AvpDef {
  let def: AvpDef | undefined;
  const parts = path.split('/');
  for (const [i, p] of parts.entries()) {
    def = dict.avpByName(p.trim());
    if (!def) throw new RuleError(`unknown AVP "${p.trim()}" in path "${path}"`, where);
    if (i < parts.length - 1 && def.type !== 'Grouped')
      throw new RuleError(`"${def.name}" is not a Grouped AVP, so "${path}" goes nowhere`, where);
  }
  if (!def) throw new RuleError('expected an AVP path', where);
  return def;
}

/** A test over the AVPs found at one path. */
function valueTest(
  dict: Dictionary,
  def: AvpDef,
  v: ValueMatch,
  where: (string | number)[],
): (avps: Avp[]) => boolean {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    if ('present' in v) {
      if (typeof v.present !== 'boolean') throw new RuleError('expected present: true or false', where);
      const want = v.present;
      return (avps) => avps.length > 0 === want;
    }
    if ('regex' in v) {
      let re: RegExp;
      try {
        re = new RegExp(v.regex);
      } catch (e) {
        throw new RuleError(`invalid regular expression: ${(e as Error).message}`, where);
      }
      if (def.type === 'Grouped')
        throw new RuleError(`${def.name} is Grouped: match it with { present: true|false }`, where);
      return (avps) => avps.some((a) => re.test(textOf(a, def, dict)));
    }
    throw new RuleError('expected a value, a list of values, { regex } or { present }', where);
  }
  if (def.type === 'Grouped')
    throw new RuleError(`${def.name} is Grouped: match it with { present: true|false }`, where);
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) throw new RuleError('expected at least one value', where);
  const eq = list.map((x, i) => equalTest(dict, def, x, Array.isArray(v) ? [...where, i] : where));
  return (avps) => {
    for (const a of avps) for (const e of eq) if (e(a)) return true;
    return false;
  };
}

/** Equality with one expected value, converted once to the AVP's type. */
function equalTest(
  dict: Dictionary,
  def: AvpDef,
  x: string | number,
  where: (string | number)[],
): (a: Avp) => boolean {
  if (typeof x !== 'string' && typeof x !== 'number')
    throw new RuleError(`expected a string or number, got ${show(x)}`, where);
  switch (def.type) {
    case 'Integer32':
    case 'Unsigned32':
    case 'Float32':
    case 'Float64':
    case 'Enumerated': {
      let n =
        typeof x === 'number' ? x : x.trim() !== '' && Number.isFinite(Number(x)) ? Number(x) : undefined;
      if (n === undefined && def.type === 'Enumerated') n = dict.enumValue(def, x as string);
      if (n === undefined)
        throw new RuleError(
          `${def.name} is ${def.type}: expected a number${def.type === 'Enumerated' ? ' or one of its names' : ''}, got ${show(x)}`,
          where,
        );
      const want = n;
      return (a) => a.value === want;
    }
    case 'Integer64':
    case 'Unsigned64': {
      let want: bigint;
      try {
        want = BigInt(typeof x === 'number' ? x : x.trim());
      } catch {
        throw new RuleError(`${def.name} is ${def.type}: expected a whole number, got ${show(x)}`, where);
      }
      return (a) => a.value === want;
    }
    case 'Time': {
      const ms = typeof x === 'number' ? x * 1000 : Date.parse(x);
      if (!Number.isFinite(ms))
        throw new RuleError(`${def.name} is Time: expected an ISO 8601 date-time, got ${show(x)}`, where);
      return (a) => a.value instanceof Date && a.value.getTime() === ms;
    }
    default: {
      // Text and octets: YAML reads 46700000001 as a number; the AVP holds the digits as text.
      const want = String(x);
      return (a) => textOf(a, def, dict) === want;
    }
  }
}

function topLevel(m: Message, code: number): Avp[] {
  const out: Avp[] = [];
  for (const a of m.avps) if (a.code === code && a.vendorId === 0) out.push(a);
  return out;
}

/** An AVP value as text, for `regex` and for text equality. */
function textOf(a: Avp, def: AvpDef, dict: Dictionary): string {
  const v: AvpValue | undefined = a.value;
  if (v === undefined)
    return a.data ? Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).toString('utf8') : '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number')
    return def.type === 'Enumerated' ? (dict.enumName(def, v) ?? String(v)) : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  if ('text' in v) return v.text;
  return Buffer.from(v.bytes).toString('hex');
}
