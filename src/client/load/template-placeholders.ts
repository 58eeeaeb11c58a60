/**
 * The placeholders of a load template (acr-template.ts): filled in when the template is compiled, and for
 * the values that change per session or per request (the session number, ${sent}, ${sessionStart},
 * ${sinceLast}) written as sentinels first, then found in the encoded octets, so that each request patches
 * them in place without encoding anything.
 */
import type { JsonValue } from '../../dictionary/message-format.js';
import type { TemplateVars } from './acr-template.js';

/** Seconds between the NTP era 0 (1900) and 1970: Time values are NTP seconds (RFC 6733 §4.3.1). */
export const NTP_OFFSET = 2208988800;

export const SESSION_NUMBER_DIGITS = 10;
/** Stands for the session number while the template is encoded: ten control characters no real value has. */
const SENTINEL = '\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000e\u000f';
const SENTINEL_BYTES = Buffer.from(SENTINEL, 'latin1');

export class TemplateError extends Error {}

/**
 * ${sent} and ${sessionStart} are encoded as these instants, whose Time values (NTP seconds, RFC 6733
 * §4.3.1) are then found in the bytes and patched per request, as the session number is. 2011-06-15 at
 * 10:35:13 and 10:35:14 UTC: a template naming those very seconds is refused, not misread (counts checked).
 */
const SENT_NTP = 0xd1a30001;
const SESSION_START_NTP = 0xd1a30002;
/** ${sinceLast}, an Unsigned32, is encoded as this number and found the same way. */
const SINCE_LAST_VALUE = 0xd1a30003;

function ntpIso(ntp: number): string {
  return new Date((ntp - NTP_OFFSET) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** How many session numbers, ${sent}, ${sessionStart} and ${sinceLast} the substitution placed. */
export interface Placed {
  n: number;
  sent: number;
  start: number;
  since: number;
}

/** Replaces the placeholders of every string in a JSON value; counts session-number sentinels. */
export function substitute(
  v: JsonValue,
  vars: TemplateVars,
  nowMs: number,
  count: Placed,
  where: string,
): JsonValue {
  if (typeof v === 'string') return substituteString(v, vars, nowMs, count, where);
  if (Array.isArray(v)) return v.map((x, i) => substitute(x, vars, nowMs, count, `${where}[${i}]`));
  if (v && typeof v === 'object') {
    const out: { [k: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v)) out[k] = substitute(x, vars, nowMs, count, `${where}/${k}`);
    return out;
  }
  return v;
}

const PLACEHOLDERS = [
  'session',
  'sessionNumber',
  'originHost',
  'originRealm',
  'destinationRealm',
  'now',
  'epoch',
  'sent',
  'sessionStart',
  'sinceLast',
];

function substituteString(
  s: string,
  vars: TemplateVars,
  nowMs: number,
  count: Placed,
  where: string,
): string {
  if (!s.includes('${')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '$' && s[i + 2] === '{') {
      out += '${';
      i += 2;
      continue;
    }
    if (s[i] !== '$' || s[i + 1] !== '{') {
      out += s[i];
      continue;
    }
    const end = s.indexOf('}', i + 2);
    if (end < 0) throw new TemplateError(`${where}: unclosed "\${" in "${s}"`);
    const name = s.slice(i + 2, end).trim();
    i = end;
    switch (name) {
      case 'session':
        out += `${sessionPrefix(vars)}${SENTINEL}`;
        count.n++;
        break;
      case 'sessionNumber':
        out += SENTINEL;
        count.n++;
        break;
      case 'originHost':
        out += vars.originHost;
        break;
      case 'originRealm':
        out += vars.originRealm;
        break;
      case 'destinationRealm':
        out += vars.destinationRealm;
        break;
      case 'now':
        out += new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
        break;
      case 'epoch':
        out += String(Math.floor(nowMs / 1000));
        break;
      case 'sent':
        out += ntpIso(SENT_NTP);
        count.sent++;
        break;
      case 'sessionStart':
        out += ntpIso(SESSION_START_NTP);
        count.start++;
        break;
      case 'sinceLast':
        out += String(SINCE_LAST_VALUE);
        count.since++;
        break;
      default:
        throw new TemplateError(
          `${where}: unknown placeholder \${${name}} (a load template knows ${PLACEHOLDERS.map((p) => `\${${p}}`).join(', ')})`,
        );
    }
  }
  return out;
}

/** RFC 6733 §8.8: <DiameterIdentity>;<high 32 bits>;<low 32 bits>; the low part is the session number. */
export function sessionPrefix(vars: TemplateVars): string {
  return `${vars.originHost};${vars.sessionHigh};`;
}

/** Every place `needle` stands in `b`. */
function offsetsOf(b: Buffer, needle: Buffer): number[] {
  const out: number[] = [];
  for (let at = b.indexOf(needle); at >= 0; at = b.indexOf(needle, at + needle.length)) out.push(at);
  return out;
}

function u32Bytes(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
}

export function newPlaced(): Placed {
  return { n: 0, sent: 0, start: 0, since: 0 };
}

/** A Session-Id added to a template that has none: patched per session like ${session}. */
export function sessionIdToPatch(vars: TemplateVars): string {
  return `${sessionPrefix(vars)}${SENTINEL}`;
}

/** Where the patched values are in a compiled template's octets (CompiledAcr). */
export interface PlacedOffsets {
  numberOffsets: number[];
  sentOffsets: number[];
  sessionStartOffsets: number[];
  sinceLastOffsets: number[];
}

/**
 * Finds the sentinels the substitution placed (`count`) in the encoded template and checks that each
 * stands where it can be patched: every one found, none more. Until patched, the session number reads as
 * zeros, the times as the compile time (like ${now}) and ${sinceLast} as 0.
 */
export function locatePlaced(bytes: Buffer, count: Placed, where: string, nowMs: number): PlacedOffsets {
  const numberOffsets = offsetsOf(bytes, SENTINEL_BYTES);
  if (numberOffsets.length !== count.n) {
    throw new TemplateError(
      `${where}: \${session}/\${sessionNumber} may only stand in string values (${count.n} placed, ${numberOffsets.length} found in the encoded message)`,
    );
  }
  const sentOffsets = offsetsOf(bytes, u32Bytes(SENT_NTP));
  const sessionStartOffsets = offsetsOf(bytes, u32Bytes(SESSION_START_NTP));
  if (sentOffsets.length !== count.sent || sessionStartOffsets.length !== count.start) {
    throw new TemplateError(
      `${where}: \${sent} and \${sessionStart} may only be the whole value of a Time AVP (placed ${count.sent} and ${count.start}, found ${sentOffsets.length} and ${sessionStartOffsets.length} in the encoded message)`,
    );
  }
  const sinceLastOffsets = offsetsOf(bytes, u32Bytes(SINCE_LAST_VALUE));
  if (sinceLastOffsets.length !== count.since) {
    throw new TemplateError(
      `${where}: \${sinceLast} may only be the whole value of an Unsigned32 AVP (placed ${count.since}, found ${sinceLastOffsets.length} in the encoded message)`,
    );
  }
  for (const o of numberOffsets) bytes.write('0'.repeat(SESSION_NUMBER_DIGITS), o, 'latin1');
  const compiled = Math.floor(nowMs / 1000) + NTP_OFFSET;
  for (const o of [...sentOffsets, ...sessionStartOffsets]) bytes.writeUInt32BE(compiled >>> 0, o);
  for (const o of sinceLastOffsets) bytes.writeUInt32BE(0, o);
  return { numberOffsets, sentOffsets, sessionStartOffsets, sinceLastOffsets };
}
