/**
 * Reading the few values the hot path needs from an AVP whether or not the dictionary typed it: the
 * typed `value` when the decoder set one, else the raw data octets (RFC 6733 §4.2: Unsigned32 is 4
 * octets big-endian; UTF8String/DiameterIdentity are UTF-8).
 */
import type { Avp } from './types.js';

export function avpText(a: Avp): string {
  if (typeof a.value === 'string') return a.value;
  return Buffer.from(a.data ?? new Uint8Array(0)).toString('utf8');
}

/** The Unsigned32 value, or undefined when the data is not 4 octets. */
export function avpUnsigned32(a: Avp): number | undefined {
  if (typeof a.value === 'number') return a.value;
  const d = a.data;
  return d && d.length === 4 ? ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0 : undefined;
}
