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
  if (b.length < HEADER_LENGTH) readHeader(b); // throws HEADER_TRUNCATED
  const version = b[0]!;
  const length = (b[1]! << 16) | (b[2]! << 8) | b[3]!;
  if (version !== 1) throw new DiameterError('HEADER_BAD_VERSION', `version ${version}`, { offset: 0 });
  if (length < HEADER_LENGTH || (length & 3) !== 0 || length !== b.length) {
    throw new DiameterError('HEADER_LENGTH_MISMATCH', `Message Length ${length} for ${b.length} octets`, {
      offset: 1,
    });
  }
  // The header fields are read in place (header.ts readHeader's layout) rather than through a Header
  // object made and dropped per message.
  return {
    version,
    flags: b[4]!,
    commandCode: (b[5]! << 16) | (b[6]! << 8) | b[7]!,
    applicationId: u32(b, 8),
    hopByHopId: u32(b, 12),
    endToEndId: u32(b, 16),
    avps: decodeAvps(b, HEADER_LENGTH, length, resolve),
    raw: b,
  };
}

function u32(b: Buffer, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
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
    writeMessage(w, m);
    return w.finish();
  } finally {
    if (w.buf.length <= SCRATCH_KEEP_MAX) scratch = w;
  }
}

/**
 * Appends one encoded message at the Writer's position (a connection's output batch), with no copy of its
 * own; the Message Length is back-patched. On an error the Writer's position is left where it was.
 */
export function writeMessage(w: Writer, m: Message): void {
  const start = w.pos;
  try {
    w.u32(0x01000000); // version 1, length patched below
    w.flagsAndLength(m.flags, m.commandCode);
    w.u32(m.applicationId);
    w.u32(m.hopByHopId);
    w.u32(m.endToEndId);
    encodeAvps(w, m.avps);
  } catch (e) {
    w.pos = start;
    throw e;
  }
  w.patchLength24(start, w.pos - start);
}
