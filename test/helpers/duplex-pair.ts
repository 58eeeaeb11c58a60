/**
 * Two connected in-memory Duplex streams, like the two ends of a TCP connection (Node 20 has no
 * `stream.duplexPair`). What one side writes the other reads; `end()` on one side ends the other's
 * readable side after the data already written (a FIN); `destroy()` on one side also ends the other's
 * readable side, so a peer sees the close the way it would on a socket.
 */
import { Duplex } from 'node:stream';

class End extends Duplex {
  other!: End;
  /** What a socket would report; the peer code reads it for Host-IP-Address. Unset by default. */
  localAddress: string | undefined;
  /** Octets written by this side, for tests that look at write batching. */
  readonly writes: Buffer[] = [];

  constructor() {
    // Like a net.Socket by default: when the other side's FIN arrives, end this side too.
    super({ allowHalfOpen: false });
  }

  override _read(): void {}

  /** This side has sent its FIN: the other side's readable has ended. */
  private finSent = false;

  private deliver(chunk: Buffer): void {
    this.writes.push(chunk);
    if (!this.finSent && !this.other.destroyed) this.other.push(chunk);
  }

  private fin(): void {
    if (this.finSent) return;
    this.finSent = true;
    if (!this.other.destroyed) this.other.push(null);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.deliver(chunk);
    cb();
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    // A corked batch arrives here as one call: hand it over as one chunk, as one TCP segment would be.
    this.deliver(Buffer.concat(chunks.map((c) => c.chunk)));
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.fin();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.fin();
    cb(err);
  }
}

export type PairEnd = End;

/** Returns [a, b]: bytes written to a are read from b and the other way round. */
export function duplexPair(): [PairEnd, PairEnd] {
  const a = new End();
  const b = new End();
  a.other = b;
  b.other = a;
  return [a, b];
}
