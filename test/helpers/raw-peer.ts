/**
 * A scripted raw-byte Diameter peer for tests (the way undici's tests drive a server with a raw socket):
 * it writes octets built here by hand — not by the encoder under test — reads whole frames with the
 * codec's Framer, and reads each frame with the small parser below, so expectations never come from
 * the code being tested. Works over a TCP or TLS socket to 127.0.0.1 or over any Duplex (duplex-pair.ts).
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { Framer } from '../../src/codec/framer.js';

// ---------------------------------------------------------------------------------------------------
// building messages by hand (RFC 6733 §3 header, §4.1 AVP layout)

export const R = 0x80;
export const P = 0x40;
export const E = 0x20;
export const T = 0x10;
export const M = 0x40;

/** One AVP with its padding. A number is an Unsigned32; a string is UTF-8 octets. */
export function avp(
  code: number,
  value: Buffer | string | number,
  opts: { flags?: number; vendorId?: number } = {},
): Buffer {
  const data =
    typeof value === 'number' ? u32(value) : typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const vendor = opts.vendorId ?? 0;
  const hdr = vendor ? 12 : 8;
  const len = hdr + data.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt32BE(code, 0);
  out.writeUInt32BE(len, 4); // length in the low 24 bits…
  out[4] = (opts.flags ?? M) | (vendor ? 0x80 : 0); // …flags in the high octet
  if (vendor) out.writeUInt32BE(vendor, 8);
  data.copy(out, hdr);
  return out;
}

/** A Grouped AVP: the children (already padded) are its data. */
export function grouped(code: number, children: Buffer[], flags = M): Buffer {
  return avp(code, Buffer.concat(children), { flags });
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** Address data for an IPv4 address: family 1 then the four octets (RFC 6733 §4.3.1). */
export function ipv4(text: string): Buffer {
  return Buffer.from([0, 1, ...text.split('.').map(Number)]);
}

export interface HeaderFields {
  flags: number;
  command: number;
  appId?: number;
  hbh: number;
  e2e: number;
  /** Overrides the version octet (framing tests). */
  version?: number;
  /** Overrides the Message Length field (framing tests). */
  length?: number;
}

export function message(h: HeaderFields, avps: Buffer[]): Buffer {
  const body = Buffer.concat(avps);
  const out = Buffer.alloc(20 + body.length);
  out.writeUInt32BE(h.length ?? out.length, 0);
  out[0] = h.version ?? 1;
  out.writeUInt32BE(h.command, 4);
  out[4] = h.flags;
  out.writeUInt32BE(h.appId ?? 0, 8);
  out.writeUInt32BE(h.hbh >>> 0, 12);
  out.writeUInt32BE(h.e2e >>> 0, 16);
  body.copy(out, 20);
  return out;
}

// Base AVP codes (RFC 6733 §4.5, base-protocol.md §7), spelled out here rather than imported.
export const AVP = {
  SESSION_ID: 263,
  ORIGIN_HOST: 264,
  ORIGIN_REALM: 296,
  DESTINATION_REALM: 283,
  DESTINATION_HOST: 293,
  HOST_IP_ADDRESS: 257,
  VENDOR_ID: 266,
  PRODUCT_NAME: 269,
  ORIGIN_STATE_ID: 278,
  SUPPORTED_VENDOR_ID: 265,
  AUTH_APPLICATION_ID: 258,
  ACCT_APPLICATION_ID: 259,
  VENDOR_SPECIFIC_APPLICATION_ID: 260,
  RESULT_CODE: 268,
  ERROR_MESSAGE: 281,
  FAILED_AVP: 279,
  DISCONNECT_CAUSE: 273,
  PROXY_INFO: 284,
  PROXY_HOST: 280,
  PROXY_STATE: 33,
  ACCOUNTING_RECORD_TYPE: 480,
  ACCOUNTING_RECORD_NUMBER: 485,
  FIRMWARE_REVISION: 267,
} as const;

export const CMD = { CER: 257, ACR: 271, CCR: 272, DWR: 280, DPR: 282 } as const;

export interface CerFields {
  originHost?: string;
  originRealm?: string;
  acct?: number[];
  auth?: number[];
  hbh?: number;
  e2e?: number;
  /** Origin-State-Id (default 1700000000). */
  originStateId?: number;
}

/** A CER as a CTF sends it (vector 01's layout). */
export function cer(f: CerFields = {}): Buffer {
  const avps = [
    avp(AVP.ORIGIN_HOST, f.originHost ?? 'ctf.example.com'),
    avp(AVP.ORIGIN_REALM, f.originRealm ?? 'example.com'),
    avp(AVP.HOST_IP_ADDRESS, ipv4('192.0.2.10')),
    avp(AVP.VENDOR_ID, 0),
    avp(AVP.PRODUCT_NAME, 'raw-peer', { flags: 0 }),
    avp(AVP.ORIGIN_STATE_ID, f.originStateId ?? 1700000000),
    avp(AVP.SUPPORTED_VENDOR_ID, 10415),
  ];
  for (const a of f.auth ?? []) avps.push(avp(AVP.AUTH_APPLICATION_ID, a));
  for (const a of f.acct ?? [3]) avps.push(avp(AVP.ACCT_APPLICATION_ID, a));
  return message({ flags: R, command: CMD.CER, hbh: f.hbh ?? 0x4a5b0001, e2e: f.e2e ?? 0x7f000001 }, avps);
}

export interface AcrFields {
  sessionId?: string;
  originHost?: string;
  destinationRealm?: string;
  hbh: number;
  e2e: number;
  flags?: number;
  command?: number;
  appId?: number;
  /** Accounting-Record-Type (default 2, START_RECORD) and Accounting-Record-Number (default 0). */
  recordType?: number;
  recordNumber?: number;
  /** Leave out these AVP codes. */
  omit?: number[];
  /** Extra AVPs appended at the end. */
  extra?: Buffer[];
}

/** An ACR (app 3; START unless told) with the AVPs the Rf ACR grammar requires. */
export function acr(f: AcrFields): Buffer {
  const all: [number, Buffer][] = [
    [AVP.SESSION_ID, avp(AVP.SESSION_ID, f.sessionId ?? 'ctf.example.com;1700000000;1')],
    [AVP.ORIGIN_HOST, avp(AVP.ORIGIN_HOST, f.originHost ?? 'ctf.example.com')],
    [AVP.ORIGIN_REALM, avp(AVP.ORIGIN_REALM, 'example.com')],
    [AVP.DESTINATION_REALM, avp(AVP.DESTINATION_REALM, f.destinationRealm ?? 'example.net')],
    [AVP.ACCOUNTING_RECORD_TYPE, avp(AVP.ACCOUNTING_RECORD_TYPE, f.recordType ?? 2)],
    [AVP.ACCOUNTING_RECORD_NUMBER, avp(AVP.ACCOUNTING_RECORD_NUMBER, f.recordNumber ?? 0)],
    [AVP.ACCT_APPLICATION_ID, avp(AVP.ACCT_APPLICATION_ID, 3)],
  ];
  const avps = all.filter(([c]) => !f.omit?.includes(c)).map(([, b]) => b);
  return message(
    { flags: f.flags ?? R | P, command: f.command ?? CMD.ACR, appId: f.appId ?? 3, hbh: f.hbh, e2e: f.e2e },
    [...avps, ...(f.extra ?? [])],
  );
}

export function dwr(hbh: number, e2e: number, originHost = 'ctf.example.com', extra: Buffer[] = []): Buffer {
  return message({ flags: R, command: CMD.DWR, hbh, e2e }, [
    avp(AVP.ORIGIN_HOST, originHost),
    avp(AVP.ORIGIN_REALM, 'example.com'),
    ...extra,
  ]);
}

export function dpr(hbh: number, e2e: number, cause = 0, originHost = 'ctf.example.com'): Buffer {
  return message({ flags: R, command: CMD.DPR, hbh, e2e }, [
    avp(AVP.ORIGIN_HOST, originHost),
    avp(AVP.ORIGIN_REALM, 'example.com'),
    avp(AVP.DISCONNECT_CAUSE, cause),
  ]);
}

/** A 2001 answer to `req` (DWA, DPA, or an application answer), ids copied. */
export function answerTo(req: RawMessage, originHost = 'ctf.example.com', extra: Buffer[] = []): Buffer {
  return message(
    { flags: req.flags & P, command: req.command, appId: req.appId, hbh: req.hbh, e2e: req.e2e },
    [
      avp(AVP.RESULT_CODE, 2001),
      avp(AVP.ORIGIN_HOST, originHost),
      avp(AVP.ORIGIN_REALM, 'example.com'),
      ...extra,
    ],
  );
}

// ---------------------------------------------------------------------------------------------------
// reading messages by hand

export interface RawAvp {
  code: number;
  flags: number;
  vendorId: number;
  /** The AVP Length field. */
  length: number;
  data: Buffer;
  /** Offset of the AVP header in the message. */
  offset: number;
}

export interface RawMessage {
  bytes: Buffer;
  version: number;
  length: number;
  flags: number;
  command: number;
  appId: number;
  hbh: number;
  e2e: number;
  avps: RawAvp[];
}

/** Walks AVPs in b[start, end); throws on a layout error (our server must never send one). */
export function parseAvps(b: Buffer, start: number, end: number): RawAvp[] {
  const out: RawAvp[] = [];
  let o = start;
  while (o < end) {
    const code = b.readUInt32BE(o);
    const flags = b[o + 4]!;
    const length = b.readUInt32BE(o + 4) & 0xffffff;
    const hdr = flags & 0x80 ? 12 : 8;
    if (length < hdr || o + length > end) throw new Error(`bad AVP at offset ${o}: length ${length}`);
    out.push({
      code,
      flags,
      vendorId: hdr === 12 ? b.readUInt32BE(o + 8) : 0,
      length,
      data: b.subarray(o + hdr, o + length),
      offset: o,
    });
    o += (length + 3) & ~3;
  }
  if (o !== end) throw new Error(`AVPs overrun their container: ${o} != ${end}`);
  return out;
}

export function parse(bytes: Buffer): RawMessage {
  const length = bytes.readUInt32BE(0) & 0xffffff;
  if (length !== bytes.length) throw new Error(`Message Length ${length} for ${bytes.length} octets`);
  return {
    bytes,
    version: bytes[0]!,
    length,
    flags: bytes[4]!,
    command: bytes.readUInt32BE(4) & 0xffffff,
    appId: bytes.readUInt32BE(8),
    hbh: bytes.readUInt32BE(12),
    e2e: bytes.readUInt32BE(16),
    avps: parseAvps(bytes, 20, length),
  };
}

/** The children of a Grouped AVP. */
export function children(a: RawAvp): RawAvp[] {
  const start = a.offset + (a.flags & 0x80 ? 12 : 8);
  // Offsets relative to the grouped AVP's data: re-base on a copy of the data.
  return parseAvps(a.data, 0, a.data.length).map((c) => ({ ...c, offset: c.offset + start }));
}

export function find(m: RawMessage | RawAvp[], code: number): RawAvp | undefined {
  return (Array.isArray(m) ? m : m.avps).find((a) => a.code === code && a.vendorId === 0);
}

export function findAll(m: RawMessage | RawAvp[], code: number): RawAvp[] {
  return (Array.isArray(m) ? m : m.avps).filter((a) => a.code === code && a.vendorId === 0);
}

export function u32Of(m: RawMessage | RawAvp[], code: number): number | undefined {
  const a = find(m, code);
  return a ? a.data.readUInt32BE(0) : undefined;
}

export function strOf(m: RawMessage | RawAvp[], code: number): string | undefined {
  return find(m, code)?.data.toString('utf8');
}

export function resultCode(m: RawMessage): number | undefined {
  return u32Of(m, AVP.RESULT_CODE);
}

// ---------------------------------------------------------------------------------------------------
// the scripted peer

export class RawPeer {
  private readonly framer = new Framer();
  private readonly frames: RawMessage[] = [];
  private waiter: { resolve: (m: RawMessage) => void; reject: (e: Error) => void } | undefined;
  private closeWaiters: (() => void)[] = [];
  /** Every frame received, in order (also those already taken with next()). */
  readonly received: RawMessage[] = [];
  closed = false;
  error: Error | undefined;
  /** Answer DWRs with a DWA 2001 by itself instead of queueing them for next(). */
  answerWatchdogs = false;
  watchdogsAnswered = 0;
  /** The Origin-Host this peer puts in the DWAs it sends by itself. */
  originHost = 'ctf.example.com';

  constructor(readonly stream: Duplex) {
    stream.on('data', (chunk: Buffer) => {
      for (const f of this.framer.push(chunk)) {
        const m = parse(Buffer.from(f));
        this.received.push(m);
        if (this.answerWatchdogs && m.command === CMD.DWR && m.flags & R) {
          // As a real peer does (RFC 3539): a node re-validates a reconnected peer with DWRs.
          this.watchdogsAnswered++;
          this.send(answerTo(m, this.originHost));
          continue;
        }
        if (this.waiter) {
          const w = this.waiter;
          this.waiter = undefined;
          w.resolve(m);
        } else this.frames.push(m);
      }
    });
    stream.on('error', (e) => (this.error = e));
    const onClose = () => {
      if (this.closed) return;
      this.closed = true;
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w.reject(
          new Error(
            `connection closed while waiting for a message${this.error ? ` (${this.error.message})` : ''}`,
          ),
        );
      }
      for (const r of this.closeWaiters.splice(0)) r();
    };
    stream.on('end', onClose);
    stream.on('close', onClose);
  }

  /** Connects over TCP to host:port (loopback by default). */
  static connect(port: number, host = '127.0.0.1'): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host }, () => {
        s.off('error', reject);
        resolve(new RawPeer(s));
      });
      s.once('error', reject);
    });
  }

  /** Connects over TLS; resolves once the handshake is done. */
  static connectTls(opts: tls.ConnectionOptions): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = tls.connect(opts, () => {
        s.off('error', reject);
        resolve(new RawPeer(s));
      });
      s.once('error', reject);
    });
  }

  send(bytes: Buffer): void {
    this.stream.write(bytes);
  }

  /** The next frame, or a rejection after `timeoutMs` or when the connection closes first. */
  next(timeoutMs = 2000): Promise<RawMessage> {
    const queued = this.frames.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closed) return Promise.reject(new Error('connection is closed'));
    return new Promise<RawMessage>((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        resolve: (m) => {
          clearTimeout(t);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      };
    });
  }

  /** Sends `bytes` and returns the next frame. */
  async exchange(bytes: Buffer, timeoutMs = 2000): Promise<RawMessage> {
    this.send(bytes);
    return this.next(timeoutMs);
  }

  /** Resolves when the other side closes; rejects if it is still open after `timeoutMs`. */
  expectClose(timeoutMs = 2000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Resolves true if the connection is still open after `ms` (nothing closed it meanwhile). */
  async staysOpen(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return !this.closed;
  }

  /** Frames received but not yet taken with next(). */
  get queued(): number {
    return this.frames.length;
  }

  destroy(): void {
    this.stream.destroy();
  }
}
