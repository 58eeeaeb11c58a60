/**
 * `diamkit cdrs list|export` and `diamkit sessions` as a user runs them, against the store a real
 * `diamkit serve` writes: the server is spawned (--store, --interim-interval, --port 0), a CTF node sends
 * ACRs to it over TCP, and the CLI reads the same SQLite file while the server runs and after it stopped
 * (open sessions are persisted). The same with PostgreSQL (`--store postgres://…?schema=…`) when
 * DIAMKIT_PG_URL is set; in CI (CI=true) that part must run.
 * Bad arguments print ONE line and exit 2. A few runs spawn the real command (wiring, exit status, files);
 * the option combinations call the same functions in-process, which keeps the file fast on two cores.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { exportCdrs, listCdrs, listSessions, type ExportOptions } from '../../src/cli/cdr-commands.js';
import { messageToJson, type MessageJson } from '../../src/dictionary/message-format.js';
import { DiameterNode } from '../../src/node/node.js';
import {
  acr,
  dictionary,
  imsServiceInformation,
  pgwServiceInformation,
  sdc,
  type AcrSpec,
} from '../helpers/acr-builder.js';
import { CTF_IDENTITY } from '../helpers/cdf-server.js';
import { cli, oneLineError, pgUnreachable, type Run } from './cdr-store-fixture.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = ['--import', 'tsx', 'src/cli/main.ts'];

function ok(r: Run, what: string): string {
  assert.equal(r.code, 0, `${what} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** RFC 4180 reader, written here so the expectation does not come from the writer under test. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  assert.equal(cell + row.join(''), '', 'the text ends with CRLF');
  return rows;
}

interface Server {
  child: ChildProcess;
  port: number;
  stopped: Promise<number | null>;
}

/** Spawns `diamkit serve` and resolves once it prints the port it listens on. */
function serve(store: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...MAIN,
        'serve',
        '--port',
        '0',
        '--store',
        store,
        '--interim-interval',
        '120',
        '--origin-host',
        'cdf.example.net',
        '--origin-realm',
        'example.net',
        '--log-level',
        'warn',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const stopped = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start: ${out}${err}`));
    }, 90_000);
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /diamkit listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), stopped });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code}: ${out}${err}`));
    });
  });
}

async function stopServer(s: Server): Promise<void> {
  s.child.kill('SIGTERM');
  const code = await Promise.race([
    s.stopped,
    new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000)),
  ]);
  if (code === 'timeout') s.child.kill('SIGKILL');
  assert.equal(code, 0, 'serve stops cleanly on SIGTERM');
}

const IMS_ID = 'ctf.example.com;1;cli-ims';
const PGW_ID = 'pgw.example.com;1;cli-pgw';
const EVENT_ID = 'ctf.example.com;1;cli-ev';

/** What a CTF does: one IMS call (START, STOP), one P-GW bearer left open, one EVENT. Returns the ACAs. */
async function populate(port: number): Promise<MessageJson[]> {
  const ctf = new DiameterNode({ dictionary: dictionary(), identity: CTF_IDENTITY, shutdownTimeoutMs: 1000 });
  ctf.register({ id: 3, name: 'rf-client', kind: 'acct', commands: new Map() });
  try {
    const peer = await ctf.connect({ host: '127.0.0.1', port }, { timeoutMs: 5000 });
    const specs: AcrSpec[] = [
      {
        sessionId: IMS_ID,
        recordType: 'START_RECORD',
        recordNumber: 0,
        userName: 'alice@example.com',
        eventTimestamp: '2024-01-01T00:00:02Z',
        serviceContextId: '32260@3gpp.org',
        // A display name with a comma and quotes: the CSV must quote and double them.
        serviceInformation: imsServiceInformation({ calling: ['"Alice, A." <sip:alice@example.com>'] }),
      },
      {
        sessionId: PGW_ID,
        originHost: 'pgw.example.com',
        recordType: 'START_RECORD',
        recordNumber: 0,
        eventTimestamp: '2024-01-01T00:00:00Z',
        serviceContextId: '32251@3gpp.org',
        serviceInformation: pgwServiceInformation([]),
      },
      {
        sessionId: IMS_ID,
        recordType: 'STOP_RECORD',
        recordNumber: 1,
        eventTimestamp: '2024-01-01T00:10:01Z',
        serviceContextId: '32260@3gpp.org',
        serviceInformation: imsServiceInformation({
          sipMethod: 'BYE',
          requestTime: '2024-01-01T00:10:00Z',
          responseTime: '',
        }),
      },
      {
        sessionId: EVENT_ID,
        recordType: 'EVENT_RECORD',
        recordNumber: 0,
        eventTimestamp: '2024-01-01T01:00:00Z',
        serviceContextId: '32251@3gpp.org',
        serviceInformation: pgwServiceInformation([
          sdc({
            ratingGroup: 9,
            uplink: 5_000_000_007n,
            downlink: 1,
            localSequenceNumber: 1,
            changeTime: '2024-01-01T01:00:00Z',
          }),
        ]),
      },
    ];
    const acas: MessageJson[] = [];
    for (const s of specs)
      acas.push(messageToJson(await peer.request(acr(s), { timeoutMs: 5000 }), dictionary()));
    return acas;
  } finally {
    await ctf.stop();
  }
}

/** exportCdrs into a string (defaults as the CLI gives them). */
async function exported(o: Partial<ExportOptions> & { store: string }): Promise<string> {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString('utf8');
      cb();
    },
  });
  await exportCdrs({ format: 'jsonl', time: 'written', ...o }, sink);
  return text;
}

const rc = (m: MessageJson) => m.avps.find((a) => 'Result-Code' in a)?.['Result-Code'];

describe('diamkit cdrs / sessions over the SQLite store diamkit serve writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'diamkit-cdr-cli-'));
  const store = join(dir, 'data', 'cdf.db');
  let server: Server | undefined;
  let acas: MessageJson[] = [];
  before(async () => {
    server = await serve(store);
    acas = await populate(server.port);
  });
  after(async () => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('serve answered every ACR 2001 and imposed --interim-interval 120 on the START', () => {
    assert.deepEqual(acas.map(rc), [2001, 2001, 2001, 2001]);
    assert.deepEqual(acas[0]!.avps.at(-1), { 'Acct-Interim-Interval': 120 });
    assert.equal(existsSync(store), true, 'the store directory was created');
  });

  test('diamkit cdrs list (table) while the server runs', async () => {
    const table = await cli(['cdrs', 'list', '--store', store]);
    const lines = ok(table, 'list').trimEnd().split('\n');
    assert.match(
      lines[0]!,
      /^SEQ\s+CLOSED\s+KIND\s+TYPE\s+SESSION-ID\s+PART\s+DURATION\s+CAUSE\s+SERVED\s+ANOMALIES$/,
    );
    assert.equal(lines.length, 3, table.stdout);
    assert.match(
      lines[1]!,
      /^1\s+2024-01-01T00:10:01Z\s+ims\s+63\s+ctf\.example\.com;1;cli-ims\s+599\s+0\s+sip:alice@example\.com$/,
    );
    assert.match(
      lines[2]!,
      /^2\s+2024-01-01T01:00:00Z\s+pgw\s+85\s+ctf\.example\.com;1;cli-ev\s+0\s+0\s+001010123456789,15551234567$/,
    );
  });

  // The same commands in-process (what the subcommands call), to cover their options without a process each.
  test('list --format json and --limit', async () => {
    const all = JSON.parse(await listCdrs({ store, limit: '20', format: 'json' })) as Record<
      string,
      unknown
    >[];
    assert.deepEqual(
      all.map((c) => [c.sessionId, c.kind, c.recordType, c.recordClosingTime]),
      [
        [IMS_ID, 'ims', 63, '2024-01-01T00:10:01.000Z'],
        [EVENT_ID, 'pgw', 85, '2024-01-01T01:00:00.000Z'],
      ],
    );
    const ims = all[0]!.fields as Record<string, unknown>;
    assert.equal(ims['session-Id'], 'call-0001@ctf.example.com');
    assert.deepEqual(ims['list-Of-Calling-Party-Address'], ['"Alice, A." <sip:alice@example.com>']);
    const newest = JSON.parse(await listCdrs({ store, limit: '1', format: 'json' })) as Record<
      string,
      unknown
    >[];
    assert.deepEqual(
      newest.map((c) => c.sessionId),
      [EVENT_ID],
      'the newest one',
    );
  });

  test('sessions (table and json) shows the open P-GW session', async () => {
    const lines = (await listSessions({ store, limit: '100', format: 'table' })).trimEnd().split('\n');
    assert.match(
      lines[0]!,
      /^SESSION-ID\s+ORIGIN-HOST\s+OPENED\s+LAST-SEEN\s+EXPIRES\s+LAST-RECORD\s+ACRS\s+PARTIAL\s+ANOMALIES$/,
    );
    assert.equal(lines.length, 2);
    assert.match(
      lines[1]!,
      /^pgw\.example\.com;1;cli-pgw\s+pgw\.example\.com\s+2024-01-01T00:00:00Z\s+\S+Z\s+\S+Z\s+START 0\s+1\s+0$/,
    );
    const s = JSON.parse(await listSessions({ store, limit: '100', format: 'json' })) as Record<
      string,
      unknown
    >[];
    assert.equal(s.length, 1);
    assert.equal(s[0]!.sessionId, PGW_ID);
    assert.equal(s[0]!.interimInterval, 120);
    assert.equal(s[0]!.lastRecordNumber, 0);
    assert.deepEqual(s[0]!.counters, { acrs: '1' }, 'bigint counters as decimal strings');
    const ids = async (filter: { session?: string; originHost?: string }) =>
      (JSON.parse(await listSessions({ store, limit: '100', format: 'json', ...filter })) as { sessionId: string }[]).map(
        (x) => x.sessionId,
      );
    assert.deepEqual(await ids({ session: PGW_ID }), [PGW_ID], '--session');
    assert.deepEqual(await ids({ session: IMS_ID }), [], '--session of a closed session');
    assert.deepEqual(await ids({ originHost: 'pgw.example.com' }), [PGW_ID], '--origin-host');
    assert.deepEqual(await ids({ originHost: 'other.example.com' }), [], '--origin-host of another CTF');
    assert.equal('data' in s[0]!, false, "the session manager's internal state is not printed");
  });

  test('export --format jsonl, with --session, --since/--until and --time closed', async () => {
    const rows = (await exported({ store }))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      rows.map((r) => r.sessionId),
      [IMS_ID, EVENT_ID],
    );
    const ev = JSON.parse((await exported({ store, session: EVENT_ID })).trim()) as {
      fields: { listOfServiceData: Record<string, unknown>[] };
    };
    assert.equal(ev.fields.listOfServiceData[0]!.datavolumeFBCUplink, '5000000007', 'Unsigned64 exact');
    assert.equal(await exported({ store, since: '2999-01-01T00:00:00Z' }), '', 'written before then');
    assert.equal(await exported({ store, until: '2000-01-01' }), '');
    const windowed = (
      await exported({ store, time: 'closed', since: '2024-01-01T00:05:00Z', until: '2024-01-01T00:30:00Z' })
    )
      .trimEnd()
      .split('\n');
    assert.deepEqual(
      windowed.map((l) => (JSON.parse(l) as { sessionId: string }).sessionId),
      [IMS_ID],
    );
  });

  test('diamkit cdrs export --format csv --out FILE (RFC 4180)', async () => {
    const file = join(dir, 'cdrs.csv');
    const r = await cli(['cdrs', 'export', '--store', store, '--format', 'csv', '--out', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /2 CDR\(s\) written to /);
    const rows = parseCsv(readFileSync(file, 'utf8'));
    assert.equal(rows.length, 3);
    const [header, ims, ev] = rows as [string[], string[], string[]];
    const col = (row: string[], name: string) => row[header.indexOf(name)];
    assert.ok(header.includes('fields') && header.includes('sessionId'), header.join(','));
    assert.ok(
      rows.every((r) => r.length === header.length),
      'every row has every column',
    );
    assert.equal(col(ims, 'sessionId'), IMS_ID);
    assert.equal(col(ims, 'recordType'), '63');
    assert.equal(col(ims, 'duration'), '599');
    assert.equal(col(ims, 'servedParty'), '2:sip:alice@example.com');
    const fields = JSON.parse(col(ims, 'fields')!) as Record<string, unknown>;
    assert.deepEqual(
      fields['list-Of-Calling-Party-Address'],
      ['"Alice, A." <sip:alice@example.com>'],
      'quotes and comma survive',
    );
    assert.equal(col(ev, 'servedParty'), '1:001010123456789;0:15551234567');
    assert.equal(col(ev, 'recordClosingTime'), '2024-01-01T01:00:00.000Z');
  });

  test('bad arguments and a missing store: one line, exit 2', async () => {
    const missing = join(dir, 'nope', 'x.db');
    const [format, nostore] = await Promise.all([
      cli(['cdrs', 'list', '--store', store, '--format', 'xml']),
      cli(['sessions', '--store', missing]),
    ]);
    assert.match(oneLineError(format), /^diamkit: --format: expected table or json, got "xml"$/);
    assert.match(oneLineError(nostore), /^diamkit: --store: no CDR store at .*x\.db/);
    assert.equal(existsSync(missing), false, 'nothing created');
    await assert.rejects(exported({ store, since: 'yesterday' }), /--since: expected an ISO 8601 time/);
    await assert.rejects(
      listSessions({ store, limit: '0', format: 'table' }),
      /--limit: expected a whole number >= 1/,
    );
    await assert.rejects(exported({ store, format: 'xml' }), /--format: expected jsonl or csv/);
    await assert.rejects(exported({ store, time: 'opened' }), /--time: expected written or closed/);
  });

  test('after serve stops (SIGTERM), the open session is still in the store', async () => {
    await stopServer(server!);
    const s = JSON.parse(ok(await cli(['sessions', '--store', store, '--format', 'json']), 'sessions')) as {
      sessionId: string;
    }[];
    assert.deepEqual(
      s.map((x) => x.sessionId),
      [PGW_ID],
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// PostgreSQL

const pgUrl = process.env.DIAMKIT_PG_URL;
const inCi = process.env.CI === 'true';

const pgSkip = await pgUnreachable();
if (pgSkip && inCi) test('PostgreSQL is reachable (required in CI)', () => assert.fail(pgSkip));
else if (pgSkip) console.log(`skipping the PostgreSQL CLI tests: ${pgSkip}`);

describe('diamkit cdrs / sessions over PostgreSQL', { skip: pgSkip }, () => {
  const schema = `dk_cli_${process.pid}_${Date.now() % 1_000_000}`;
  const store = `${pgUrl}${pgUrl?.includes('?') ? '&' : '?'}schema=${schema}`;
  let server: Server | undefined;
  before(async () => {
    server = await serve(store);
    await populate(server.port);
  });
  after(async () => {
    if (server && server.child.exitCode === null)
      await stopServer(server).catch(() => server!.child.kill('SIGKILL'));
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });

  test('list, export and sessions read what serve wrote', async () => {
    const exp = await cli(['cdrs', 'export', '--store', store, '--format', 'csv', '--session', IMS_ID]);
    const all = JSON.parse(await listCdrs({ store, limit: '20', format: 'json' })) as {
      sessionId: string;
      kind: string;
    }[];
    assert.deepEqual(
      all.map((c) => [c.sessionId, c.kind]),
      [
        [IMS_ID, 'ims'],
        [EVENT_ID, 'pgw'],
      ],
    );
    const rows = parseCsv(ok(exp, 'export csv'));
    assert.equal(rows.length, 2);
    assert.equal(rows[1]![rows[0]!.indexOf('duration')], '599');
    const sessions = JSON.parse(await listSessions({ store, limit: '100', format: 'json' })) as {
      sessionId: string;
    }[];
    assert.deepEqual(
      sessions.map((s) => s.sessionId),
      [PGW_ID],
    );
  });
});
