/**
 * `diamkit cdrs summary` (src/cli/cdr-summary.ts) over a store holding CDRs of known kinds, record types,
 * closing causes and anomalies: the counts below are written by hand from the records, and the cause names
 * from docs/cdr.md / accounting-rf.md §6.4 — the same number is a different cause for an IMS and a P-GW
 * record. Table (the default) and JSON; SQLite, and PostgreSQL when DIAMKIT_PG_URL is set (in CI, CI=true,
 * that part must run).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { listCdrs, summarizeCdrs } from '../../src/cli/cdr-commands.js';
import type { Cdr } from '../../src/cdf/store.js';
import { cdr, cli, oneLineError, pgSchemaStore, pgUnreachable, writeCdrs } from './cdr-store-fixture.js';

const closed = (hms: string) => new Date(`2024-03-01T${hms}Z`);

/** Eleven records; the comment on each says what the summary must count it under. */
const RECORDS: Cdr[] = [
  cdr('r1', { kind: 'ims', recordType: 63, causeForRecordClosing: 0, recordClosingTime: closed('10:00:05') }),
  cdr('r2', {
    kind: 'ims',
    recordType: 63,
    causeForRecordClosing: 5,
    anomalies: ['aCRStopLost'],
    recordClosingTime: closed('10:20:00'),
  }),
  // The latest closing time, though not the last record written.
  cdr('r3', {
    kind: 'ims',
    recordType: 64,
    causeForRecordClosing: 0,
    anomalies: ['aCRStartLost'],
    recordClosingTime: closed('18:00:00'),
  }),
  cdr('r4', {
    kind: 'event',
    recordType: 63,
    causeForRecordClosing: 1,
    recordClosingTime: closed('11:00:00'),
  }),
  cdr('r5', {
    kind: 'pgw',
    recordType: 85,
    causeForRecordClosing: 0,
    originHost: 'pgw.example.com',
    recordClosingTime: closed('12:00:00'),
  }),
  cdr('r6', {
    kind: 'pgw',
    recordType: 85,
    causeForRecordClosing: 4,
    originHost: 'pgw.example.com',
    anomalies: ['aCRStopLost', 'ctfRestarted'],
    recordClosingTime: closed('12:30:00'),
  }),
  // The earliest closing time.
  cdr('r7', {
    kind: 'pgw',
    recordType: 85,
    causeForRecordClosing: 17,
    originHost: 'pgw.example.com',
    anomalies: ['recordNumberGap', 'outOfOrder'],
    recordClosingTime: closed('07:59:59'),
  }),
  cdr('r8', {
    kind: 'generic',
    recordType: undefined,
    causeForRecordClosing: 5,
    anomalies: ['aCRStopLost', 'startForOpenSession'],
    recordClosingTime: closed('13:00:00'),
  }),
  // aCRStopLost twice on one record: the record counts once under it.
  cdr('r9', {
    kind: 'pgw',
    recordType: 85,
    causeForRecordClosing: 4,
    originHost: 'pgw.example.com',
    anomalies: ['aCRStopLost', 'startForOpenSession', 'aCRStopLost'],
    recordClosingTime: closed('14:00:00'),
  }),
  // IMS cause 4 is serviceChange (P-GW 4 is abnormalRelease).
  cdr('r10', {
    kind: 'ims',
    recordType: 63,
    causeForRecordClosing: 4,
    anomalies: ['aCRInterimLost'],
    recordClosingTime: closed('15:00:00'),
  }),
  // A cause number with no TS 32.298 name: shown as the number alone.
  cdr('r11', {
    kind: 'pgw',
    recordType: 85,
    causeForRecordClosing: 99,
    originHost: 'pgw.example.com',
    recordClosingTime: closed('16:00:00'),
  }),
];

const EXPECTED_JSON = {
  total: 11,
  withoutAnomalies: 4,
  firstClosing: '2024-03-01T07:59:59.000Z',
  lastClosing: '2024-03-01T18:00:00.000Z',
  byKind: [
    { kind: 'event', recordType: 63, recordTypeName: 'sCSCFRecord', records: 1 },
    { kind: 'generic', recordType: null, recordTypeName: null, records: 1 },
    { kind: 'ims', recordType: 63, recordTypeName: 'sCSCFRecord', records: 3 },
    { kind: 'ims', recordType: 64, recordTypeName: 'pCSCFRecord', records: 1 },
    { kind: 'pgw', recordType: 85, recordTypeName: 'pGWRecord', records: 5 },
  ],
  byCause: [
    { kind: 'event', cause: 1, causeName: 'unSuccessfulServiceDelivery', records: 1 },
    { kind: 'generic', cause: 5, causeName: 'managementIntervention', records: 1 },
    { kind: 'ims', cause: 0, causeName: 'serviceDeliveryEndSuccessfully', records: 2 },
    { kind: 'ims', cause: 4, causeName: 'serviceChange', records: 1 },
    { kind: 'ims', cause: 5, causeName: 'managementIntervention', records: 1 },
    { kind: 'pgw', cause: 0, causeName: 'normalRelease', records: 1 },
    { kind: 'pgw', cause: 4, causeName: 'abnormalRelease', records: 2 },
    { kind: 'pgw', cause: 17, causeName: 'timeLimit', records: 1 },
    { kind: 'pgw', cause: 99, causeName: null, records: 1 },
  ],
  byAnomaly: [
    { anomaly: 'aCRStopLost', records: 4 },
    { anomaly: 'startForOpenSession', records: 2 },
    { anomaly: 'aCRInterimLost', records: 1 },
    { anomaly: 'aCRStartLost', records: 1 },
    { anomaly: 'ctfRestarted', records: 1 },
    { anomaly: 'outOfOrder', records: 1 },
    { anomaly: 'recordNumberGap', records: 1 },
  ],
};

const EXPECTED_TABLE = [
  'CDRs               11',
  'with anomalies     7',
  'without anomalies  4',
  'first closed       2024-03-01T07:59:59Z',
  'last closed        2024-03-01T18:00:00Z',
  '',
  'KIND     RECORD TYPE     RECORDS',
  'event    63 sCSCFRecord  1',
  'generic  -               1',
  'ims      63 sCSCFRecord  3',
  'ims      64 pCSCFRecord  1',
  'pgw      85 pGWRecord    5',
  '',
  'KIND     CLOSING CAUSE                     RECORDS',
  'event    1 unSuccessfulServiceDelivery     1',
  'generic  5 managementIntervention          1',
  'ims      0 serviceDeliveryEndSuccessfully  2',
  'ims      4 serviceChange                   1',
  'ims      5 managementIntervention          1',
  'pgw      0 normalRelease                   1',
  'pgw      4 abnormalRelease                 2',
  'pgw      17 timeLimit                      1',
  'pgw      99                                1',
  '',
  'ANOMALY              RECORDS',
  'aCRStopLost          4',
  'startForOpenSession  2',
  'aCRInterimLost       1',
  'aCRStartLost         1',
  'ctfRestarted         1',
  'outOfOrder           1',
  'recordNumberGap      1',
  '',
].join('\n');

const summary = (store: string, o: Record<string, string> = {}) =>
  summarizeCdrs({ store, format: 'json', time: 'written', ...o }).then((t) => JSON.parse(t) as unknown);

describe('diamkit cdrs summary over SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'diamkit-cdr-summary-'));
  const store = join(dir, 'cdf.db');
  before(() => writeCdrs(store, RECORDS));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--format json: totals, kinds, named causes, anomalies and the closing-time range', async () => {
    assert.deepEqual(await summary(store), EXPECTED_JSON);
  });

  test('the table (default format), as the real command prints it', async () => {
    const r = await cli(['cdrs', 'summary', '--store', store]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, EXPECTED_TABLE);
  });

  test('with a filter: only the P-GW records of one CTF', async () => {
    assert.deepEqual(await summary(store, { kind: 'pgw', originHost: 'pgw.example.com' }), {
      total: 5,
      withoutAnomalies: 2,
      firstClosing: '2024-03-01T07:59:59.000Z',
      lastClosing: '2024-03-01T16:00:00.000Z',
      byKind: [{ kind: 'pgw', recordType: 85, recordTypeName: 'pGWRecord', records: 5 }],
      byCause: [
        { kind: 'pgw', cause: 0, causeName: 'normalRelease', records: 1 },
        { kind: 'pgw', cause: 4, causeName: 'abnormalRelease', records: 2 },
        { kind: 'pgw', cause: 17, causeName: 'timeLimit', records: 1 },
        { kind: 'pgw', cause: 99, causeName: null, records: 1 },
      ],
      byAnomaly: [
        { anomaly: 'aCRStopLost', records: 2 },
        { anomaly: 'ctfRestarted', records: 1 },
        { anomaly: 'outOfOrder', records: 1 },
        { anomaly: 'recordNumberGap', records: 1 },
        { anomaly: 'startForOpenSession', records: 1 },
      ],
    });
    assert.deepEqual(
      await summary(store, { time: 'closed', since: '2024-03-01T12:00:00Z', until: '2024-03-01T13:00:00Z' }),
      {
        total: 2,
        withoutAnomalies: 1,
        firstClosing: '2024-03-01T12:00:00.000Z',
        lastClosing: '2024-03-01T12:30:00.000Z',
        byKind: [{ kind: 'pgw', recordType: 85, recordTypeName: 'pGWRecord', records: 2 }],
        byCause: [
          { kind: 'pgw', cause: 0, causeName: 'normalRelease', records: 1 },
          { kind: 'pgw', cause: 4, causeName: 'abnormalRelease', records: 1 },
        ],
        byAnomaly: [
          { anomaly: 'aCRStopLost', records: 1 },
          { anomaly: 'ctfRestarted', records: 1 },
        ],
      },
    );
  });

  test('nothing matches: zero, no range, no tables', async () => {
    assert.deepEqual(await summary(store, { session: 'no-such-session' }), {
      total: 0,
      withoutAnomalies: 0,
      firstClosing: null,
      lastClosing: null,
      byKind: [],
      byCause: [],
      byAnomaly: [],
    });
    assert.equal(
      await summarizeCdrs({ store, format: 'table', time: 'written', since: '1m' }),
      [
        'CDRs               0',
        'with anomalies     0',
        'without anomalies  0',
        'first closed       -',
        'last closed        -',
        '',
      ].join('\n'),
      'every record was written in 2024-01: none in the last minute',
    );
  });

  test('bad --format: one line, exit 2', async () => {
    const r = await cli(['cdrs', 'summary', '--store', store, '--format', 'csv']);
    assert.equal(oneLineError(r), 'diamkit: --format: expected table or json, got "csv"');
  });
});

const inCi = process.env.CI === 'true';
const pgSkip = await pgUnreachable();
if (pgSkip && inCi) test('PostgreSQL is reachable (required in CI)', () => assert.fail(pgSkip));
else if (pgSkip) console.log(`skipping the PostgreSQL summary tests: ${pgSkip}`);

describe('diamkit cdrs summary and the list filters over PostgreSQL', { skip: pgSkip }, () => {
  const { store, drop } = pgSchemaStore('dk_sum');
  before(() => writeCdrs(store, RECORDS));
  after(() => drop());

  test('the same counts as SQLite', async () => {
    assert.deepEqual(await summary(store), EXPECTED_JSON);
  });

  test('list --kind and --origin-host', async () => {
    const ids = async (o: Record<string, string>) =>
      (
        JSON.parse(await listCdrs({ store, limit: '20', format: 'json', time: 'written', ...o })) as {
          id: string;
        }[]
      ).map((c) => c.id);
    assert.deepEqual(await ids({ kind: 'generic' }), ['r8']);
    assert.deepEqual(await ids({ originHost: 'pgw.example.com', limit: '2' }), ['r9', 'r11']);
  });
});
