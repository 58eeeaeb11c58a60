/**
 * The PostgreSQL store: the shared contract, plus what only a shared server has — several CDF instances
 * creating the schema at once, sharing rows and sequence blocks. Needs DIAMKIT_PG_URL (e.g.
 * postgres://diamkit:diamkit@127.0.0.1:5432/diamkit_test); outside CI the suite is skipped with the reason
 * when it is unset or unreachable, in CI (CI=true) it fails instead. Each fixture gets its own schema,
 * dropped at the end, so runs never see each other's rows.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { DiameterError } from '../../src/codec/errors.js';
import { openStore } from '../../src/cdf/open-store.js';
import { POSTGRES_SCHEMA_VERSION, PostgresStore, redactUrl } from '../../src/cdf/postgres-store.js';
import { cdr, session, storeContract } from './store-contract.js';

const url = process.env.DIAMKIT_PG_URL;
const inCi = process.env.CI === 'true';

async function unreachable(): Promise<string | undefined> {
  if (!url) return 'DIAMKIT_PG_URL is not set';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (e) {
    return `PostgreSQL at ${redactUrl(url)} is unreachable: ${(e as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const skip = await unreachable();
if (skip && inCi) {
  it('PostgreSQL is reachable (required in CI)', () => assert.fail(skip));
} else if (skip) {
  console.log(`skipping PostgreSQL store tests: ${skip}`);
}

const prefix = `dk_t${process.pid}_${Date.now() % 1_000_000}`;
const schemas: string[] = [];
let n = 0;
function newSchema(): string {
  const s = `${prefix}_${++n}`;
  schemas.push(s);
  return s;
}

after(async () => {
  if (skip || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await client.end();
});

storeContract(
  'postgres',
  async () => {
    const schema = newSchema();
    return {
      store: new PostgresStore({ url: url!, schema }),
      reopen: () => new PostgresStore({ url: url!, schema }),
    };
  },
  { skip },
);

describe('PostgresStore specifics', { skip }, () => {
  it('lets several instances create one schema at the same time (advisory lock)', async () => {
    const schema = newSchema();
    const stores = Array.from({ length: 4 }, () => new PostgresStore({ url: url!, schema, poolSize: 2 }));
    try {
      await Promise.all(stores.map((s) => s.open()));
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const v = await client.query(`SELECT version FROM "${schema}".schema_version`);
      await client.end();
      assert.deepEqual(
        v.rows.map((r: { version: string }) => Number(r.version)),
        [POSTGRES_SCHEMA_VERSION],
      );
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('shares rows and never overlapping sequence blocks between instances', async () => {
    const schema = newSchema();
    const a = new PostgresStore({ url: url!, schema });
    const b = new PostgresStore({ url: url!, schema });
    try {
      await a.open();
      await b.open();
      await a.commit({ sessionUpserts: [session('shared')], cdrs: [cdr('from-a')] });
      assert.equal((await b.getSession({ sessionId: 'shared' }))?.sessionId, 'shared');
      await b.commit({ cdrs: [cdr('from-b')] });
      assert.deepEqual(
        (await a.listCdrs()).map((c) => c.id),
        ['from-a', 'from-b'],
      );
      const blocks = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).allocateSequence('lrsn', 10)),
      );
      assert.deepEqual(
        blocks.sort((x, y) => x - y),
        Array.from({ length: 20 }, (_, i) => 1 + 10 * i),
      );
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('migrates a version 1 schema: drops the kind and origin indexes, keeps its rows', async () => {
    const schema = newSchema();
    const first = new PostgresStore({ url: url!, schema });
    await first.open();
    await first.commit({ sessionUpserts: [session('kept')], cdrs: [cdr('v1-cdr', { kind: 'pgw' })] });
    await first.close();
    // Put the schema back to what version 1 left: its two extra CDR indexes, version 1.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`CREATE INDEX cdrs_kind ON "${schema}".cdrs (kind, seq)`);
    await client.query(`CREATE INDEX cdrs_origin ON "${schema}".cdrs (origin_host, seq)`);
    await client.query(`ALTER TABLE "${schema}".sessions DROP COLUMN acr_first, DROP COLUMN acr_last`);
    await client.query(`UPDATE "${schema}".schema_version SET version = 1`);
    const again = new PostgresStore({ url: url!, schema });
    try {
      await again.open();
      assert.ok(await again.getSession({ sessionId: 'kept' }));
      assert.equal(await again.countCdrs({ kind: 'pgw' }), 1);
      const v = await client.query(`SELECT version FROM "${schema}".schema_version`);
      assert.deepEqual(
        v.rows.map((r: { version: string }) => Number(r.version)),
        [POSTGRES_SCHEMA_VERSION],
      );
      const ix = await client.query(
        `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'cdrs' ORDER BY indexname`,
        [schema],
      );
      assert.deepEqual(
        ix.rows.map((r: { indexname: string }) => r.indexname),
        ['cdrs_closing', 'cdrs_created', 'cdrs_id_key', 'cdrs_pkey', 'cdrs_session'],
      );
    } finally {
      await again.close();
      await client.end();
    }
  });

  it('keeps kept ACRs as bytea beside the jsonb, and reads them back into the value', async () => {
    const schema = newSchema();
    const store = new PostgresStore({ url: url!, schema });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await store.open();
      const { KeptData } = await import('../../src/cdf/kept-data.js');
      const kept = new KeptData(Buffer.from([1, 0, 2, 255]).toString('latin1'), 0, undefined);
      const plain = { v: 2, first: 'AQID', ps: true };
      await store.commit({ sessionUpserts: [session('bytes', { data: kept as never }), session('plain', { data: plain })] });
      kept.last = Buffer.from([9, 0, 9]).toString('latin1');
      await store.commit({ sessionUpserts: [session('bytes', { data: kept as never })] });
      assert.deepEqual((await store.getSession({ sessionId: 'bytes' }))?.data, kept.toJSON());
      assert.deepEqual((await store.getSession({ sessionId: 'plain' }))?.data, plain, 'other data is JSON alone');
      const raw = await client.query(
        `SELECT session_id, data::text AS data, acr_first, acr_last FROM "${schema}".sessions ORDER BY session_id`,
      );
      const [bytes, other] = raw.rows as { data: string; acr_first: Buffer | null; acr_last: Buffer | null }[];
      assert.deepEqual([...bytes!.acr_first!], [1, 0, 2, 255]);
      assert.deepEqual([...bytes!.acr_last!], [9, 0, 9]);
      assert.doesNotMatch(bytes!.data, /"first"|"last"/);
      assert.equal(other!.acr_first, null);
    } finally {
      await store.close();
      await client.end();
    }
  });

  it('refuses a schema written by a newer diamkit', async () => {
    const schema = newSchema();
    const first = new PostgresStore({ url: url!, schema });
    await first.open();
    await first.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`UPDATE "${schema}".schema_version SET version = $1`, [POSTGRES_SCHEMA_VERSION + 1]);
    await client.end();
    await assert.rejects(new PostgresStore({ url: url!, schema }).open(), (e: unknown) => {
      assert.ok(e instanceof DiameterError);
      assert.equal(e.code, 'STORE_SCHEMA_NEWER');
      return true;
    });
  });

  it('openStore picks PostgreSQL for a postgres:// URL and takes the schema from ?schema=', async () => {
    const schema = newSchema();
    const sep = url!.includes('?') ? '&' : '?';
    const store = await openStore(`${url}${sep}schema=${schema}`);
    try {
      assert.equal(store.backend, 'postgres');
      assert.equal((store as PostgresStore).schema, schema);
      await store.commit({ cdrs: [cdr('via-url')] });
      assert.equal(await store.countCdrs(), 1);
    } finally {
      await store.close();
    }
  });

  it('reports a connection failure at open as STORE_OPEN_FAILED', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const store = new PostgresStore({
      url: 'postgres://nobody:secret@127.0.0.1:1/none',
      connectTimeoutMs: 2000,
    });
    await assert.rejects(store.open(), (e: unknown) => {
      assert.ok(e instanceof DiameterError);
      assert.equal(e.code, 'STORE_OPEN_FAILED');
      assert.ok(!e.message.includes('secret'), 'the password is not in the message');
      return true;
    });
  });
});

describe('redactUrl', () => {
  it('hides the password and nothing else', () => {
    assert.equal(redactUrl('postgres://u:p%40ss@h:5432/db?x=1'), 'postgres://u:***@h:5432/db?x=1');
    assert.equal(redactUrl('postgresql://u@h/db'), 'postgresql://u@h/db');
    assert.equal(
      redactUrl('postgres:///db?host=/var/run/postgresql'),
      'postgres:///db?host=/var/run/postgresql',
    );
  });
});
