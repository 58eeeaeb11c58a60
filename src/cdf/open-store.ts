/**
 * Picks the CDR store from one string, as the config and the CLI give it: a postgres:// or postgresql://
 * URL selects PostgreSQL, anything else is an SQLite file path. Each backend is imported only when chosen,
 * so a SQLite deployment never loads pg and a PostgreSQL one never loads the native SQLite addon.
 */
import type { PostgresStoreOptions } from './postgres-store.js';
import type { SqliteStoreOptions } from './sqlite-store.js';
import type { CdrStore } from './store.js';

export const DEFAULT_STORE_PATH = './data/diamkit.db';

export interface OpenStoreOptions {
  sqlite?: Omit<SqliteStoreOptions, 'path'>;
  postgres?: Omit<PostgresStoreOptions, 'url'>;
}

export function isPostgresUrl(urlOrPath: string): boolean {
  return /^postgres(ql)?:\/\//i.test(urlOrPath);
}

/** Creates the store without opening it. */
export async function createStore(
  urlOrPath: string = DEFAULT_STORE_PATH,
  options: OpenStoreOptions = {},
): Promise<CdrStore> {
  if (isPostgresUrl(urlOrPath)) {
    const { PostgresStore } = await import('./postgres-store.js');
    return new PostgresStore({ ...options.postgres, url: urlOrPath });
  }
  const { SqliteStore } = await import('./sqlite-store.js');
  return new SqliteStore({ ...options.sqlite, path: urlOrPath });
}

/** Creates and opens the store (schema created or migrated). */
export async function openStore(
  urlOrPath: string = DEFAULT_STORE_PATH,
  options: OpenStoreOptions = {},
): Promise<CdrStore> {
  const store = await createStore(urlOrPath, options);
  await store.open();
  return store;
}
