/**
 * A growable byte writer that reserves length fields and back-patches them — exactly what the 20-byte
 * header and every AVP length need (RFC 6733 §3, §4.1). Same idea as pg-protocol's buffer-writer.
 */
/** Strings up to this many UTF-16 units are tried as ASCII in JS before utf8Write is called. */
const SHORT_STRING = 64;

export class Writer {
  buf: Buffer;
  pos = 0;

  constructor(initial = 512) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >>> 8) & 0xff;
    b[p + 1] = v & 0xff;
    this.pos = p + 2;
  }

  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
    this.pos = p + 4;
  }

  /** Writes one flags octet and a 24-bit length (AVP and header layouts share this shape). */
  flagsAndLength(flags: number, length: number): void {
    this.u32(((flags & 0xff) << 24) | (length & 0xffffff));
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** UTF-8 encodes `s`, returning the number of octets written. */
  utf8(s: string): number {
    const len = s.length;
    this.ensure(len * 3);
    const b = this.buf;
    const p = this.pos;
    if (len <= SHORT_STRING) {
      // Short ASCII (most Diameter strings): a JS loop is cheaper than the call into C++. Any other
      // character sends the whole string to utf8Write, which rewrites from the start.
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p + i] = c;
      }
      if (i === len) {
        this.pos = p + len;
        return len;
      }
    }
    const n = (b as unknown as { utf8Write(s: string, at: number): number }).utf8Write(s, p);
    this.pos = p + n;
    return n;
  }

  /** Zero padding up to the next multiple of 4 (RFC 6733 §4: padding is not counted in the AVP length). */
  pad(): void {
    const r = this.pos & 3;
    if (r === 0) return;
    // 1 to 3 octets: plain stores beat Buffer#fill, which checks its arguments and calls into C++.
    this.ensure(4 - r);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0;
    if (r <= 2) b[p++] = 0;
    if (r === 1) b[p++] = 0;
    this.pos = p;
  }

  /** Back-patches a 24-bit length at `at + 1` (after a flags or version octet). */
  patchLength24(at: number, length: number): void {
    const b = this.buf;
    b[at + 1] = (length >>> 16) & 0xff;
    b[at + 2] = (length >>> 8) & 0xff;
    b[at + 3] = length & 0xff;
  }

  /** A copy of the written bytes, sized exactly. */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }
}
