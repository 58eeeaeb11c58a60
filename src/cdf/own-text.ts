/**
 * Strings a session keeps for its lifetime, made independent of the message they were decoded from. The
 * decoder's text values are slices of one string of the whole message (src/codec/avp.ts textValue), and
 * V8 keeps a sliced string's parent alive: a Session-Id kept as a map key, or an Inter-Operator-Identifier
 * kept until the next INTERIM, would otherwise keep its whole ACR's text alive for as long.
 */

/**
 * A copy of `s` that holds no reference to the string it was cut from. Concatenating builds a new flat
 * string (V8 flattens the cons string to slice it), so what is kept is the value's own characters.
 */
export function ownText(s: string): string {
  return (s + ' ').slice(0, -1);
}

/** A JSON value (as the CDF keeps one) with every string in it, keys aside, replaced by ownText's copy. */
export function ownJson<T>(v: T): T {
  if (typeof v === 'string') return ownText(v) as T;
  if (Array.isArray(v)) return v.map((x: unknown) => ownJson(x)) as T;
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = ownJson((v as Record<string, unknown>)[k]);
    return out as T;
  }
  return v;
}
