/**
 * Stream framing for Diameter over TCP/TLS (RFC 6733 §3; base-protocol.md §1): read the 24-bit Message
 * Length, wait for that many octets. The length is checked against the maximum *before* anything is
 * buffered, so a hostile length cannot make us hold memory. Lost framing (version ≠ 1, length < 20 or not
 * a multiple of 4, or too long) is unrecoverable: the caller closes the connection.
 */
import { DiameterError } from './errors.js';
import { HEADER_LENGTH } from './types.js';

export const DEFAULT_MAX_MESSAGE_LENGTH = 1024 * 1024;

export class Framer {
  /**
   * Copies of the octets of an incomplete message, in arrival order. They are joined once, when the
   * message is complete: joining on every push would copy a large message once per TCP segment
   * (quadratic: a 1 MiB message in 1460-octet segments copied ~370 MB).
   */
  private pending: Buffer[] = [];
  private held = 0;
  /** Length of the message being waited for, once its Message Length has been read (else 0). */
  private need = 0;
  private failed: DiameterError | undefined;
  /** Octets consumed so far: the stream offset errors report. */
  private consumed = 0;

  constructor(readonly maxMessageLength = DEFAULT_MAX_MESSAGE_LENGTH) {}

  /** Octets held waiting for the rest of a message. */
  get buffered(): number {
    return this.held;
  }

  /**
   * Returns every complete message in the stream so far. Frames are views of `chunk` when a message
   * lies wholly inside it (no copy), else copies. Throws DiameterError (and keeps throwing) once
   * framing is lost.
   */
  push(chunk: Buffer): Buffer[] {
    if (this.failed) throw this.failed;
    let buf = chunk;
    if (this.held > 0) {
      if (this.need > 0 && this.held + chunk.length < this.need) {
        // Still incomplete, and its length was already checked: keep a copy, join later.
        this.pending.push(Buffer.from(chunk));
        this.held += chunk.length;
        return [];
      }
      this.pending.push(chunk);
      buf = Buffer.concat(this.pending, this.held + chunk.length);
      this.pending = [];
      this.held = 0;
      this.need = 0;
    }
    const frames: Buffer[] = [];
    let o = 0;
    const n = buf.length;
    while (n - o >= 4) {
      const version = buf[o]!;
      if (version !== 1) return this.fail('FRAME_BAD_VERSION', `version ${version}`, o, frames);
      const len = (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!;
      if (len < HEADER_LENGTH || (len & 3) !== 0) {
        return this.fail('FRAME_BAD_LENGTH', `Message Length ${len}`, o, frames);
      }
      if (len > this.maxMessageLength) {
        return this.fail('FRAME_TOO_LONG', `Message Length ${len} exceeds ${this.maxMessageLength}`, o, frames);
      }
      if (n - o < len) break;
      frames.push(buf.subarray(o, o + len));
      o += len;
    }
    this.consumed += o;
    if (o < n) {
      this.pending = [Buffer.from(buf.subarray(o))];
      this.held = n - o;
      // The loop stopped either on fewer than 4 octets or on a message whose length it has checked.
      this.need = n - o >= 4 ? (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]! : 0;
    }
    return frames;
  }

  /**
   * Records lost framing. Messages framed before the bad one in the same chunk are still delivered
   * (they were complete and valid); the error is thrown by the next push, or now if there were none.
   */
  private fail(code: 'FRAME_BAD_VERSION' | 'FRAME_BAD_LENGTH' | 'FRAME_TOO_LONG', detail: string, o: number, frames: Buffer[]): Buffer[] {
    this.failed = new DiameterError(code, detail, { offset: this.consumed + o });
    this.pending = [];
    this.held = 0;
    this.need = 0;
    if (frames.length === 0) throw this.failed;
    return frames;
  }

  /** The framing error, once framing is lost. */
  get error(): DiameterError | undefined {
    return this.failed;
  }
}
