/**
 * Reading an answer on the hot path: only its header and its Result-Code (and, with --follow-interim,
 * its Acct-Interim-Interval), straight from the received octets, never decoding the whole message
 * (DESIGN.md, "decode what is read").
 */
import { AVP_V, HEADER_LENGTH } from '../../codec/types.js';
import { Code } from '../../dictionary/codes.js';

/** Returned when an answer carries neither Result-Code nor Experimental-Result-Code. */
export const NO_RESULT_CODE = 0;

/** Returned when an answer carries no (well-formed) Acct-Interim-Interval. */
export const NO_INTERIM_INTERVAL = -1;

export function u32At(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * The Result-Code of the message at `o` (length `len`): the top-level Result-Code (RFC 6733 §7.1), else
 * the Experimental-Result-Code inside a top-level Experimental-Result (§7.6), else NO_RESULT_CODE.
 * AVPs are walked by their headers only; a length that overruns the message ends the walk.
 */
export function readResultCode(b: Uint8Array, o: number, len: number): number {
  const end = o + len;
  let p = o + HEADER_LENGTH;
  let experimental = NO_RESULT_CODE;
  while (p + 8 <= end) {
    const code = u32At(b, p);
    const flags = b[p + 4]!;
    const alen = (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!;
    const vendor = flags & AVP_V;
    const hdr = vendor ? 12 : 8;
    if (alen < hdr || p + alen > end) break;
    if (!vendor || u32At(b, p + 8) === 0) {
      if (code === Code.RESULT_CODE && alen === hdr + 4) return u32At(b, p + hdr);
      if (code === Code.EXPERIMENTAL_RESULT && experimental === NO_RESULT_CODE)
        experimental = experimentalCode(b, p + hdr, p + alen);
    }
    p += (alen + 3) & ~3;
  }
  return experimental;
}

function experimentalCode(b: Uint8Array, p: number, end: number): number {
  while (p + 8 <= end) {
    const code = u32At(b, p);
    const flags = b[p + 4]!;
    const alen = (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!;
    const hdr = flags & AVP_V ? 12 : 8;
    if (alen < hdr || p + alen > end) break;
    if (code === Code.EXPERIMENTAL_RESULT_CODE && !(flags & AVP_V) && alen === hdr + 4)
      return u32At(b, p + hdr);
    p += (alen + 3) & ~3;
  }
  return NO_RESULT_CODE;
}

/**
 * The Acct-Interim-Interval (RFC 6733 §9.8.2, seconds) of the answer at `o` (length `len`): a top-level
 * AVP 85 of vendor 0 with four octets of data, else NO_INTERIM_INTERVAL. Walked like readResultCode, by
 * AVP headers only, so an ACA costs a few comparisons per AVP and allocates nothing.
 */
export function readInterimInterval(b: Uint8Array, o: number, len: number): number {
  const end = o + len;
  let p = o + HEADER_LENGTH;
  while (p + 8 <= end) {
    const code = u32At(b, p);
    const flags = b[p + 4]!;
    const alen = (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!;
    const vendor = flags & AVP_V;
    const hdr = vendor ? 12 : 8;
    if (alen < hdr || p + alen > end) break;
    if (code === Code.ACCT_INTERIM_INTERVAL && alen === hdr + 4 && (!vendor || u32At(b, p + 8) === 0))
      return u32At(b, p + hdr);
    p += (alen + 3) & ~3;
  }
  return NO_INTERIM_INTERVAL;
}
