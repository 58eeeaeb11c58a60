/**
 * The scale-out CDR store: PostgreSQL through a pg Pool, for several CDF instances sharing one database.
 *
 * A batch is ONE statement: data-modifying CTEs delete, upsert and append with column arrays passed through
 * unnest(), so a commit is one round trip, atomic as a single statement is (its implicit transaction), and
 * the number of bind parameters does not grow with the batch. prepareBatch() leaves one operation per
 * session key, which a single statement needs (ON CONFLICT DO UPDATE may not touch a row twice, and CTEs
 * share one snapshot). Schema creation runs under an advisory lock so instances starting together don't race.
 */
import pg from 'pg';
import type { Pool as PgPool, PoolConfig } from 'pg';
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
import {
  CDR_COLUMNS,
  SESSION_COLUMNS,
  cdrConditions,
  cdrFromRow,
  checkPageSize,
  checkSequenceRequest,
  clampLimit,
  openSessionConditions,
  openSessionOrder,
  exportPageSql,
  prepareBatch,
  sessionFromRow,
  storeError,
  subKey,
  type CdrColumn,
  type ColumnValue,
  type ReadRow,
  type SessionColumn,
} from './store-records.js';

export interface PostgresStoreOptions {
  /** postgres://user:pass@host:port/db, or postgres:///db?host=/var/run/postgresql; `?schema=` is ours. */
  url: string;
  /** Schema holding the tables (created if absent). Default: the URL's `schema` parameter, else 'public'. */
  schema?: string;
  /** Pool size (default 4): commits are serialised by group commit; the rest serve reads and exports. */
  poolSize?: number;
  /** Server-side limit per statement, ms (default 30000): a stuck database fails commits (→ 4002). */
  statementTimeoutMs?: number;
  /** Wait for a connection, ms (default 5000). */
  connectTimeoutMs?: number;
}

type PgType = 'text' | 'int8' | 'float8' | 'timestamptz' | 'jsonb' | 'bytea';

const SESSION_TYPES: Record<SessionColumn, PgType> = {
  session_id: 'text',
  sub_session_id: 'text',
  origin_host: 'text',
  origin_realm: 'text',
  state: 'text',
  record_type: 'int8',
  last_record_number: 'int8',
  opened_at: 'timestamptz',
  last_seen_at: 'timestamptz',
  expires_at: 'timestamptz',
  interim_interval: 'int8',
  service_context_id: 'text',
  partial_sequence: 'int8',
  counters: 'jsonb',
  anomalies: 'jsonb',
  data: 'jsonb',
  acr_first: 'bytea',
  acr_last: 'bytea',
};

const CDR_TYPES: Record<CdrColumn, PgType> = {
  id: 'text',
  kind: 'text',
  record_type: 'int8',
  session_id: 'text',
  sub_session_id: 'text',
  record_sequence_number: 'int8',
  local_record_sequence_number: 'int8',
  record_opening_time: 'timestamptz',
  record_closing_time: 'timestamptz',
  duration: 'float8',
  cause_for_record_closing: 'int8',
  served_party: 'jsonb',
  origin_host: 'text',
  origin_realm: 'text',
  node_address: 'text',
  anomalies: 'jsonb',
  fields: 'jsonb',
  raw_avps: 'jsonb',
  created_at: 'timestamptz',
};

/** Schema steps, `{S}` standing for the quoted schema name. Append only (schema_version = steps applied). */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE {S}.sessions (
    session_id text COLLATE "C" NOT NULL,
    sub_session_id text COLLATE "C" NOT NULL DEFAULT '',
    origin_host text NOT NULL,
    origin_realm text NOT NULL,
    state text NOT NULL CHECK (state IN ('open', 'closed')),
    record_type int8 NOT NULL,
    last_record_number int8 NOT NULL,
    opened_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at timestamptz,
    interim_interval int8,
    service_context_id text,
    partial_sequence int8 NOT NULL,
    counters jsonb NOT NULL,
    anomalies jsonb NOT NULL,
    data jsonb NOT NULL,
    PRIMARY KEY (session_id, sub_session_id)
  );
  CREATE INDEX sessions_open_origin ON {S}.sessions (origin_host) WHERE state = 'open';
  CREATE INDEX sessions_open_expires ON {S}.sessions (expires_at) WHERE state = 'open';

  CREATE TABLE {S}.cdrs (
    seq int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text COLLATE "C" NOT NULL UNIQUE,
    kind text NOT NULL,
    record_type int8,
    session_id text COLLATE "C" NOT NULL,
    sub_session_id text COLLATE "C" NOT NULL,
    record_sequence_number int8,
    local_record_sequence_number int8,
    record_opening_time timestamptz NOT NULL,
    record_closing_time timestamptz NOT NULL,
    duration float8 NOT NULL,
    cause_for_record_closing int8 NOT NULL,
    served_party jsonb NOT NULL,
    origin_host text NOT NULL,
    origin_realm text,
    node_address text,
    anomalies jsonb NOT NULL,
    fields jsonb NOT NULL,
    raw_avps jsonb NOT NULL,
    created_at timestamptz NOT NULL
  );
  CREATE INDEX cdrs_session ON {S}.cdrs (session_id, sub_session_id, seq);
  CREATE INDEX cdrs_created ON {S}.cdrs (created_at, seq);
  CREATE INDEX cdrs_closing ON {S}.cdrs (record_closing_time, seq);
  CREATE INDEX cdrs_kind ON {S}.cdrs (kind, seq);
  CREATE INDEX cdrs_origin ON {S}.cdrs (origin_host, seq);

  CREATE TABLE {S}.sequences (
    name text PRIMARY KEY,
    next_value int8 NOT NULL
  );
  `,
  // As in sqlite-store.ts: every CDR insert updates each index, and kind and origin_host take a handful
  // of values, so these two barely shortened what a filter on them reads.
  `
  DROP INDEX IF EXISTS {S}.cdrs_kind;
  DROP INDEX IF EXISTS {S}.cdrs_origin;
  `,
  // As in sqlite-store.ts: a session's kept ACRs as bytes beside its data, not base64 inside the jsonb.
  `
  ALTER TABLE {S}.sessions ADD COLUMN acr_first bytea, ADD COLUMN acr_last bytea;
  `,
];

export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Dates travel as ISO text (exact to the millisecond, no local-time formatting by pg). */
function pgValue(v: ColumnValue): string | number | null {
  return v instanceof Date ? v.toISOString() : v;
}

const isoTime = (d: Date): string => d.toISOString();

function selectList(columns: readonly string[], types: Record<string, PgType>): string {
  // jsonb comes back as text so both backends hand the same JSON text to store-records.ts.
  return columns.map((c) => (types[c] === 'jsonb' ? `${c}::text AS ${c}` : c)).join(', ');
}

/** Splits our `schema` parameter off the URL; pg gets the rest untouched. */
function splitSchemaParam(url: string): { url: string; schema?: string } {
  const q = url.indexOf('?');
  if (q < 0) return { url };
  const params = new URLSearchParams(url.slice(q + 1));
  const schema = params.get('schema') ?? undefined;
  if (schema === undefined) return { url };
  params.delete('schema');
  const rest = params.toString();
  return { url: url.slice(0, q) + (rest ? `?${rest}` : ''), schema };
}

/** The URL as shown in stats and errors: without its password. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@?]*):[^@/?]*@/, '$1:***@');
}

export class PostgresStore implements CdrStore {
  readonly backend = 'postgres' as const;
  readonly schema: string;
  readonly #url: string;
  readonly #options: PostgresStoreOptions;
  readonly #s: string;
  #pool: PgPool | undefined;
  #closed = false;
  #commits = 0;
  #rowsWritten = 0;
  /** The last error of an idle pooled connection (pg emits it on the pool; unhandled it would crash). */
  lastPoolError: Error | undefined;

  readonly #commitSql: string;
  readonly #sessionSelect = selectList(SESSION_COLUMNS, SESSION_TYPES);
  readonly #cdrSelect = `seq, ${selectList(CDR_COLUMNS, CDR_TYPES)}`;

  constructor(options: PostgresStoreOptions) {
    const split = splitSchemaParam(options.url);
    this.#url = split.url;
    this.#options = options;
    this.schema = options.schema ?? split.schema ?? 'public';
    if (!SCHEMA_NAME.test(this.schema)) {
      throw new DiameterError(
        'STORE_OPEN_FAILED',
        `schema name ${JSON.stringify(this.schema)} is not a plain identifier`,
      );
    }
    this.#s = `"${this.schema}"`;
    this.#commitSql = this.#buildCommitSql();
  }

  #buildCommitSql(): string {
    const S = this.#s;
    let n = 0;
    const arrays = (cols: readonly string[], types: Record<string, PgType>): string =>
      cols.map((c) => `$${++n}::${types[c]}[]`).join(', ');
    const del = `$${++n}::text[], $${++n}::text[]`;
    const up = arrays(SESSION_COLUMNS, SESSION_TYPES);
    const ins = arrays(CDR_COLUMNS, CDR_TYPES);
    return `
      WITH del AS (
        DELETE FROM ${S}.sessions AS s USING unnest(${del}) AS d(session_id, sub_session_id)
        WHERE s.session_id = d.session_id AND s.sub_session_id = d.sub_session_id
      ), up AS (
        INSERT INTO ${S}.sessions (${SESSION_COLUMNS.join(', ')})
        SELECT * FROM unnest(${up})
        ON CONFLICT (session_id, sub_session_id) DO UPDATE SET
        ${SESSION_COLUMNS.slice(2)
          .map((c) => `${c} = EXCLUDED.${c}`)
          .join(', ')}
      )
      INSERT INTO ${S}.cdrs (${CDR_COLUMNS.join(', ')})
      SELECT ${CDR_COLUMNS.join(', ')} FROM unnest(${ins}) WITH ORDINALITY AS t(${CDR_COLUMNS.join(', ')}, ord)
      ORDER BY ord`;
  }

  get location(): string {
    return `${redactUrl(this.#url)} (schema ${this.schema})`;
  }

  async open(): Promise<void> {
    if (this.#pool) return;
    if (this.#closed) throw new DiameterError('STORE_CLOSED');
    const config: PoolConfig = {
      connectionString: this.#url,
      max: this.#options.poolSize ?? 4,
      statement_timeout: this.#options.statementTimeoutMs ?? 30_000,
      connectionTimeoutMillis: this.#options.connectTimeoutMs ?? 5000,
      application_name: 'diamkit-cdf',
    };
    const pool = new pg.Pool(config);
    pool.on('error', (e) => {
      this.lastPoolError = e;
    });
    try {
      await this.#migrate(pool);
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw storeError('STORE_OPEN_FAILED', `cannot open PostgreSQL store ${this.location}`, e);
    }
    this.#pool = pool;
  }

  async #migrate(pool: PgPool): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // One lock per schema, held to COMMIT: the first instance creates, the others then see it done.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`diamkit-schema:${this.schema}`]);
      const ns = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema]);
      if (ns.rowCount === 0) await client.query(`CREATE SCHEMA ${this.#s}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.#s}.schema_version (version int8 NOT NULL)`);
      const r = await client.query<{ version: string }>(`SELECT version FROM ${this.#s}.schema_version`);
      const version = r.rows.length ? Number(r.rows[0]!.version) : 0;
      if (version > MIGRATIONS.length) {
        throw new DiameterError(
          'STORE_SCHEMA_NEWER',
          `schema ${this.schema} has version ${version}, newer than ${MIGRATIONS.length}, which this diamkit knows`,
        );
      }
      for (let v = version; v < MIGRATIONS.length; v++) {
        await client.query(MIGRATIONS[v]!.replaceAll('{S}', this.#s));
      }
      if (r.rows.length === 0) {
        await client.query(`INSERT INTO ${this.#s}.schema_version (version) VALUES ($1)`, [
          MIGRATIONS.length,
        ]);
      } else if (version !== MIGRATIONS.length) {
        await client.query(`UPDATE ${this.#s}.schema_version SET version = $1`, [MIGRATIONS.length]);
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end();
  }

  #open(): PgPool {
    if (!this.#pool)
      throw new DiameterError('STORE_CLOSED', this.#closed ? 'the store is closed' : 'open() was not called');
    return this.#pool;
  }

  async #read(what: string, sql: string, params: unknown[]): Promise<ReadRow[]> {
    const pool = this.#open();
    try {
      return (await pool.query(sql, params)).rows as ReadRow[];
    } catch (e) {
      throw storeError('STORE_READ_FAILED', what, e);
    }
  }

  async commit(batch: StoreBatch): Promise<void> {
    const pool = this.#open();
    const b = prepareBatch(batch, isoTime);
    const rows = b.deletes.length + b.upserts.length + b.cdrs.length;
    if (rows === 0) return;
    const values: unknown[] = [
      b.deletes.map((k) => k.sessionId),
      b.deletes.map((k) => subKey(k.subSessionId)),
    ];
    // One array per column (unnest), rows being in SESSION_COLUMNS / CDR_COLUMNS order.
    for (let i = 0; i < SESSION_COLUMNS.length; i++) values.push(b.upserts.map((r) => r[i]));
    for (let i = 0; i < CDR_COLUMNS.length; i++) values.push(b.cdrs.map((r) => r[i]));
    try {
      // Named: parsed and planned once per pooled connection.
      await pool.query({ name: `diamkit-commit-${this.schema}`, text: this.#commitSql, values });
    } catch (e) {
      throw storeError('STORE_WRITE_FAILED', 'PostgreSQL commit failed', e);
    }
    this.#commits++;
    this.#rowsWritten += rows;
  }

  async getSession(key: SessionKey): Promise<AccountingSession | undefined> {
    const rows = await this.#read(
      'getSession',
      `SELECT ${this.#sessionSelect} FROM ${this.#s}.sessions WHERE session_id = $1 AND sub_session_id = $2`,
      [key.sessionId, subKey(key.subSessionId)],
    );
    return rows[0] ? sessionFromRow(rows[0]) : undefined;
  }

  async listOpenSessions(query: OpenSessionQuery = {}): Promise<AccountingSession[]> {
    const params: unknown[] = [];
    const bind = (v: ColumnValue): string => (params.push(pgValue(v)), `$${params.length}`);
    const where = openSessionConditions(query, bind);
    const limit = bind(clampLimit(query.limit, 1000, 100_000));
    const sql = `SELECT ${this.#sessionSelect} FROM ${this.#s}.sessions WHERE ${where.join(' AND ')}
      ORDER BY ${openSessionOrder(query)} LIMIT ${limit}`;
    return (await this.#read('listOpenSessions', sql, params)).map(sessionFromRow);
  }

  async *loadOpenSessions(options: PageOptions = {}): AsyncIterable<AccountingSession> {
    const pageSize = checkPageSize(options.pageSize);
    // Keyset paging over the primary key: memory is one page, and no transaction stays open meanwhile.
    const sql = `SELECT ${this.#sessionSelect} FROM ${this.#s}.sessions
      WHERE state = 'open' AND (session_id, sub_session_id) > ($1, $2)
      ORDER BY session_id, sub_session_id LIMIT $3`;
    let after: [string, string] = ['', ''];
    for (;;) {
      const rows = await this.#read('loadOpenSessions', sql, [after[0], after[1], pageSize]);
      for (const r of rows) yield sessionFromRow(r);
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1]!;
      after = [last.session_id as string, last.sub_session_id as string];
    }
  }

  #cdrQuery(query: CdrListQuery): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const bind = (v: ColumnValue): string => (params.push(pgValue(v)), `$${params.length}`);
    const where = cdrConditions(query, bind);
    const desc = query.order === 'desc';
    if (query.order !== undefined && query.order !== 'asc' && !desc) {
      throw new DiameterError('STORE_BAD_RECORD', `order ${String(query.order)} is not asc or desc`);
    }
    if (query.afterSeq !== undefined) where.push(`seq ${desc ? '<' : '>'} ${bind(query.afterSeq)}`);
    const limit = clampLimit(query.limit, 100, 10_000);
    const offset = clampLimit(query.offset, 0, Number.MAX_SAFE_INTEGER);
    const sql = `SELECT ${this.#cdrSelect} FROM ${this.#s}.cdrs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY seq ${desc ? 'DESC' : 'ASC'} LIMIT ${bind(limit)} OFFSET ${bind(offset)}`;
    return { sql, params };
  }

  async listCdrs(query: CdrListQuery = {}): Promise<Cdr[]> {
    const { sql, params } = this.#cdrQuery(query);
    return (await this.#read('listCdrs', sql, params)).map(cdrFromRow);
  }

  async *exportCdrs(filter: CdrFilter = {}, options: PageOptions = {}): AsyncIterable<Cdr> {
    const pageSize = checkPageSize(options.pageSize);
    let last: ReadRow | undefined;
    for (;;) {
      const params: unknown[] = [];
      const bind = (v: ColumnValue): string => (params.push(pgValue(v)), `$${params.length}`);
      const { where, orderBy } = exportPageSql(filter, last, bind);
      const sql = `SELECT ${this.#cdrSelect} FROM ${this.#s}.cdrs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${orderBy} LIMIT ${bind(pageSize)}`;
      const rows = await this.#read('exportCdrs', sql, params);
      for (const r of rows) yield cdrFromRow(r);
      if (rows.length < pageSize) return;
      last = rows[rows.length - 1];
    }
  }

  async countCdrs(filter: CdrFilter = {}): Promise<number> {
    const params: unknown[] = [];
    const where = cdrConditions(filter, (v) => (params.push(pgValue(v)), `$${params.length}`));
    const sql = `SELECT count(*) AS n FROM ${this.#s}.cdrs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    return Number((await this.#read('countCdrs', sql, params))[0]!.n);
  }

  async allocateSequence(name: string, count: number): Promise<number> {
    checkSequenceRequest(name, count);
    const pool = this.#open();
    const sql = `INSERT INTO ${this.#s}.sequences AS q (name, next_value) VALUES ($1, 1 + $2::int8)
      ON CONFLICT (name) DO UPDATE SET next_value = q.next_value + $2::int8
      RETURNING q.next_value - $2::int8 AS first`;
    try {
      const r = await pool.query<{ first: string }>(sql, [name, count]);
      return Number(r.rows[0]!.first);
    } catch (e) {
      throw storeError('STORE_WRITE_FAILED', 'allocateSequence', e);
    }
  }

  async stats(): Promise<StoreStats> {
    const sessions = await this.#read(
      'stats',
      `SELECT state, count(*) AS n FROM ${this.#s}.sessions GROUP BY state`,
      [],
    );
    const cdrs = await this.#read('stats', `SELECT count(*) AS n FROM ${this.#s}.cdrs`, []);
    const byState = new Map(sessions.map((r) => [r.state as string, Number(r.n)]));
    return {
      backend: 'postgres',
      location: this.location,
      openSessions: byState.get('open') ?? 0,
      closedSessions: byState.get('closed') ?? 0,
      cdrs: Number(cdrs[0]!.n),
      commits: this.#commits,
      rowsWritten: this.#rowsWritten,
    };
  }
}
