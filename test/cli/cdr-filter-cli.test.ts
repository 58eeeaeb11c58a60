/**
 * The CDR filter options `diamkit cdrs list`, `cdrs export` and `cdrs summary` share (--since, --until,
 * --time, --session, --kind, --origin-host; src/cli/cdr-filter-options.ts), over a SQLite store holding five
 * CDRs that each filter tells apart, and the relative times (30s, 15m, 2h, 1d: that long ago).
 * Bad values print ONE line and exit 2. The combinations run in-process; a few runs spawn the real command.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import {
  exportCdrs,
  listCdrs,
  summarizeCdrs,
  type ExportOptions,
  type ListOptions,
} from '../../src/cli/cdr-commands.js';
import { cdrFilter } from '../../src/cli/cdr-filter-options.js';
import { cdr, cli, oneLineError, writeCdrs } from './cdr-store-fixture.js';

const t = (iso: string) => new Date(iso);

describe('CDR filters of cdrs list / export / summary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'diamkit-cdr-filter-'));
  const store = join(dir, 'cdf.db');
  before(async () => {
    const now = new Date();
    await writeCdrs(store, [
      cdr('a', {
        kind: 'ims',
        recordType: 63,
        originHost: 'scscf.example.com',
        sessionId: 's-a',
        createdAt: t('2024-01-01T10:00:00Z'),
        recordClosingTime: t('2024-01-01T09:00:00Z'),
      }),
      cdr('b', {
        kind: 'pgw',
        recordType: 85,
        originHost: 'pgw.example.com',
        sessionId: 's-b',
        createdAt: t('2024-01-01T11:00:00Z'),
        recordClosingTime: t('2024-01-01T12:30:00Z'),
      }),
      cdr('c', {
        kind: 'event',
        recordType: 63,
        originHost: 'scscf.example.com',
        sessionId: 's-c',
        createdAt: t('2024-01-01T12:00:00Z'),
        recordClosingTime: t('2024-01-01T11:30:00Z'),
      }),
      cdr('d', {
        kind: 'generic',
        recordType: undefined,
        originHost: 'as.example.com',
        sessionId: 's-a',
        createdAt: t('2024-01-01T13:00:00Z'),
        recordClosingTime: t('2024-01-01T08:00:00Z'),
      }),
      // Written (and closed) now: the relative times' record.
      cdr('e', {
        kind: 'ims',
        recordType: 64,
        originHost: 'pcscf.example.com',
        sessionId: 's-e',
        createdAt: now,
        recordOpeningTime: now,
        recordClosingTime: now,
      }),
    ]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The ids `cdrs list --format json` prints with these options. */
  async function listed(o: Partial<ListOptions> = {}): Promise<string[]> {
    const out = await listCdrs({ store, limit: '20', format: 'json', time: 'written', ...o });
    return (JSON.parse(out) as { id: string }[]).map((c) => c.id);
  }

  /** The ids `cdrs export --format jsonl` writes with these options. */
  async function exported(o: Partial<ExportOptions> = {}): Promise<string[]> {
    let text = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString('utf8');
        cb();
      },
    });
    await exportCdrs({ store, format: 'jsonl', time: 'written', ...o }, sink);
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { id: string }).id);
  }

  test('list: each filter keeps only its records', async () => {
    assert.deepEqual(await listed(), ['a', 'b', 'c', 'd', 'e'], 'no filter');
    assert.deepEqual(await listed({ kind: 'ims' }), ['a', 'e']);
    assert.deepEqual(await listed({ kind: 'pgw' }), ['b']);
    assert.deepEqual(await listed({ kind: 'event' }), ['c']);
    assert.deepEqual(await listed({ kind: 'generic' }), ['d']);
    assert.deepEqual(await listed({ originHost: 'scscf.example.com' }), ['a', 'c']);
    assert.deepEqual(await listed({ originHost: 'nobody.example.com' }), []);
    assert.deepEqual(await listed({ session: 's-a' }), ['a', 'd']);
    assert.deepEqual(
      await listed({ since: '2024-01-01T11:00:00Z', until: '2024-01-01T13:00:00Z' }),
      ['b', 'c'],
      'written: since inclusive, until exclusive',
    );
    assert.deepEqual(
      await listed({ time: 'closed', since: '2024-01-01T09:00:00Z', until: '2024-01-01T12:00:00Z' }),
      ['a', 'c'],
      'closed: by recordClosingTime, not by when written',
    );
    assert.deepEqual(await listed({ kind: 'ims', originHost: 'scscf.example.com' }), ['a'], 'combined');
    assert.deepEqual(await listed({ kind: 'ims', limit: '1' }), ['e'], 'the newest matching one');
    assert.deepEqual(
      await listed({ originHost: 'scscf.example.com', limit: '1' }),
      ['c'],
      '--limit counts matching records, not all',
    );
  });

  test('export: --kind and --origin-host as well as the time and session filters', async () => {
    assert.deepEqual(await exported({ kind: 'pgw' }), ['b']);
    assert.deepEqual(await exported({ kind: 'ims' }), ['a', 'e']);
    assert.deepEqual(await exported({ originHost: 'as.example.com' }), ['d']);
    assert.deepEqual(await exported({ session: 's-a', originHost: 'scscf.example.com' }), ['a']);
    assert.deepEqual(await exported({ since: '2024-01-01T12:00:00Z', kind: 'generic' }), ['d']);
  });

  test('summary applies the same filters', async () => {
    const total = async (o: Partial<ListOptions>) =>
      (
        JSON.parse(await summarizeCdrs({ store, format: 'json', time: 'written', ...o })) as {
          total: number;
        }
      ).total;
    assert.equal(await total({}), 5);
    assert.equal(await total({ kind: 'ims' }), 2);
    assert.equal(await total({ originHost: 'scscf.example.com', kind: 'event' }), 1);
    assert.equal(await total({ session: 's-a' }), 2);
    assert.equal(await total({ time: 'closed', until: '2024-01-01T09:00:00Z' }), 1);
  });

  test('relative times: a record written now is inside --since 1m and outside --until 1m', async () => {
    assert.deepEqual(await listed({ since: '1m' }), ['e']);
    assert.deepEqual(await listed({ until: '1m' }), ['a', 'b', 'c', 'd']);
    assert.deepEqual(await exported({ since: '30s' }), ['e']);
    assert.deepEqual(await exported({ until: '30s' }), ['a', 'b', 'c', 'd']);
    assert.deepEqual(await listed({ since: '2h', time: 'closed' }), ['e'], 'with --time closed too');
    assert.deepEqual(await listed({ since: '1d', kind: 'ims' }), ['e']);
    assert.deepEqual(await listed({ until: '0s' }), ['a', 'b', 'c', 'd', 'e'], '0s is now');
  });

  test('relative times count back from one instant: 30s, 15m, 2h, 1d', () => {
    const now = t('2024-06-01T12:00:00Z');
    const since = (v: string) => cdrFilter({ since: v, time: 'written' }, now).since?.toISOString();
    assert.equal(since('30s'), '2024-06-01T11:59:30.000Z');
    assert.equal(since('15m'), '2024-06-01T11:45:00.000Z');
    assert.equal(since('2h'), '2024-06-01T10:00:00.000Z');
    assert.equal(since('1d'), '2024-05-31T12:00:00.000Z');
    assert.equal(since('90m'), '2024-06-01T10:30:00.000Z');
    const f = cdrFilter({ since: '1d', until: '1h', time: 'closed' }, now);
    assert.equal(f.until?.toISOString(), '2024-06-01T11:00:00.000Z');
    assert.equal(f.timeField, 'recordClosingTime');
    // Digits alone stay epoch milliseconds, not a relative time.
    assert.equal(since('1704067200000'), '2024-01-01T00:00:00.000Z');
    assert.equal(since('2024-01-01T00:00:00Z'), '2024-01-01T00:00:00.000Z');
  });

  test('anything else is refused, naming the option and the forms it takes', async () => {
    for (const bad of ['5x', '1.5h', '-1m', '+1m', '2H', '1h30m', '1 m', 'm', 'yesterday', '', '1w']) {
      await assert.rejects(
        listed({ since: bad }),
        {
          message: `--since: expected an ISO 8601 time (2024-01-01T00:00:00Z), epoch milliseconds or a time ago (30s, 15m, 2h, 1d), got "${bad}"`,
        },
        bad,
      );
    }
    await assert.rejects(
      exported({ until: '3y' }),
      /^Error: --until: expected an ISO 8601 time .* got "3y"$/,
    );
    await assert.rejects(listed({ kind: 'PGW' }), {
      message: '--kind: expected ims or pgw or event or generic, got "PGW"',
    });
    await assert.rejects(exported({ kind: 'sms' }), /--kind: expected ims or pgw or event or generic/);
    await assert.rejects(listed({ time: 'opened' }), /--time: expected written or closed/);
  });

  test('diamkit cdrs list|export|summary with the filter options (the real command)', async () => {
    const [list, exp, summary, badSince, badUntil, badKind] = await Promise.all([
      cli(['cdrs', 'list', '--store', store, '--format', 'json', '--kind', 'ims', '--since', '5m']),
      cli(['cdrs', 'export', '--store', store, '--origin-host', 'scscf.example.com', '--time', 'closed']),
      cli(['cdrs', 'summary', '--store', store, '--format', 'json', '--session', 's-a', '--until', '1m']),
      cli(['cdrs', 'list', '--store', store, '--since', '15 minutes']),
      cli(['cdrs', 'summary', '--store', store, '--until', '1.5h']),
      cli(['cdrs', 'export', '--store', store, '--kind', 'PGW']),
    ]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { id: string }[]).map((c) => c.id),
      ['e'],
    );
    assert.equal(exp.code, 0, exp.stderr);
    assert.deepEqual(
      exp.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id),
      ['a', 'c'],
      'with --time and no bound: only the origin host, in write order',
    );
    assert.equal(summary.code, 0, summary.stderr);
    assert.equal((JSON.parse(summary.stdout) as { total: number }).total, 2);
    assert.equal(
      oneLineError(badSince),
      'diamkit: --since: expected an ISO 8601 time (2024-01-01T00:00:00Z), epoch milliseconds or a time ago (30s, 15m, 2h, 1d), got "15 minutes"',
    );
    assert.match(oneLineError(badUntil), /^diamkit: --until: expected an ISO 8601 time .*got "1\.5h"$/);
    assert.equal(
      oneLineError(badKind),
      'diamkit: --kind: expected ims or pgw or event or generic, got "PGW"',
    );
  });
});
