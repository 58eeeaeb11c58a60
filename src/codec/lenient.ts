/**
 * A best-effort read of a message that failed to decode: the header and the top-level AVPs that can be
 * walked before the first malformed one, all raw. The node uses it to copy Session-Id and Proxy-Info
 * into the error answer (RFC 6733 §6.2) even when the request is broken.
 */
import { readHeader } from './header.js';
import { AVP_V, HEADER_LENGTH, type Avp, type Message } from './types.js';

export function decodeLenient(b: Buffer): Message {
  const h = readHeader(b);
  const end = Math.min(b.length, Math.max(HEADER_LENGTH, h.length));
  const avps: Avp[] = [];
  let o = HEADER_LENGTH;
  while (end - o >= 8) {
    const code = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
    const flags = b[o + 4]!;
    const len = (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!;
    const hdr = flags & AVP_V ? 12 : 8;
    if (len < hdr || o + len > end) break;
    const vendorId = hdr === 12 ? ((b[o + 8]! << 24) | (b[o + 9]! << 16) | (b[o + 10]! << 8) | b[o + 11]!) >>> 0 : 0;
    avps.push({ code, flags, vendorId, data: b.subarray(o + hdr, o + len) });
    o += (len + 3) & ~3;
  }
  return { ...h, avps, raw: b };
}
