/**
 * Whole messages: decode bytes → Message, encode Message → bytes (RFC 6733 §3).
 */
import { decodeAvps, encodeAvps } from './avp.js';
import { DiameterError } from './errors.js';
import { readHeader } from './header.js';
import { HEADER_LENGTH, type AvpTypeResolver, type Message } from './types.js';
import { Writer } from './writer.js';

export interface DecodeOptions {
  /** Types by (code, vendor) — usually `dictionary.resolve`. Without it every AVP stays raw. */
  resolve?: AvpTypeResolver;
}

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes one complete message. Throws DiameterError with the Result-Code to answer and Failed-AVP.
 * Checks in the order of base-protocol.md §9.5: version, length, then AVPs. Header-bit semantics (E on a
 * request, §9.5 step 2) are the node's to judge: it still needs the AVPs to build that answer.
 */
export function decodeMessage(bytes: Uint8Array, options: DecodeOptions | AvpTypeResolver = {}): Message {
  const resolve = typeof options === 'function' ? options : options.resolve;
  const b = toBuffer(bytes);
  const h = readHeader(b);
  if (h.version !== 1) throw new DiameterError('HEADER_BAD_VERSION', `version ${h.version}`, { offset: 0 });
  if (h.length < HEADER_LENGTH || (h.length & 3) !== 0 || h.length !== b.length) {
    throw new DiameterError('HEADER_LENGTH_MISMATCH', `Message Length ${h.length} for ${b.length} octets`, {
      offset: 1,
    });
  }
  return {
    version: h.version,
    flags: h.flags,
    commandCode: h.commandCode,
    applicationId: h.applicationId,
    hopByHopId: h.hopByHopId,
    endToEndId: h.endToEndId,
    avps: decodeAvps(b, HEADER_LENGTH, h.length, resolve),
    raw: b,
  };
}

/**
 * One scratch Writer reused by every encode, so a message costs one exact-size copy at the end and no
 * buffer growth. It is taken while in use (a nested encode gets a fresh one) and dropped if a huge
 * message grew it.
 */
let scratch: Writer | undefined;
const SCRATCH_SIZE = 4096;
const SCRATCH_KEEP_MAX = 65536;

/** Encodes a message; the Message Length is back-patched. */
export function encodeMessage(m: Message, sizeHint = 512): Buffer {
  const w = scratch ?? new Writer(Math.max(sizeHint, SCRATCH_SIZE));
  scratch = undefined;
  w.pos = 0;
  try {
    w.u32(0x01000000); // version 1, length patched below
    w.flagsAndLength(m.flags, m.commandCode);
    w.u32(m.applicationId);
    w.u32(m.hopByHopId);
    w.u32(m.endToEndId);
    encodeAvps(w, m.avps);
    w.patchLength24(0, w.pos);
    return w.finish();
  } finally {
    if (w.buf.length <= SCRATCH_KEEP_MAX) scratch = w;
  }
}
