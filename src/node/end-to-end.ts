/**
 * End-to-End identifiers (RFC 6733 §3): unique for at least 4 minutes, even across reboots. Seeded as
 * the RFC suggests: the high 12 bits from the low 12 bits of the current time in seconds, the low 20 bits
 * random; then incremented.
 */
export class EndToEndGenerator {
  private next: number;

  constructor(nowSeconds = Math.floor(Date.now() / 1000), random = Math.random) {
    this.next = (((nowSeconds & 0xfff) << 20) | Math.floor(random() * 0x100000)) >>> 0;
  }

  take(): number {
    const id = this.next;
    this.next = (this.next + 1) >>> 0;
    return id;
  }
}
