/**
 * One {encode, decode} pair per RFC 6733 data type (§4.2 basic, §4.3 derived).
 * decode() takes the AVP's data octets (a view, no padding) and returns the typed value or throws a
 * ValueError naming what is wrong; the AVP decoder turns that into a DiameterError with Failed-AVP.
 * encode() appends the data octets (no padding) to a Writer.
 */
import { isUtf8 } from 'node:buffer';
import { FAMILY_IPV4, decodeAddress, encodeAddress } from './address.js';
import { DiameterError, type ErrorCodeName } from './errors.js';
import { decodeTime, encodeTime } from './time.js';
import type { AvpValue, DataType, DiameterUri, OtherAddress } from './types.js';
import { formatDiameterUri, parseDiameterUri } from './uri.js';
import type { Writer } from './writer.js';

export class ValueError extends Error {
  constructor(
    readonly code: ErrorCodeName,
    detail: string,
  ) {
    super(detail);
  }
}

export interface DataCodec {
  /** Fixed data size in octets, or -1 for variable. Also the Failed-AVP minimum size for 5005 (§9.4). */
  readonly size: number;
  decode(d: Buffer): AvpValue;
  encode(w: Writer, v: AvpValue): void;
}

function fixed(d: Buffer, n: number, type: string): void {
  if (d.length !== n) throw new ValueError('AVP_BAD_SIZE', `${type} needs ${n} octets, got ${d.length}`);
}

function bad(type: string, v: unknown): never {
  throw new DiameterError('ENCODE_BAD_VALUE', `${type} cannot hold ${typeof v === 'bigint' ? `${v}n` : JSON.stringify(v)}`);
}

function asInt(v: AvpValue, type: string, min: number, max: number): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) bad(type, v);
  return n;
}

function asBig(v: AvpValue, type: string, min: bigint, max: bigint): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
  else if (typeof v === 'string' && /^-?\d+$/.test(v)) b = BigInt(v);
  else bad(type, v);
  if (b < min || b > max) bad(type, v);
  return b;
}

/** Node's undocumented but stable slice methods skip toString()'s argument checks on the hot path. */
interface FastSlices {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}

/** All of `b` as a latin1 string (one character per octet). */
export function latin1(b: Buffer): string {
  return (b as unknown as FastSlices).latin1Slice(0, b.length);
}

/** Decodes UTF-8 strictly (RFC 6733 §4.3.1: invalid UTF-8 is prohibited → 5004). ASCII takes a fast path. */
export function decodeUtf8(d: Buffer): string {
  const f = d as unknown as FastSlices;
  const n = d.length;
  // OR every octet together: one branch after the loop instead of one per octet.
  let any = 0;
  for (let i = 0; i < n; i++) any |= d[i]!;
  if (any < 0x80) return f.latin1Slice(0, n);
  if (!isUtf8(d)) throw new ValueError('AVP_BAD_UTF8', 'invalid UTF-8');
  return f.utf8Slice(0, n);
}

const octetString: DataCodec = {
  size: 0,
  decode: (d) => d,
  encode(w, v) {
    if (v instanceof Uint8Array) w.bytes(v);
    else if (typeof v === 'string') w.utf8(v);
    else bad('OctetString', v);
  },
};

/** A lone UTF-16 surrogate has no UTF-8 form: refuse it rather than send U+FFFD (RFC 6733 §4.3.1). */
function wellFormed(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

const utf8String: DataCodec = {
  size: 0,
  decode: decodeUtf8,
  encode(w, v) {
    if (typeof v !== 'string' || !wellFormed(v)) bad('UTF8String', v);
    w.utf8(v);
  },
};

const integer32: DataCodec = {
  size: 4,
  decode(d) {
    fixed(d, 4, 'Integer32');
    return d.readInt32BE(0);
  },
  encode(w, v) {
    w.u32(asInt(v, 'Integer32', -0x80000000, 0x7fffffff) >>> 0);
  },
};

const unsigned32: DataCodec = {
  size: 4,
  decode(d) {
    fixed(d, 4, 'Unsigned32');
    return ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
  },
  encode(w, v) {
    w.u32(asInt(v, 'Unsigned32', 0, 0xffffffff));
  },
};

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

const integer64: DataCodec = {
  size: 8,
  decode(d) {
    fixed(d, 8, 'Integer64');
    return d.readBigInt64BE(0);
  },
  encode(w, v) {
    const b = asBig(v, 'Integer64', INT64_MIN, INT64_MAX);
    w.ensure(8);
    w.buf.writeBigInt64BE(b, w.pos);
    w.pos += 8;
  },
};

const unsigned64: DataCodec = {
  size: 8,
  decode(d) {
    fixed(d, 8, 'Unsigned64');
    return d.readBigUInt64BE(0);
  },
  encode(w, v) {
    const b = asBig(v, 'Unsigned64', 0n, UINT64_MAX);
    w.ensure(8);
    w.buf.writeBigUInt64BE(b, w.pos);
    w.pos += 8;
  },
};

const float32: DataCodec = {
  size: 4,
  decode(d) {
    fixed(d, 4, 'Float32');
    return d.readFloatBE(0);
  },
  encode(w, v) {
    if (typeof v !== 'number') bad('Float32', v);
    w.ensure(4);
    w.buf.writeFloatBE(v, w.pos);
    w.pos += 4;
  },
};

const float64: DataCodec = {
  size: 8,
  decode(d) {
    fixed(d, 8, 'Float64');
    return d.readDoubleBE(0);
  },
  encode(w, v) {
    if (typeof v !== 'number') bad('Float64', v);
    w.ensure(8);
    w.buf.writeDoubleBE(v, w.pos);
    w.pos += 8;
  },
};

/**
 * Writes Address data for `s` if it is a dotted-quad IPv4 address in exactly the form net.isIPv4 accepts
 * (four decimal parts 0–255, no leading zeros), without the string splitting and the intermediate array
 * of encodeAddress; returns false, writing nothing, for anything else, which then takes that slower path.
 */
function writeIPv4(w: Writer, s: string): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let addr = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 0x2e; // the end closes the last part like a dot
    if (c === 0x2e) {
      if (digits === 0 || part > 255) return false;
      addr = addr * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && part === 0) return false; // a leading zero
      if (++digits > 3) return false;
      part = part * 10 + (c - 0x30);
    } else return false;
  }
  if (parts !== 4) return false;
  w.u16(FAMILY_IPV4);
  w.u32(addr);
  return true;
}

const address: DataCodec = {
  size: 6,
  decode(d) {
    const a = decodeAddress(d);
    if (a === undefined) {
      if (d.length < 2) throw new ValueError('AVP_BAD_SIZE', `Address needs at least 2 octets, got ${d.length}`);
      throw new ValueError('AVP_BAD_SIZE', `Address family ${(d[0]! << 8) | d[1]!} with ${d.length - 2} address octets`);
    }
    return a;
  },
  encode(w, v) {
    if (typeof v === 'string' && writeIPv4(w, v)) return;
    w.bytes(encodeAddress(v as string | OtherAddress));
  },
};

const time: DataCodec = {
  size: 4,
  decode(d) {
    fixed(d, 4, 'Time');
    return decodeTime(((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0);
  },
  encode(w, v) {
    if (!(v instanceof Date) || Number.isNaN(v.getTime())) bad('Time', v);
    w.u32(encodeTime(v));
  },
};

const diameterUri: DataCodec = {
  size: 0,
  decode(d) {
    const s = decodeUtf8(d);
    const u = parseDiameterUri(s);
    if (!u) throw new ValueError('AVP_BAD_VALUE', `"${s}" is not a DiameterURI`);
    return u;
  },
  encode(w, v) {
    if (typeof v === 'string') {
      if (!parseDiameterUri(v)) bad('DiameterURI', v);
      w.utf8(v);
    } else if (v && typeof v === 'object' && 'scheme' in v) w.utf8(formatDiameterUri(v as DiameterUri));
    else bad('DiameterURI', v);
  },
};

const grouped: DataCodec = {
  size: 0,
  decode: (d) => d,
  encode() {
    throw new DiameterError('ENCODE_NO_TYPE', 'a Grouped AVP is encoded from its children');
  },
};

export const DATA_CODECS: Record<DataType, DataCodec> = {
  OctetString: octetString,
  Integer32: integer32,
  Integer64: integer64,
  Unsigned32: unsigned32,
  Unsigned64: unsigned64,
  Float32: float32,
  Float64: float64,
  Grouped: grouped,
  Address: address,
  Time: time,
  UTF8String: utf8String,
  DiameterIdentity: utf8String,
  DiameterURI: diameterUri,
  Enumerated: integer32,
  IPFilterRule: utf8String,
};

/** Minimum data size of a type: what a synthesized Failed-AVP for 5005 carries (base-protocol.md §9.4). */
export function minimumDataSize(type: DataType): number {
  const s = DATA_CODECS[type].size;
  return type === 'Address' ? 0 : s;
}
