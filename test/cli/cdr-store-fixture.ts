/**
 * What the CDR CLI tests share: a store (SQLite file or PostgreSQL schema) holding CDRs
 * written straight through CdrStore.commit, with the kinds, causes, anomalies and times each test needs,
 * and a runner for the real `diamkit` command. Writing the records directly (not through `diamkit serve`)
 * lets a test choose exactly what the summary must count; cdr-cli.test.ts covers the store serve writes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openStore } from '../../src/cdf/open-store.js';
import type { Cdr } from '../../src/cdf/store.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A CDR with plain defaults; `over` sets what the test is about. */
export function cdr(id: string, over: Partial<Cdr> = {}): Cdr {
  return {
    id,
    kind: 'ims',
    recordType: 63,
    sessionId: `ctf.example.com;1;${id}`,
    recordOpeningTime: new Date('2024-01-01T00:00:00Z'),
    recordClosingTime: new Date('2024-01-01T00:01:00Z'),
    duration: 60,
    causeForRecordClosing: 0,
    servedParty: [],
    originHost: 'ctf.example.com',
    anomalies: [],
    fields: {},
    rawAvps: [],
    createdAt: new Date('2024-01-01T00:01:01Z'),
    ...over,
  };
}

/** Creates the store at `location` and appends the CDRs in this order (seq 1, 2, 3 …). */
export async function writeCdrs(location: string, cdrs: Cdr[]): Promise<void> {
  const store = await openStore(location);
  try {
    await store.commit({ cdrs });
  } finally {
    await store.close();
  }
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `diamkit ARGS` as a user does. */
export function cli(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** Exit status 2, nothing on stdout, one line on stderr without a stack trace; returns the line. */
export function oneLineError(r: Run): string {
  assert.equal(r.code, 2, `expected exit 2, got ${r.code}; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(!/\bat .*:\d+:\d+/.test(lines[0]!), lines[0]);
  return lines[0]!;
}

const pgUrl = process.env.DIAMKIT_PG_URL;

/**
 * Why the PostgreSQL part cannot run here, or undefined when it can. In CI (CI=true) the caller turns a
 * reason into a failure.
 */
export async function pgUnreachable(): Promise<string | undefined> {
  if (!pgUrl) return 'DIAMKIT_PG_URL is not set';
  const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    return undefined;
  } catch (e) {
    return `PostgreSQL is unreachable: ${(e as Error).message}`;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A store URL in a schema of its own, and the function that drops it. */
export function pgSchemaStore(prefix: string): { store: string; drop: () => Promise<void> } {
  const schema = `${prefix}_${process.pid}_${Date.now() % 1_000_000}`;
  const url = pgUrl ?? '';
  return {
    store: `${url}${url.includes('?') ? '&' : '?'}schema=${schema}`,
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}
