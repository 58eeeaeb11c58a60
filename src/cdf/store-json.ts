/**
 * The JSON text of the stores' JSON columns (sessions' counters, anomalies and data; CDRs' fields and raw
 * AVPs): the same text in both backends, refusing what one of them could not hold.
 */
import { bad } from './store-checks.js';
import { JsonText } from './json-text.js';
import type { JsonTextSource } from './store.js';

// An escaped NUL that is not itself an escaped backslash followed by "u0000".
const ESCAPED_NUL = /(^|[^\\])(\\\\)*\\u0000/;

/**
 * True when JSON.stringify alone writes `x` faithfully: plain objects, arrays, strings, booleans, null and
 * finite numbers. Checking first lets the common case skip a replacer function, which halves
 * JSON.stringify's speed.
 */
function isPlainJson(x: unknown): boolean {
  switch (typeof x) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(x);
    case 'object': {
      if (x === null) return true;
      if (Array.isArray(x)) {
        for (const e of x) if (!isPlainJson(e)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(x) as unknown;
      if (proto !== Object.prototype && proto !== null) return false;
      for (const k in x) if (!isPlainJson((x as Record<string, unknown>)[k])) return false;
      return true;
    }
    default:
      return false;
  }
}

function replacer(this: Record<string, unknown>, key: string, v: unknown): unknown {
  const raw = this[key];
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`${key}: ${v} is not JSON`);
  if (raw instanceof Uint8Array) throw new Error(`${key}: bytes must be given as hex text`);
  return v;
}

/**
 * The JSON text of a value that already has it: a JsonText (the CDR builder's raw AVPs), or an object that
 * writes its own text (store.ts JsonTextSource, e.g. the session manager's kept data). Writing that text as
 * it is skips JSON.stringify scanning it again, the largest cost of a commit's preparation. Its producer
 * vouches that it is JSON; the NUL check in encodeJson still applies.
 */
function ownJsonText(value: unknown): string | undefined {
  if (value instanceof JsonText) return value.text;
  if (typeof value === 'object' && value !== null) {
    const own = (value as Partial<JsonTextSource>).toJsonText;
    if (typeof own === 'function') return own.call(value);
  }
  return undefined;
}

/** JSON text for a blob column; bigint becomes its decimal string (store.ts JsonValue). */
export function encodeJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text =
      ownJsonText(value) ?? (isPlainJson(value) ? JSON.stringify(value) : JSON.stringify(value, replacer));
  } catch (e) {
    bad(`${what}: ${(e as Error).message}`);
  }
  if (typeof text !== 'string') bad(`${what} is not JSON`);
  return checkedJsonText(text, what);
}

/** JSON text its producer vouches for, checked for what a store cannot hold. */
export function checkedJsonText(text: string, what: string): string {
  // PostgreSQL jsonb refuses \u0000; refuse it in both backends.
  if (text.includes('\\u0000') && ESCAPED_NUL.test(text)) bad(`${what} contains NUL`);
  return text;
}

/** Anomaly names (checked to be strings) as JSON; most records have none. */
export function anomaliesJson(anomalies: string[]): string {
  return anomalies.length === 0 ? '[]' : encodeJson(anomalies, 'anomalies');
}

/** `{"name":"decimal",…}`: each counter as its decimal string (JSON numbers cannot hold 64 bits). */
export function encodeCounters(counters: Record<string, bigint>): string {
  // Written directly: every session write carries its counters, and a bigint's decimal text needs no escaping.
  let text = '{';
  for (const k of Object.keys(counters)) {
    if (text.length > 1) text += ',';
    text += `${JSON.stringify(k)}:"${counters[k]!.toString()}"`;
  }
  return `${text}}`;
}

export function decodeCounters(text: string): Record<string, bigint> {
  const parsed = JSON.parse(text) as Record<string, string>;
  const out: Record<string, bigint> = {};
  for (const [k, v] of Object.entries(parsed)) out[k] = BigInt(v);
  return out;
}
