/**
 * What the metrics need from a frame, read straight from its bytes: the header fields and an answer's
 * Result-Code. The diagnostics events carry the frame (`bytes`) but not always a decoded message (the
 * node writes most answers as bytes it encoded itself), and a walk over the top-level AVP headers is
 * cheaper than any decode. Nothing here allocates.
 */
import { Code } from '../dictionary/codes.js';

/** RFC 6733 §3: the R bit of Command Flags. */
export const HEADER_FLAG_R = 0x80;
/** RFC 6733 §4.1: the V bit of AVP Flags (an 8-octet AVP header with Vendor-ID). */
const AVP_FLAG_V = 0x80;

/** RFC 6733 §3 header layout: Version 1, Message Length 3, Flags 1, Command Code 3, Application-ID 4, Hop-by-Hop 4, End-to-End 4. */
export function frameFlags(b: Uint8Array): number {
  return b.length >= 20 ? b[4]! : 0;
}

export function frameCommand(b: Uint8Array): number {
  return b.length >= 20 ? (b[5]! << 16) | (b[6]! << 8) | b[7]! : 0;
}

export function frameApplication(b: Uint8Array): number {
  return b.length >= 20 ? u32(b, 8) : 0;
}

export function frameHopByHop(b: Uint8Array): number {
  return b.length >= 20 ? u32(b, 12) : 0;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/**
 * The Result-Code of an answer (RFC 6733 §7.1), or the Experimental-Result-Code inside Experimental-Result
 * (§7.6) when the answer carries that instead; 0 when it has neither or the AVPs do not parse.
 */
export function frameResultCode(b: Uint8Array): number {
  const end = Math.min(b.length, b.length >= 20 ? (b[1]! << 16) | (b[2]! << 8) | b[3]! : 0);
  return findResult(b, 20, end, false);
}

function findResult(b: Uint8Array, at: number, end: number, inExperimental: boolean): number {
  while (at + 8 <= end) {
    const code = u32(b, at);
    const flags = b[at + 4]!;
    const len = (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!;
    const vendor = (flags & AVP_FLAG_V) !== 0;
    const hdr = vendor ? 12 : 8;
    if (len < hdr || at + len > end) return 0;
    if (!vendor) {
      if (!inExperimental && code === Code.RESULT_CODE && len === 12) return u32(b, at + 8);
      if (inExperimental && code === Code.EXPERIMENTAL_RESULT_CODE && len === 12) return u32(b, at + 8);
      if (!inExperimental && code === Code.EXPERIMENTAL_RESULT) {
        const rc = findResult(b, at + 8, at + len, true);
        if (rc !== 0) return rc;
      }
    }
    // §4.1: each AVP is padded to a multiple of four octets.
    at += (len + 3) & ~3;
  }
  return 0;
}
