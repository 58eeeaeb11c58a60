/**
 * Message templates: `${…}` placeholders in the string values of a message (or an expectation), filled in
 * per session and per step. docs/scenarios.md lists what a placeholder may hold:
 *
 *   ${name}                 a variable: session, seq, index, iteration, originHost, …, a scenario variable,
 *                           a value saved from an answer, csv.COLUMN
 *   ${now} ${now+300}       the time now (±seconds), ISO 8601 UTC — what Time AVPs accept
 *   ${epoch} ${epoch-60}    seconds since 1970
 *   ${random(1,100)}        a random integer, both ends included
 *   ${randomHex(8)}         8 random octets as 16 hex digits
 *   ${uuid}                 a random UUID
 *   $${                     a literal "${"
 *
 * Values are always strings: the message form reads numbers, enumerations and times from strings too
 * (docs/message-format.md), so `Accounting-Record-Number: ${seq}` works as written.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';

export type ScopeValue = string | number;

/** Where a template looks names up. */
export interface Scope {
  get(name: string): ScopeValue | undefined;
  /** Names it knows, for the error that names an unknown one. */
  names(): string[];
}

export class TemplateError extends Error {}

const NAME = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/;
const CLOCK = /^(now|epoch)\s*(?:([+-])\s*(\d+))?$/;
const RANDOM = /^random\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)$/;
const RANDOM_HEX = /^randomHex\(\s*(\d+)\s*\)$/;
const UUID = /^uuid(\(\))?$/;

/** Time text as the message form writes it: ISO 8601 UTC, whole seconds. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The pieces of a template string: literal text and `${…}` expressions, in order. */
export function parseTemplate(s: string, where: string): ({ text: string } | { expr: string })[] {
  const out: ({ text: string } | { expr: string })[] = [];
  let text = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '$' && s[i + 2] === '{') {
      text += '${';
      i += 2;
    } else if (s[i] === '$' && s[i + 1] === '{') {
      const end = s.indexOf('}', i + 2);
      if (end < 0) throw new TemplateError(`${where}: "\${" without a closing "}" in ${JSON.stringify(s)}`);
      if (text) out.push({ text });
      text = '';
      const expr = s.slice(i + 2, end).trim();
      if (!expr) throw new TemplateError(`${where}: empty "\${}" in ${JSON.stringify(s)}`);
      out.push({ expr });
      i = end;
    } else text += s[i];
  }
  if (text || out.length === 0) out.push({ text });
  return out;
}

/** True when the expression is a built-in function rather than a name. */
function isBuiltinExpression(expr: string): boolean {
  return CLOCK.test(expr) || RANDOM.test(expr) || RANDOM_HEX.test(expr) || UUID.test(expr);
}

function evaluate(expr: string, scope: Scope, where: string): string {
  let m = CLOCK.exec(expr);
  if (m) {
    const off = m[3] ? Number(m[3]) * (m[2] === '-' ? -1 : 1) : 0;
    const ms = Date.now() + off * 1000;
    return m[1] === 'now' ? isoSeconds(ms) : String(Math.floor(ms / 1000));
  }
  if ((m = RANDOM.exec(expr))) {
    const lo = Number(m[1]);
    const hi = Number(m[2]);
    if (!(lo <= hi) || !Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi - lo >= 2 ** 48)
      throw new TemplateError(`${where}: \${${expr}}: needs min <= max, at most 2^48 apart`);
    return String(randomInt(lo, hi + 1));
  }
  if ((m = RANDOM_HEX.exec(expr))) {
    const n = Number(m[1]);
    if (n < 1 || n > 4096) throw new TemplateError(`${where}: \${${expr}}: 1 to 4096 octets`);
    return randomBytes(n).toString('hex');
  }
  if (UUID.test(expr)) return randomUUID();
  if (!NAME.test(expr))
    throw new TemplateError(`${where}: \${${expr}} is neither a name nor a known function`);
  const v = scope.get(expr);
  if (v === undefined) throw new TemplateError(`${where}: unknown variable \${${expr}}${knownList(scope)}`);
  return String(v);
}

function knownList(scope: Scope): string {
  const names = scope.names();
  return names.length ? ` (known: ${names.join(', ')})` : '';
}

/** Fills every placeholder of one string. */
export function renderString(s: string, scope: Scope, where: string): string {
  if (!s.includes('$')) return s;
  return parseTemplate(s, where)
    .map((p) => ('text' in p ? p.text : evaluate(p.expr, scope, where)))
    .join('');
}

/** Fills every placeholder in the string values of a JSON/YAML tree (keys are left alone); returns a copy. */
export function renderValue<T>(v: T, scope: Scope, where: string): T {
  if (typeof v === 'string') return renderString(v, scope, where) as T;
  if (Array.isArray(v)) return v.map((x, i) => renderValue(x, scope, `${where}[${i}]`)) as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = renderValue(x, scope, `${where}.${k}`);
    return out as T;
  }
  return v;
}

/**
 * Checks, before anything runs, that every placeholder in a tree is a built-in or a name `known` accepts.
 * Calls `report(path, message)` for the first bad one and stops; `path` is the JSON path to the string.
 */
export function checkPlaceholders(
  v: unknown,
  known: (name: string) => boolean,
  report: (path: (string | number)[], message: string) => never,
  path: (string | number)[] = [],
): void {
  if (typeof v === 'string') {
    let parts: ReturnType<typeof parseTemplate>;
    try {
      parts = parseTemplate(v, 'template');
    } catch (e) {
      report(path, (e as Error).message.replace(/^template: /, ''));
    }
    for (const p of parts) {
      if (!('expr' in p) || isBuiltinExpression(p.expr)) continue;
      if (!NAME.test(p.expr)) report(path, `\${${p.expr}} is neither a name nor a known function`);
      if (!known(p.expr)) report(path, `unknown variable \${${p.expr}}`);
    }
  } else if (Array.isArray(v)) v.forEach((x, i) => checkPlaceholders(x, known, report, [...path, i]));
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) checkPlaceholders(x, known, report, [...path, k]);
}

/** True when a string holds at least one placeholder (so its value is known only at run time). */
export function hasPlaceholder(s: string): boolean {
  return parseTemplate(s, 'template').some((p) => 'expr' in p);
}

/** A scope over a chain of maps, searched first to last. */
export class MapScope implements Scope {
  constructor(private readonly layers: ReadonlyMap<string, ScopeValue>[]) {}
  get(name: string): ScopeValue | undefined {
    for (const l of this.layers) {
      const v = l.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  names(): string[] {
    return [...new Set(this.layers.flatMap((l) => [...l.keys()]))];
  }
}
