/**
 * The CDF-wide counter written on every CDR (localRecordSequenceNumber, TS 32.298; the P-GW record's
 * localSequenceNumber), handed out from blocks reserved in the store (CdrStore.allocateSequence), so that
 * CDF instances sharing one database never give two CDRs the same number.
 */
export class SequenceBlocks {
  /** The current block [next, end); unbounded until the first block arrives. */
  private current = { next: 1, end: Number.POSITIVE_INFINITY, bounded: false };
  private spare: { first: number; count: number } | undefined;

  /** `count` numbers from `first`: used at once if no block was given yet, else kept for when the current one runs out. */
  add(first: number, count: number): void {
    if (!this.current.bounded) this.current = { next: first, end: first + count, bounded: true };
    else this.spare = { first, count };
  }

  /** Numbers left in the current and the spare block (Infinity before any block was given). */
  remaining(): number {
    return this.current.end - this.current.next + (this.spare?.count ?? 0);
  }

  /** Whether a spare block is already waiting. */
  get hasSpare(): boolean {
    return this.spare !== undefined;
  }

  next(): number {
    if (this.current.next >= this.current.end && this.spare) {
      this.current = { next: this.spare.first, end: this.spare.first + this.spare.count, bounded: true };
      this.spare = undefined;
    }
    // Past the end with no spare block (the store did not answer in time): keep counting rather than fail.
    return this.current.next++;
  }
}
