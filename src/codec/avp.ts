/**
 * AVP layout (RFC 6733 §4.1; base-protocol.md §3): walking, decoding and encoding AVPs.
 * Decoding works over views of the message buffer; nothing is copied.
 */
import { DATA_CODECS, ValueError, decodeUtf8, latin1, minimumDataSize } from './data-types.js';
import { DiameterError } from './errors.js';
import { AVP_V, type Avp, type AvpTypeResolver, type AvpValue, type DataType } from './types.js';
import type { Writer } from './writer.js';

/** "code" or "code:vendor", the numeric form of one step of an AVP path. */
export function avpKey(code: number, vendorId: number): string {
  return vendorId ? `${code}:${vendorId}` : `${code}`;
}

function joinPath(parent: string | undefined, code: number, vendorId: number): string {
  const k = avpKey(code, vendorId);
  return parent ? `${parent}/${k}` : k;
}

/**
 * Failed-AVP for a malformed length (base-protocol.md §9.4, 5014): the AVP header, zero-padded to a full
 * header if truncated, with a zero-filled payload of the type's minimum length (empty for Grouped).
 */
function failedForBadLength(code: number, flags: number, vendorId: number, type: DataType | undefined): Avp {
  const n = type ? minimumDataSize(type) : 0;
  return { code, flags, vendorId, data: new Uint8Array(n) };
}

/**
 * The chain of Grouped AVPs enclosing the ones being walked. The path string an error reports is built
 * from it only when an error is thrown, so the walk itself never builds strings.
 */
interface Parent {
  up: Parent | string | undefined;
  code: number;
  vendorId: number;
}

function pathOf(p: Parent | string | undefined): string | undefined {
  return p === undefined || typeof p === 'string' ? p : joinPath(pathOf(p.up), p.code, p.vendorId);
}

type ViewConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Buffer;

/**
 * The class Buffer#subarray itself instantiates (Node's FastBuffer, published as Buffer[Symbol.species] so
 * that typed-array methods return Buffers). Building each AVP's `data` view with it from the ArrayBuffer and
 * offset read once per message gives the same Buffer as `b.subarray(s, e)` without subarray's read of
 * `b.buffer`, a call into C++ that cost about a third of each view. If a Node version stops publishing
 * it, Buffer.from(arrayBuffer, offset, length) builds the same views.
 */
const species = (Buffer as unknown as { [Symbol.species]?: unknown })[Symbol.species];
const makeView: (ab: ArrayBufferLike, byteOffset: number, length: number) => Buffer =
  typeof species === 'function' && species.prototype === Buffer.prototype
    ? (ab, byteOffset, length) => new (species as ViewConstructor)(ab, byteOffset, length)
    : (ab, byteOffset, length) => Buffer.from(ab, byteOffset, length);

/**
 * Messages up to this size decode their ASCII text values as substrings of one latin1 string of the whole
 * message. Bigger ones decode each value on its own, so that a large message with little text is not
 * copied into a string, and a kept value never holds on to more than this many characters.
 */
const WHOLE_TEXT_MAX = 4096;

/** What one message's walk shares across nesting levels. */
interface Walk {
  b: Buffer;
  /** `b.buffer` and `b.byteOffset`, read once per message. */
  ab: ArrayBufferLike;
  base: number;
  resolve: AvpTypeResolver | undefined;
  /** `b` as one latin1 string, made on the first ASCII text value (see textValue). */
  text: string | undefined;
}

/**
 * The value of a text AVP whose data is `b[start, end)`: what decodeUtf8(data) gives, made cheaper. Each
 * string made in C++ (latin1Slice) costs a fixed call overhead larger than copying a short string, so
 * ASCII text (nearly all Diameter text) is cut from one latin1 string of the whole message, made once:
 * ASCII octets are the same characters in latin1 and UTF-8. V8 makes a substring of 13 or more characters
 * a slice that keeps that whole-message string alive, as `data` keeps the message buffer alive
 * (DESIGN.md: views, not copies). Anything else (non-ASCII, or a message over WHOLE_TEXT_MAX) goes
 * through decodeUtf8.
 */
function textValue(w: Walk, start: number, end: number, data: Buffer): string {
  const b = w.b;
  if (b.length > WHOLE_TEXT_MAX) return decodeUtf8(data);
  let any = 0;
  for (let i = start; i < end; i++) any |= b[i]!;
  if (any >= 0x80) return decodeUtf8(data);
  const text = w.text ?? (w.text = latin1(b));
  return text.substring(start, end);
}

/**
 * Decodes the AVPs in `b[start, end)`. With a resolver, Grouped AVPs are decoded recursively and every
 * AVP of a known type gets its typed `value`; unknown AVPs keep only `data`.
 */
export function decodeAvps(
  b: Buffer,
  start: number,
  end: number,
  resolve: AvpTypeResolver | undefined,
  parentPath?: string,
): Avp[] {
  const w: Walk = { b, ab: b.buffer, base: b.byteOffset, resolve, text: undefined };
  return walk(w, start, end, parentPath);
}

function walk(w: Walk, start: number, end: number, parent: Parent | string | undefined): Avp[] {
  const { b, ab, base, resolve } = w;
  const out: Avp[] = [];
  let o = start;
  while (o < end) {
    if (end - o < 8) {
      throw new DiameterError('AVP_TRAILING', `${end - o} octets left after the last AVP`, {
        offset: o,
        path: pathOf(parent),
        failedAvp:
          end - o >= 4 ? { code: readCode(b, o), flags: 0, vendorId: 0, data: new Uint8Array(0) } : undefined,
      });
    }
    const code = readCode(b, o);
    const flags = b[o + 4]!;
    const len = (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!;
    const hasVendor = (flags & AVP_V) !== 0;
    const hdr = hasVendor ? 12 : 8;
    let vendorId = 0;
    if (hasVendor) {
      if (end - o < 12) {
        throw new DiameterError('AVP_OVERRUN', 'AVP header with V bit overruns its container', {
          offset: o,
          path: joinPath(pathOf(parent), code, 0),
          failedAvp: failedForBadLength(code, flags, 0, undefined),
        });
      }
      vendorId = readCode(b, o + 8);
    }
    const info = resolve === undefined ? undefined : resolve(code, vendorId);
    if (len < hdr) {
      throw new DiameterError('AVP_TOO_SHORT', `AVP length ${len} is below its header size ${hdr}`, {
        offset: o,
        path: joinPath(pathOf(parent), code, vendorId),
        failedAvp: failedForBadLength(code, flags, vendorId, info?.type),
      });
    }
    if (o + len > end) {
      throw new DiameterError(
        'AVP_OVERRUN',
        `AVP length ${len} overruns its container by ${o + len - end} octets`,
        {
          offset: o,
          path: joinPath(pathOf(parent), code, vendorId),
          failedAvp: failedForBadLength(code, flags, vendorId, info?.type),
        },
      );
    }
    const data = makeView(ab, base + o + hdr, len - hdr);
    // Each shape is built by one object literal (no properties added later), so every AVP of a shape
    // shares one hidden class and the property order stays code, flags, vendorId, data, type, value|avps.
    let avp: Avp;
    if (info === undefined) {
      avp = { code, flags, vendorId, data };
    } else {
      const type = info.type;
      if (type === 'Grouped') {
        // A Grouped AVP's data is whole child AVPs, each with its padding (RFC 6733 §4.4).
        const avps = walk(w, o + hdr, o + len, { up: parent, code, vendorId });
        avp = { code, flags, vendorId, data, type, avps };
      } else {
        let value: AvpValue;
        try {
          value =
            type === 'UTF8String' || type === 'DiameterIdentity' || type === 'IPFilterRule'
              ? textValue(w, o + hdr, o + len, data)
              : type === 'Unsigned32' || type === 'Enumerated' || type === 'Integer32'
                ? int32Value(b, o + hdr, data, type)
                : DATA_CODECS[type].decode(data);
        } catch (e) {
          if (!(e instanceof ValueError)) throw e;
          throw new DiameterError(e.code, e.message, {
            offset: o,
            path: joinPath(pathOf(parent), code, vendorId),
            failedAvp: { code, flags, vendorId, data },
          });
        }
        avp = { code, flags, vendorId, data, type, value };
      }
    }
    out.push(avp);
    o += (len + 3) & ~3;
  }
  return out;
}

/**
 * Unsigned32, Integer32 and Enumerated read in place (what their codecs do with the data view), the
 * commonest fixed-size values; a wrong size goes to the codec for its error.
 */
function int32Value(b: Buffer, at: number, data: Buffer, type: DataType): number {
  if (data.length !== 4) return DATA_CODECS[type].decode(data) as number;
  const v = (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
  return type === 'Unsigned32' ? v >>> 0 : v;
}

function readCode(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * Encodes one AVP with its padding. Children (`avps`) make it Grouped; otherwise a typed `value` is
 * encoded by `type`; otherwise raw `data` is written as is. V follows vendorId (RFC 6733 §4.1: never
 * send V with Vendor-ID 0).
 */
export function encodeAvp(w: Writer, avp: Avp): void {
  const start = w.pos;
  const vendor = avp.vendorId;
  const flags = vendor ? avp.flags | AVP_V : avp.flags & ~AVP_V;
  w.u32(avp.code);
  w.flagsAndLength(flags, 0);
  if (vendor) w.u32(vendor);
  if (avp.avps !== undefined) {
    const children = avp.avps;
    for (let i = 0; i < children.length; i++) encodeAvp(w, children[i]!);
  } else if (avp.value !== undefined && avp.type !== undefined) {
    DATA_CODECS[avp.type].encode(w, avp.value);
  } else if (avp.data !== undefined) {
    w.bytes(avp.data);
  } else {
    throw new DiameterError(
      'ENCODE_NO_TYPE',
      `AVP ${avpKey(avp.code, vendor)} has no data, typed value or children`,
    );
  }
  w.patchLength24(start + 4, w.pos - start);
  w.pad();
}

export function encodeAvps(w: Writer, avps: readonly Avp[]): void {
  for (let i = 0; i < avps.length; i++) encodeAvp(w, avps[i]!);
}
