/**
 * The default CDR store: one SQLite file through better-sqlite3 (synchronous; a commit is one prepared-
 * statement transaction that blocks the event loop for its duration, which group commit keeps rare).
 *
 * Durability (accounting-rf.md §5.6: an ACA 2001 promises the record is stored). In WAL mode a commit
 * appends its frames to the -wal file with write(2) before returning; from then on they are in the
 * kernel's page cache and survive the process being killed (SIGKILL, crash, OOM kill):
 * test/cdf/sqlite-store.test.ts kills a writer and finds every acknowledged batch. `synchronous=NORMAL`
 * skips the fsync at each commit, so only a power loss or kernel crash can lose the last transactions;
 * `FULL` adds one fsync per commit and survives those too.
 * Default NORMAL: the requirement is crash (SIGKILL) safety, and FULL is not cheap here because the fsync
 * happens inside the synchronous call, stalling every socket of the process: measured with
 * bench/store-bench.ts on this 2-core VM, one-row commits took 0.1 ms (NORMAL) vs 4 ms (FULL) at p50, and
 * batches of 100 session upserts + 25 CDRs ran at 16–38k rows/s (NORMAL) vs 11–24k rows/s (FULL).
 * Choose `synchronous: 'FULL'` where losing the last milliseconds of records to a power cut matters more.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DiameterError } from '../codec/errors.js';
import type {
  AccountingSession,
  Cdr,
  CdrFilter,
  CdrListQuery,
  CdrStore,
  OpenSessionQuery,
  PageOptions,
  SessionKey,
  StoreBatch,
  StoreStats,
} from './store.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import {
  CDR_COLUMNS,
  SESSION_COLUMNS,
  cdrConditions,
  cdrFromRow,
  checkPageSize,
  checkSequenceRequest,
  clampLimit,
  epochMs,
  openSessionConditions,
  openSessionOrder,
  exportPageSql,
  prepareBatch,
  sessionFromRow,
  storeError,
  subKey,
  type ColumnValue,
  type PreparedBatch,
  type ReadRow,
} from './store-records.js';

export interface SqliteStoreOptions {
  /** Database file; ':memory:' for a private in-memory database. Its directory is created if missing. */
  path: string;
  /** See the header comment. Default 'NORMAL' (safe against a killed process, not against power loss). */
  synchronous?: 'NORMAL' | 'FULL';
  /** How long to wait for another process's write lock (ms, default 5000). */
  busyTimeoutMs?: number;
  /**
   * Checkpoint the WAL from a worker thread this often (ms; default 100; 0: only the writer's own automatic
   * checkpoints, inside commits). A file only. See wal-checkpointer.ts.
   */
  checkpointIntervalMs?: number;
}

/**
 * Schema steps; PRAGMA user_version is the number of steps applied. Append only: a database written by a
 * newer diamkit (higher user_version) is refused rather than misread.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE sessions (
    session_id TEXT NOT NULL,
    sub_session_id TEXT NOT NULL DEFAULT '',
    origin_host TEXT NOT NULL,
    origin_realm TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    record_type INTEGER NOT NULL,
    last_record_number INTEGER NOT NULL,
    opened_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER,
    interim_interval INTEGER,
    service_context_id TEXT,
    partial_sequence INTEGER NOT NULL,
    counters TEXT NOT NULL,
    anomalies TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (session_id, sub_session_id)
  ) WITHOUT ROWID;
  CREATE INDEX sessions_open_origin ON sessions (origin_host) WHERE state = 'open';
  CREATE INDEX sessions_open_expires ON sessions (expires_at) WHERE state = 'open';

  -- AUTOINCREMENT: a seq is never reused, even after the newest rows are deleted, so export cursors hold.
  CREATE TABLE cdrs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    record_type INTEGER,
    session_id TEXT NOT NULL,
    sub_session_id TEXT NOT NULL,
    record_sequence_number INTEGER,
    local_record_sequence_number INTEGER,
    record_opening_time INTEGER NOT NULL,
    record_closing_time INTEGER NOT NULL,
    duration REAL NOT NULL,
    cause_for_record_closing INTEGER NOT NULL,
    served_party TEXT NOT NULL,
    origin_host TEXT NOT NULL,
    origin_realm TEXT,
    node_address TEXT,
    anomalies TEXT NOT NULL,
    fields TEXT NOT NULL,
    raw_avps TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  -- A secondary index ends with the rowid (seq), so each of these also serves "ORDER BY seq".
  CREATE INDEX cdrs_session ON cdrs (session_id, sub_session_id);
  CREATE INDEX cdrs_created ON cdrs (created_at);
  CREATE INDEX cdrs_closing ON cdrs (record_closing_time);
  CREATE INDEX cdrs_kind ON cdrs (kind);
  CREATE INDEX cdrs_origin ON cdrs (origin_host);

  CREATE TABLE sequences (
    name TEXT PRIMARY KEY,
    next_value INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // Every CDR insert updates each index, and kind and origin_host take a handful of values, so these two
  // barely narrowed a search: a filter on them alone now walks the table in seq order, which listCdrs and
  // exportCdrs (the admin API's CDR list) stop at their page size; only a count by kind or origin (admin
  // API ?count=1) reads the whole table. Time and Session-Id, what the CLI filters by, keep their indexes.
  `
  DROP INDEX IF EXISTS cdrs_kind;
  DROP INDEX IF EXISTS cdrs_origin;
  `,
  // Supervision runs on the session manager's memory, not on the store, so these two served only an
  // operator's listing (`diamkit sessions` by origin host or overdue), which a scan of the open sessions
  // answers; meanwhile every START, INTERIM and STOP paid for them (each INTERIM moves expires_at).
  `
  DROP INDEX IF EXISTS sessions_open_origin;
  DROP INDEX IF EXISTS sessions_open_expires;
  `,
  // A session's kept ACRs as bytes beside its data (store.ts KeptAcrsSource) rather than base64 inside the
  // JSON: a third fewer bytes in every START and INTERIM row, and no base64 to make. Rows written before
  // keep them in the JSON, with NULL here, and read as they did.
  `
  ALTER TABLE sessions ADD COLUMN acr_first BLOB;
  ALTER TABLE sessions ADD COLUMN acr_last BLOB;
  `,
];

export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/** Bytes per page of a new database file (SQLite's default is 4096; see open()). */
const PAGE_SIZE = 32768;

/** WAL size that triggers an automatic checkpoint. */
const WAL_CHECKPOINT_BYTES = 40 * 1024 * 1024;

type Db = Database.Database;
type Stmt = Database.Statement<unknown[], ReadRow>;

/** better-sqlite3 binds numbers, strings, bigint, Buffer and null; times are stored as epoch ms. */
function sqlValue(v: ColumnValue): string | number | null {
  return v instanceof Date ? v.getTime() : v;
}

const SESSION_UPSERT = `
  INSERT INTO sessions (${SESSION_COLUMNS.join(', ')})
  VALUES (${SESSION_COLUMNS.map(() => '?').join(', ')})
  ON CONFLICT (session_id, sub_session_id) DO UPDATE SET
  ${SESSION_COLUMNS.slice(2)
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;

const CDR_INSERT = `
  INSERT INTO cdrs (${CDR_COLUMNS.join(', ')})
  VALUES (${CDR_COLUMNS.map(() => '?').join(', ')})`;

export class SqliteStore implements CdrStore {
  readonly backend = 'sqlite' as const;
  readonly path: string;
  readonly #synchronous: 'NORMAL' | 'FULL';
  readonly #busyTimeoutMs: number;
  readonly #checkpointIntervalMs: number;
  #checkpointer: WalCheckpointer | undefined;
  #db: Db | undefined;
  #closed = false;
  #apply: ((b: PreparedBatch) => void) | undefined;
  readonly #stmts = new Map<string, Stmt>();
  #commits = 0;
  #rowsWritten = 0;

  constructor(options: SqliteStoreOptions) {
    this.path = options.path;
    this.#synchronous = options.synchronous ?? 'NORMAL';
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    this.#checkpointIntervalMs = options.checkpointIntervalMs ?? 100;
  }

  async open(): Promise<void> {
    if (this.#db) return;
    if (this.#closed) throw new DiameterError('STORE_CLOSED');
    let db: Db | undefined;
    try {
      if (this.path !== ':memory:' && !this.path.startsWith('file:')) {
        mkdirSync(dirname(resolve(this.path)), { recursive: true });
      }
      db = new Database(this.path);
      // A new file only (the page size is fixed once the first page is written, and WAL keeps it so).
      // Session rows (~1.5–2.5 KB with their kept ACRs) and CDR rows (3–5 KB) are large for b-tree pages:
      // with 32 KB pages a page holds ten of them rather than two or three, so a commit allocates, splits
      // and frames far fewer pages. SQLite alone on the CDF's row mix (START/INTERIM/INTERIM/STOP, 128 rows
      // per commit): ~16 µs per ACR with 4 KB pages, ~9.5 with 8 KB, ~8.2 with 32 KB, no better with 64 KB.
      // The cost: a commit of a lone ACR writes a few whole pages to the WAL, 32 KB each.
      db.pragma(`page_size = ${PAGE_SIZE}`);
      // journal_mode=WAL is persistent in the file; readers (an export) never block the writer.
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.#synchronous}`);
      db.pragma(`busy_timeout = ${this.#busyTimeoutMs}`);
      // Checkpoint every ~40 MB of WAL instead of every 1000 pages: a page the CDF rewrites often (its
      // session rows, the tails of the CDR indexes) is copied into the database once per checkpoint, not
      // once per few commits. Readers are unaffected; the WAL file is reset after each checkpoint. The
      // setting counts pages, whose size depends on when the file was made.
      const pageSize = Number(db.pragma('page_size', { simple: true }));
      db.pragma(`wal_autocheckpoint = ${Math.round(WAL_CHECKPOINT_BYTES / pageSize)}`);
      migrate(db);
    } catch (e) {
      db?.close();
      throw storeError('STORE_OPEN_FAILED', `cannot open SQLite store ${this.path}`, e);
    }
    this.#db = db;
    if (this.#checkpointIntervalMs > 0 && this.path !== ':memory:' && !this.path.startsWith('file:')) {
      this.#checkpointer = new WalCheckpointer(resolve(this.path), this.#checkpointIntervalMs);
    }
    const del = db.prepare('DELETE FROM sessions WHERE session_id = ? AND sub_session_id = ?');
    const upsert = db.prepare(SESSION_UPSERT);
    const insert = db.prepare(CDR_INSERT);
    this.#apply = db.transaction((b: PreparedBatch) => {
      for (const k of b.deletes) del.run(k.sessionId, subKey(k.subSessionId));
      for (const r of b.upserts) upsert.run(r);
      for (const r of b.cdrs) insert.run(r);
    }).immediate;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const db = this.#db;
    this.#db = undefined;
    this.#apply = undefined;
    this.#stmts.clear();
    // The worker's connection first, so the writer's close is the last one: it checkpoints and removes the WAL.
    const checkpointer = this.#checkpointer;
    this.#checkpointer = undefined;
    await checkpointer?.stop();
    db?.close();
  }

  #open(): Db {
    if (!this.#db)
      throw new DiameterError('STORE_CLOSED', this.#closed ? 'the store is closed' : 'open() was not called');
    return this.#db;
  }

  #stmt(sql: string): Stmt {
    const db = this.#open();
    let s = this.#stmts.get(sql);
    if (!s) {
      s = db.prepare(sql) as Stmt;
      this.#stmts.set(sql, s);
    }
    return s;
  }

  #read<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw storeError('STORE_READ_FAILED', what, e);
    }
  }

  async commit(batch: StoreBatch): Promise<void> {
    this.#open();
    const prepared = prepareBatch(batch, epochMs);
    const rows = prepared.deletes.length + prepared.upserts.length + prepared.cdrs.length;
    if (rows === 0) return;
    try {
      this.#apply!(prepared);
    } catch (e) {
      throw storeError('STORE_WRITE_FAILED', 'SQLite commit failed', e);
    }
    this.#commits++;
    this.#rowsWritten += rows;
  }

  async getSession(key: SessionKey): Promise<AccountingSession | undefined> {
    const row = this.#read('getSession', () =>
      this.#stmt('SELECT * FROM sessions WHERE session_id = ? AND sub_session_id = ?').get(
        key.sessionId,
        subKey(key.subSessionId),
      ),
    );
    return row ? sessionFromRow(row) : undefined;
  }

  async listOpenSessions(query: OpenSessionQuery = {}): Promise<AccountingSession[]> {
    const params: unknown[] = [];
    const where = openSessionConditions(query, (v) => (params.push(sqlValue(v)), '?'));
    params.push(clampLimit(query.limit, 1000, 100_000));
    const sql = `SELECT * FROM sessions WHERE ${where.join(' AND ')} ORDER BY ${openSessionOrder(query)} LIMIT ?`;
    return this.#read('listOpenSessions', () => this.#stmt(sql).all(...params)).map(sessionFromRow);
  }

  async *loadOpenSessions(options: PageOptions = {}): AsyncIterable<AccountingSession> {
    const pageSize = checkPageSize(options.pageSize);
    // Keyset paging: each page is its own short query, so no statement stays open across an await (an
    // open better-sqlite3 iterator would block every write on this connection) and memory stays one page.
    const sql = `SELECT * FROM sessions WHERE state = 'open' AND (session_id, sub_session_id) > (?, ?)
      ORDER BY session_id, sub_session_id LIMIT ?`;
    let after: [string, string] = ['', ''];
    for (;;) {
      const rows = this.#read('loadOpenSessions', () => this.#stmt(sql).all(after[0], after[1], pageSize));
      for (const r of rows) yield sessionFromRow(r);
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1]!;
      after = [last.session_id as string, last.sub_session_id as string];
    }
  }

  #cdrQuery(query: CdrListQuery): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const bind = (v: ColumnValue): string => (params.push(sqlValue(v)), '?');
    const where = cdrConditions(query, bind);
    const desc = query.order === 'desc';
    if (query.order !== undefined && query.order !== 'asc' && !desc) {
      throw new DiameterError('STORE_BAD_RECORD', `order ${String(query.order)} is not asc or desc`);
    }
    if (query.afterSeq !== undefined) where.push(`seq ${desc ? '<' : '>'} ${bind(query.afterSeq)}`);
    const limit = clampLimit(query.limit, 100, 10_000);
    const offset = clampLimit(query.offset, 0, Number.MAX_SAFE_INTEGER);
    const sql = `SELECT * FROM cdrs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY seq ${desc ? 'DESC' : 'ASC'} LIMIT ${bind(limit)} OFFSET ${bind(offset)}`;
    return { sql, params };
  }

  async listCdrs(query: CdrListQuery = {}): Promise<Cdr[]> {
    const { sql, params } = this.#cdrQuery(query);
    return this.#read('listCdrs', () => this.#stmt(sql).all(...params)).map(cdrFromRow);
  }

  async *exportCdrs(filter: CdrFilter = {}, options: PageOptions = {}): AsyncIterable<Cdr> {
    const pageSize = checkPageSize(options.pageSize);
    let last: ReadRow | undefined;
    for (;;) {
      const params: unknown[] = [];
      const bind = (v: ColumnValue): string => (params.push(sqlValue(v)), '?');
      const { where, orderBy } = exportPageSql(filter, last, bind);
      const sql = `SELECT * FROM cdrs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${orderBy} LIMIT ${bind(pageSize)}`;
      const rows = this.#read('exportCdrs', () => this.#stmt(sql).all(...params));
      for (const r of rows) yield cdrFromRow(r);
      if (rows.length < pageSize) return;
      last = rows[rows.length - 1];
    }
  }

  async countCdrs(filter: CdrFilter = {}): Promise<number> {
    const params: unknown[] = [];
    const where = cdrConditions(filter, (v) => (params.push(sqlValue(v)), '?'));
    const sql = `SELECT count(*) AS n FROM cdrs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    return Number(this.#read('countCdrs', () => this.#stmt(sql).get(...params))!.n);
  }

  async allocateSequence(name: string, count: number): Promise<number> {
    checkSequenceRequest(name, count);
    const sql = `INSERT INTO sequences (name, next_value) VALUES (?, 1 + ?)
      ON CONFLICT (name) DO UPDATE SET next_value = next_value + excluded.next_value - 1
      RETURNING next_value - ? AS first`;
    try {
      return Number(this.#stmt(sql).get(name, count, count)!.first);
    } catch (e) {
      throw storeError('STORE_WRITE_FAILED', 'allocateSequence', e);
    }
  }

  /**
   * Frees what SQLite holds for this connection that it can read again (its page cache): for an idle server
   * after a burst (src/cdf/idle-reclaim.ts). Pages allocated at the peak sit at the top of the C heap, so
   * freeing them is also what lets the allocator hand that heap back to the system.
   */
  releaseMemory(): void {
    this.#db?.pragma('shrink_memory');
  }

  /** The connection's durability settings as SQLite reports them (diagnostics, tests). */
  settings(): {
    journalMode: string;
    synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
    schemaVersion: number;
  } {
    const db = this.#open();
    const sync = Number(db.pragma('synchronous', { simple: true }));
    return {
      journalMode: String(db.pragma('journal_mode', { simple: true })),
      synchronous: (['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const)[sync] ?? 'OFF',
      schemaVersion: Number(db.pragma('user_version', { simple: true })),
    };
  }

  async stats(): Promise<StoreStats> {
    const counts = this.#read('stats', () => ({
      sessions: this.#stmt('SELECT state, count(*) AS n FROM sessions GROUP BY state').all(),
      cdrs: this.#stmt('SELECT count(*) AS n FROM cdrs').get()!,
    }));
    const byState = new Map(counts.sessions.map((r) => [r.state as string, Number(r.n)]));
    return {
      backend: 'sqlite',
      location: this.path,
      openSessions: byState.get('open') ?? 0,
      closedSessions: byState.get('closed') ?? 0,
      cdrs: Number(counts.cdrs.n),
      commits: this.#commits,
      rowsWritten: this.#rowsWritten,
    };
  }
}

/** Applies the missing schema steps in one write transaction, so two processes opening a new file don't race. */
function migrate(db: Db): void {
  db.transaction(() => {
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version > MIGRATIONS.length) {
      throw new DiameterError(
        'STORE_SCHEMA_NEWER',
        `schema version ${version} is newer than ${MIGRATIONS.length}, which this diamkit knows`,
      );
    }
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    // PRAGMA takes no bound parameters; the value is our own integer.
    if (version !== MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}
