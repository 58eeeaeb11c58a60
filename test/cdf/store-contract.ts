/**
 * The one behaviour every CDR store must have (src/cdf/store.ts), run against each backend by
 * sqlite-store.test.ts and postgres-store.test.ts — the way aedes-persistence tests all its backends.
 * Expected values are written out here, never read back from the store to build the expectation.
 */
import { describe } from 'node:test';
import type { CdrStore } from '../../src/cdf/store.js';
import { batchContract } from './store-contract-batches.js';
import { cdrContract } from './store-contract-cdrs.js';
import type { StoreFactory, StoreFixture } from './store-contract-fixtures.js';
import { groupCommitContract } from './store-contract-group-commit.js';
import { lifecycleContract } from './store-contract-lifecycle.js';
import { sessionContract } from './store-contract-sessions.js';

export { cdr, session } from './store-contract-fixtures.js';
export type { StoreFactory, StoreFixture } from './store-contract-fixtures.js';

export function storeContract(name: string, factory: StoreFactory, options: { skip?: string } = {}): void {
  describe(`CdrStore contract: ${name}`, { skip: options.skip }, () => {
    /** Opens a fresh store and closes whatever the test opened at its end. */
    async function fresh(t: {
      after(fn: () => Promise<void>): void;
    }): Promise<StoreFixture & { opened: CdrStore[] }> {
      const fx = await factory();
      const opened: CdrStore[] = [fx.store];
      t.after(async () => {
        for (const s of opened) await s.close();
      });
      await fx.store.open();
      return {
        store: fx.store,
        opened,
        reopen: () => {
          const s = fx.reopen();
          opened.push(s);
          return s;
        },
      };
    }

    sessionContract(fresh);
    batchContract(fresh);
    cdrContract(fresh);
    lifecycleContract(fresh);
    groupCommitContract(fresh);
  });
}
