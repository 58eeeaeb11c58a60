/**
 * The in-memory shapes the codec reads and writes. Pure data: no I/O, no dictionary.
 * Layouts: RFC 6733 §3 (header) and §4 (AVP); see shared/spec/base-protocol.md §2–§4.
 */

/** Command flags (RFC 6733 §3). */
export const FLAG_R = 0x80;
export const FLAG_P = 0x40;
export const FLAG_E = 0x20;
export const FLAG_T = 0x10;

/** AVP flags (RFC 6733 §4.1). */
export const AVP_V = 0x80;
export const AVP_M = 0x40;
export const AVP_P = 0x20;

export const HEADER_LENGTH = 20;

/** The RFC 6733 §4.2/§4.3 data types. */
export type DataType =
  | 'OctetString'
  | 'Integer32'
  | 'Integer64'
  | 'Unsigned32'
  | 'Unsigned64'
  | 'Float32'
  | 'Float64'
  | 'Grouped'
  | 'Address'
  | 'Time'
  | 'UTF8String'
  | 'DiameterIdentity'
  | 'DiameterURI'
  | 'Enumerated'
  | 'IPFilterRule';

/** An Address value whose family is neither IPv4 (1) nor IPv6 (2): kept as raw bytes. */
export interface OtherAddress {
  family: number;
  bytes: Uint8Array;
}

/** A parsed DiameterURI (RFC 6733 §4.3.1). `text` is the exact wire form. */
export interface DiameterUri {
  text: string;
  scheme: 'aaa' | 'aaas';
  host: string;
  port?: number;
  transport?: 'tcp' | 'sctp' | 'udp';
  protocol?: 'diameter' | 'radius' | 'tacacs+';
}

/**
 * A typed AVP value, by data type:
 * OctetString → Uint8Array; Integer32/Unsigned32/Enumerated/Float32/Float64 → number;
 * Integer64/Unsigned64 → bigint; Address → string (IPv4/IPv6 text) or OtherAddress;
 * Time → Date; UTF8String/DiameterIdentity/IPFilterRule → string; DiameterURI → DiameterUri;
 * Grouped → the children live in `Avp.avps`, not in `value`.
 */
export type AvpValue = Uint8Array | number | bigint | string | Date | OtherAddress | DiameterUri;

export interface Avp {
  code: number;
  /** V/M/P bits exactly as on the wire (V is derived from vendorId when encoding). */
  flags: number;
  /** 0 when the V bit is clear. */
  vendorId: number;
  /**
   * Raw value bytes without padding. Set by the decoder (a view into the message buffer);
   * when set on an AVP to encode, it is written as is and `value`/`avps` are ignored.
   */
  data?: Uint8Array;
  /** The data type the value was decoded with or is to be encoded with (from a dictionary). */
  type?: DataType;
  /** Typed value (decoded lazily by accessors, or given when encoding). */
  value?: AvpValue;
  /** Children of a Grouped AVP. */
  avps?: Avp[];
}

export interface Message {
  /** Always 1 on the wire; kept so a decoder error can report what it saw. */
  version: number;
  /** R/P/E/T bits as on the wire (reserved bits kept). */
  flags: number;
  commandCode: number;
  applicationId: number;
  hopByHopId: number;
  endToEndId: number;
  avps: Avp[];
  /** The bytes this message was decoded from, when it was decoded. */
  raw?: Uint8Array;
}

/** What the decoder needs to know about an AVP: only by number, never by name (DESIGN.md). */
export interface AvpTypeInfo {
  type: DataType;
}
export type AvpTypeResolver = (code: number, vendorId: number) => AvpTypeInfo | undefined;
