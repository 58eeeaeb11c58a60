/**
 * The SQLite store: the shared contract, plus what only a file database has — directory creation, pragmas,
 * schema versioning, and surviving SIGKILL of the writing process (the durability an ACA 2001 promises).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { DiameterError } from '../../src/codec/errors.js';
import { openStore } from '../../src/cdf/open-store.js';
import { SQLITE_SCHEMA_VERSION, SqliteStore } from '../../src/cdf/sqlite-store.js';
import { newCdrId } from '../../src/cdf/store-records.js';
import { cdr, session, storeContract } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'diamkit-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storeContract('sqlite', async () => {
  const path = join(dir, `contract-${++n}.db`);
  return { store: new SqliteStore({ path }), reopen: () => new SqliteStore({ path }) };
});

describe('SqliteStore specifics', () => {
  it('creates the missing directory, uses WAL and the chosen synchronous level, stamps user_version', async () => {
    const path = join(dir, 'nested', 'deeper', 'cdf.db');
    for (const level of ['NORMAL', 'FULL'] as const) {
      const store = new SqliteStore({ path, synchronous: level });
      await store.open();
      assert.ok(existsSync(path));
      // A second connection sees the settings kept in the file; synchronous is per connection.
      const probe = new Database(path, { readonly: true });
      assert.equal(probe.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(probe.pragma('user_version', { simple: true }), SQLITE_SCHEMA_VERSION);
      probe.close();
      assert.deepEqual(store.settings(), {
        journalMode: 'wal',
        synchronous: level,
        schemaVersion: SQLITE_SCHEMA_VERSION,
      });
      await store.close();
    }
  });

  it('refuses a database written by a newer schema', async () => {
    const path = join(dir, 'newer.db');
    const db = new Database(path);
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    db.close();
    await assert.rejects(new SqliteStore({ path }).open(), (e: unknown) => {
      assert.ok(e instanceof DiameterError);
      assert.equal(e.code, 'STORE_SCHEMA_NEWER');
      return true;
    });
  });

  it('makes new files with 32 KiB pages and keeps the page size of an existing file', async () => {
    const fresh = join(dir, 'pages-new.db');
    const store = new SqliteStore({ path: fresh });
    await store.open();
    await store.close();
    const probe = new Database(fresh, { readonly: true });
    assert.equal(probe.pragma('page_size', { simple: true }), 32768);
    probe.close();

    // A file made with SQLite's default page size (an older diamkit) stays as it is and works.
    const old = join(dir, 'pages-old.db');
    const db = new Database(old);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x); DROP TABLE t;');
    db.close();
    const oldStore = new SqliteStore({ path: old });
    await oldStore.open();
    await oldStore.commit({ cdrs: [cdr('on-old-pages')] });
    assert.equal(await oldStore.countCdrs(), 1);
    await oldStore.close();
    const oldProbe = new Database(old, { readonly: true });
    assert.equal(oldProbe.pragma('page_size', { simple: true }), 4096);
    oldProbe.close();
  });

  it('migrates a version 1 file: drops the CDR kind and origin and the open-session indexes, keeps its rows', async () => {
    const path = join(dir, 'v1.db');
    const store = new SqliteStore({ path });
    await store.open();
    await store.commit({ sessionUpserts: [session('kept')], cdrs: [cdr('v1-cdr', { kind: 'pgw' })] });
    await store.close();
    // Put the file back to what schema version 1 left: its two extra CDR indexes and two session indexes,
    // user_version 1.
    const db = new Database(path);
    db.exec(`CREATE INDEX cdrs_kind ON cdrs (kind); CREATE INDEX cdrs_origin ON cdrs (origin_host);
      CREATE INDEX sessions_open_origin ON sessions (origin_host) WHERE state = 'open';
      CREATE INDEX sessions_open_expires ON sessions (expires_at) WHERE state = 'open';
      ALTER TABLE sessions DROP COLUMN acr_first; ALTER TABLE sessions DROP COLUMN acr_last;`);
    db.pragma('user_version = 1');
    db.close();

    const again = new SqliteStore({ path });
    await again.open();
    assert.equal(again.settings().schemaVersion, SQLITE_SCHEMA_VERSION);
    assert.ok(await again.getSession({ sessionId: 'kept' }));
    assert.equal(await again.countCdrs({ kind: 'pgw' }), 1);
    await again.close();
    const probe = new Database(path, { readonly: true });
    const indexes = (table: string) =>
      probe
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL")
        .pluck()
        .all(table);
    assert.deepEqual([...indexes('cdrs')].sort(), ['cdrs_closing', 'cdrs_created', 'cdrs_session']);
    assert.deepEqual(indexes('sessions'), [], 'open sessions are listed by a scan');
    probe.close();
  });

  it('keeps kept ACRs as bytes beside the JSON; a version 3 file gains the columns and its rows read as before', async () => {
    const path = join(dir, 'v3.db');
    const store = new SqliteStore({ path });
    await store.open();
    await store.close();
    // Schema version 3: no acr_ columns; a session row of that time holds its ACRs base64 in the JSON.
    const db = new Database(path);
    db.exec('ALTER TABLE sessions DROP COLUMN acr_first; ALTER TABLE sessions DROP COLUMN acr_last;');
    db.pragma('user_version = 3');
    db.close();
    const oldData = { v: 2, first: Buffer.from([1, 0, 2]).toString('base64'), ps: false, containers: [], recordNumbers: { max: 0, missing: [] } };
    const v3 = new Database(path);
    const row = session('old-row', { data: oldData });
    v3.prepare(
      `INSERT INTO sessions (session_id, sub_session_id, origin_host, origin_realm, state, record_type, last_record_number,
        opened_at, last_seen_at, partial_sequence, counters, anomalies, data) VALUES (?, '', ?, ?, 'open', 2, 0, ?, ?, 0, '{}', '[]', ?)`,
    ).run(row.sessionId, row.originHost, row.originRealm, row.openedAt.getTime(), row.lastSeenAt.getTime(), JSON.stringify(oldData));
    v3.close();

    const again = new SqliteStore({ path });
    await again.open();
    assert.equal(again.settings().schemaVersion, SQLITE_SCHEMA_VERSION);
    assert.deepEqual((await again.getSession({ sessionId: 'old-row' }))?.data, oldData, 'an old row reads as it was written');

    // A session whose data carries its ACRs as bytes (store.ts KeptAcrsSource) is written in two parts.
    const { KeptData } = await import('../../src/cdf/kept-data.js');
    const kept = new KeptData(Buffer.from([1, 0, 2, 255]).toString('latin1'), 0, undefined);
    kept.last = Buffer.from([9, 0, 9]).toString('latin1');
    await again.commit({ sessionUpserts: [session('new-row', { data: kept as never })] });
    assert.deepEqual((await again.getSession({ sessionId: 'new-row' }))?.data, kept.toJSON(), 'read back, it is toJSON()');
    await again.close();
    const probe = new Database(path, { readonly: true });
    const raw = probe.prepare("SELECT data, acr_first, acr_last FROM sessions WHERE session_id = 'new-row'").get() as {
      data: string;
      acr_first: Buffer;
      acr_last: Buffer;
    };
    probe.close();
    assert.deepEqual([...raw.acr_first], [1, 0, 2, 255], 'the first ACR as its bytes');
    assert.deepEqual([...raw.acr_last], [9, 0, 9], 'the latest ACR as its bytes');
    assert.doesNotMatch(raw.data, /"first"|"last"/, 'and not again inside the JSON');
  });

  it('copies the WAL into the database from a worker thread between commits (0: only inside commits)', async () => {
    const sizeAfterCommits = async (name: string, checkpointIntervalMs: number) => {
      const path = join(dir, name);
      const store = new SqliteStore({ path, checkpointIntervalMs });
      await store.open();
      const before = statSync(path).size;
      // ~1 MB of CDRs: far below the writer's own checkpoint threshold (~40 MB of WAL).
      for (let b = 0; b < 10; b++) {
        await store.commit({ cdrs: Array.from({ length: 40 }, (_, i) => cdr(`${name}-${b}-${i}`, { fields: { pad: 'x'.repeat(2000) } })) });
      }
      await new Promise((r) => setTimeout(r, 400));
      const after = statSync(path).size;
      await store.close();
      return after - before;
    };
    const withWorker = await sizeAfterCommits('ckpt-worker.db', 20);
    const without = await sizeAfterCommits('ckpt-none.db', 0);
    assert.ok(withWorker > 500_000, `the database file grew by ${withWorker} B: the worker copied the WAL into it`);
    assert.ok(without < 100_000, `without the worker it grew by ${without} B: the pages stayed in the WAL`);
  });

  it('newCdrId makes RFC 9562 version 7 UUIDs: the time in front, so later ids sort later', () => {
    // 2024-01-01T12:00:00.123Z = 1704110400123 ms = 0x018cc4e5227b: the first 48 bits, spelt out.
    const t = Date.UTC(2024, 0, 1, 12, 0, 0, 123);
    const id = newCdrId(t);
    assert.match(id, /^018cc4e5-227b-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ids = Array.from({ length: 600 }, (_, i) => newCdrId(t + i));
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
    assert.deepEqual([...ids].sort(), ids, 'ids made later sort later');
    assert.notEqual(newCdrId(t).slice(15), newCdrId(t).slice(15), 'the same ms still gives random tails');
  });

  it('openStore treats anything but a postgres URL as a file path', async () => {
    const path = join(dir, 'via-open-store.db');
    const store = await openStore(path);
    assert.equal(store.backend, 'sqlite');
    assert.equal((await store.stats()).location, path);
    await store.close();
    assert.ok(existsSync(path));
  });

  it('keeps every acknowledged batch when the writing process is killed with SIGKILL', async () => {
    const path = join(dir, 'crash.db');
    const writer = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'sqlite-crash-writer.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', writer, path], {
      cwd: resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acked = new Set<string>();
    let buffered = '';
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
    await new Promise<void>((resolveKill, rejectKill) => {
      const timer = setTimeout(
        () => rejectKill(new Error('writer did not acknowledge 300 batches in 30 s')),
        30_000,
      );
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const l of lines) if (l.startsWith('ack ')) acked.add(l.slice(4));
        if (acked.size >= 300 && child.exitCode === null && !child.killed) {
          // Killed mid-stream: more submits are in flight at this moment.
          child.kill('SIGKILL');
          clearTimeout(timer);
          resolveKill();
        }
      });
      child.on('exit', () => {
        clearTimeout(timer);
        if (acked.size < 300) rejectKill(new Error(`writer exited after ${acked.size} acks`));
      });
    });
    assert.equal(await exited, 'SIGKILL');
    const store = new SqliteStore({ path });
    await store.open();
    for (const id of acked) {
      assert.equal(await store.countCdrs({ sessionId: id }), 1, `acknowledged ${id} survived`);
      assert.ok(await store.getSession({ sessionId: id }), `session ${id} survived`);
    }
    await store.close();
  });
});
