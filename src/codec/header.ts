/**
 * The 20-octet message header (RFC 6733 §3; base-protocol.md §2).
 */
import { DiameterError } from './errors.js';
import { HEADER_LENGTH } from './types.js';

export interface Header {
  version: number;
  length: number;
  flags: number;
  commandCode: number;
  applicationId: number;
  hopByHopId: number;
  endToEndId: number;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Reads the header without judging it (the framer and decoder judge). */
export function readHeader(b: Uint8Array, o = 0): Header {
  if (b.length - o < HEADER_LENGTH) {
    throw new DiameterError('HEADER_TRUNCATED', `only ${b.length - o} octets`, { offset: o });
  }
  return {
    version: b[o]!,
    length: (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!,
    flags: b[o + 4]!,
    commandCode: (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!,
    applicationId: u32(b, o + 8),
    hopByHopId: u32(b, o + 12),
    endToEndId: u32(b, o + 16),
  };
}

/** The Message Length field of a header starting at `o` (24 bits after the version octet). */
export function messageLength(b: Uint8Array, o = 0): number {
  return (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}
