/**
 * Address (RFC 6733 §4.3.1): a 2-octet IANA address family, then the address. Family 1 = IPv4,
 * 2 = IPv6; anything else (e.g. 8 = E.164) is kept as raw bytes.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { DiameterError } from './errors.js';
import type { OtherAddress } from './types.js';

export const FAMILY_IPV4 = 1;
export const FAMILY_IPV6 = 2;

/** Decodes address data; returns undefined when the data is the wrong size for its family. */
export function decodeAddress(d: Uint8Array): string | OtherAddress | undefined {
  if (d.length < 2) return undefined;
  const family = (d[0]! << 8) | d[1]!;
  if (family === FAMILY_IPV4) {
    if (d.length !== 6) return undefined;
    return `${d[2]}.${d[3]}.${d[4]}.${d[5]}`;
  }
  if (family === FAMILY_IPV6) {
    if (d.length !== 18) return undefined;
    return formatIPv6(d.subarray(2));
  }
  return { family, bytes: d.subarray(2) };
}

/** RFC 5952 text form: lowercase, longest run of ≥ 2 zero groups compressed. */
export function formatIPv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

export function parseIPv6(s: string): Uint8Array {
  let text = s;
  const out = new Uint8Array(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const p = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const hs = head ? head.split(':') : [];
  const ts = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? hs : [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  for (let i = 0; i < 8; i++) {
    const v = parseInt(groups[i]!, 16);
    out[i * 2] = v >>> 8;
    out[i * 2 + 1] = v & 0xff;
  }
  return out;
}

export function encodeAddress(v: string | OtherAddress): Uint8Array {
  if (typeof v === 'string') {
    if (isIPv4(v)) {
      const p = v.split('.').map(Number);
      return Uint8Array.of(0, FAMILY_IPV4, p[0]!, p[1]!, p[2]!, p[3]!);
    }
    if (isIPv6(v)) {
      const out = new Uint8Array(18);
      out[1] = FAMILY_IPV6;
      out.set(parseIPv6(v), 2);
      return out;
    }
    throw new DiameterError('ENCODE_BAD_VALUE', `"${v}" is not an IPv4 or IPv6 address`);
  }
  if (v && typeof v.family === 'number' && v.bytes instanceof Uint8Array) {
    if (!Number.isInteger(v.family) || v.family < 0 || v.family > 0xffff) {
      throw new DiameterError('ENCODE_BAD_VALUE', `Address family ${v.family} is not a 16-bit number`);
    }
    // IPv4/IPv6 given as {family, bytes} must still have their fixed size, or the receiver rejects it (5014).
    const size = v.family === FAMILY_IPV4 ? 4 : v.family === FAMILY_IPV6 ? 16 : -1;
    if (size >= 0 && v.bytes.length !== size) {
      throw new DiameterError(
        'ENCODE_BAD_VALUE',
        `Address family ${v.family} needs ${size} octets, got ${v.bytes.length}`,
      );
    }
    const out = new Uint8Array(2 + v.bytes.length);
    out[0] = (v.family >>> 8) & 0xff;
    out[1] = v.family & 0xff;
    out.set(v.bytes, 2);
    return out;
  }
  throw new DiameterError('ENCODE_BAD_VALUE', 'Address needs an IP string or {family, bytes}');
}
