/**
 * Group commit: the session and CDR updates submitted during one turn of the event loop (or within
 * `maxDelayMs`) go to the store as ONE transaction, and each submitter's promise settles only when that
 * transaction has committed. The CDF sends "ACA 2001" after its promise resolves, so an answer never
 * acknowledges a record that is not stored (accounting-rf.md §1.5, §5.6: otherwise 4002), while one
 * fsync / round trip serves every ACR of the batch (DESIGN.md, performance habits).
 *
 * Ordering: at most one commit is in flight; parts submitted meanwhile wait for the next one, and parts
 * merged into one batch keep their submission order per session key (store-records.ts mergeBatches). So two
 * updates of one session always reach the database in the order they were submitted.
 */
import { DiameterError } from '../codec/errors.js';
import type { CdrStore, StoreBatch } from './store.js';
import { batchSize, mergeBatches, storeError } from './store-records.js';

export interface GroupCommitOptions {
  /**
   * How long the first part of a batch may wait for company, ms. 0 (default): until the current turn of
   * the event loop has run, i.e. every message framed from the socket reads of this turn (setImmediate).
   */
  maxDelayMs?: number;
  /** Commit as soon as this many rows (upserts + deletes + CDRs) wait, without waiting for the delay. Default 1000. */
  maxItems?: number;
  /**
   * Refuse new parts (STORE_OVERLOADED → 3004) while this many rows wait behind a slow commit, rather
   * than queue without bound. Default 100000.
   */
  maxPendingItems?: number;
}

export interface GroupCommitStats {
  submits: number;
  commits: number;
  failedCommits: number;
  rowsCommitted: number;
  /** Rows waiting for a commit now. */
  pendingItems: number;
  /** Parts refused with STORE_OVERLOADED. */
  refused: number;
}

interface Part {
  batch: StoreBatch;
  items: number;
  at: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class GroupCommitter {
  readonly #store: Pick<CdrStore, 'commit'>;
  readonly #maxDelayMs: number;
  readonly #maxItems: number;
  readonly #maxPending: number;
  #pending: Part[] = [];
  #pendingItems = 0;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #inFlight: Promise<void> | undefined;
  #closed = false;
  readonly #stats = { submits: 0, commits: 0, failedCommits: 0, rowsCommitted: 0, refused: 0 };

  constructor(store: Pick<CdrStore, 'commit'>, options: GroupCommitOptions = {}) {
    this.#store = store;
    this.#maxDelayMs = options.maxDelayMs ?? 0;
    this.#maxItems = Math.max(1, options.maxItems ?? 1000);
    this.#maxPending = Math.max(1, options.maxPendingItems ?? 100_000);
  }

  /** Resolves once `batch` is committed; rejects with the commit's error (a DiameterError) if it failed. */
  submit(batch: StoreBatch): Promise<void> {
    if (this.#closed)
      return Promise.reject(new DiameterError('STORE_CLOSED', 'the group committer is closed'));
    const items = batchSize(batch);
    if (this.#pendingItems > 0 && this.#pendingItems + items > this.#maxPending) {
      this.#stats.refused++;
      return Promise.reject(
        new DiameterError('STORE_OVERLOADED', `${this.#pendingItems} rows already wait for the store`),
      );
    }
    this.#stats.submits++;
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ batch, items, at: Date.now(), resolve, reject });
      this.#pendingItems += items;
      this.#schedule();
    });
  }

  /** Commits whatever waits now and resolves when every part submitted before this call has settled. */
  async flush(): Promise<void> {
    this.#clearTimer();
    while (this.#inFlight || this.#pending.length > 0) {
      if (!this.#inFlight) this.#start();
      await this.#inFlight;
    }
  }

  /** Flushes, then refuses further parts. Does not close the store. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  stats(): GroupCommitStats {
    return { ...this.#stats, pendingItems: this.#pendingItems };
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    if (this.#maxDelayMs > 0) clearTimeout(this.#timer as NodeJS.Timeout);
    else clearImmediate(this.#timer as NodeJS.Immediate);
    this.#timer = undefined;
  }

  #schedule(): void {
    // While a commit runs, parts collect; its completion schedules the next batch.
    if (this.#inFlight || this.#pending.length === 0) return;
    if (this.#pendingItems >= this.#maxItems) {
      this.#clearTimer();
      this.#start();
      return;
    }
    if (this.#timer !== undefined) return;
    const fire = (): void => {
      this.#timer = undefined;
      if (!this.#inFlight && this.#pending.length > 0) this.#start();
    };
    if (this.#maxDelayMs > 0) {
      // The oldest part may already have waited behind the previous commit.
      const waited = Date.now() - this.#pending[0]!.at;
      this.#timer = setTimeout(fire, Math.max(0, this.#maxDelayMs - waited));
    } else {
      this.#timer = setImmediate(fire);
    }
  }

  #start(): void {
    // Whole parts only (a part is one ACR's atomic update), up to maxItems rows but at least one part.
    let n = 0;
    let items = 0;
    while (n < this.#pending.length && (n === 0 || items + this.#pending[n]!.items <= this.#maxItems)) {
      items += this.#pending[n]!.items;
      n++;
    }
    const parts = this.#pending.splice(0, n);
    this.#pendingItems -= items;
    this.#inFlight = this.#commit(parts, items).finally(() => {
      this.#inFlight = undefined;
      this.#schedule();
    });
  }

  async #commit(parts: Part[], items: number): Promise<void> {
    try {
      await this.#store.commit(mergeBatches(parts.map((p) => p.batch)));
    } catch (e) {
      this.#stats.failedCommits++;
      const err = storeError('STORE_WRITE_FAILED', 'group commit failed', e);
      for (const p of parts) p.reject(err);
      return;
    }
    this.#stats.commits++;
    this.#stats.rowsCommitted += items;
    for (const p of parts) p.resolve();
  }
}
