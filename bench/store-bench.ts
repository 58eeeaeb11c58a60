/**
 * CDR store throughput: commits of B session upserts + C CDRs (default 100 + 25, roughly one CDR per four
 * ACRs of an IMS call), against SQLite with synchronous=NORMAL and FULL and, when DIAMKIT_PG_URL is set,
 * PostgreSQL. Batch size 1 shows what a store would cost per ACR without group commit. Rows are the CDF's
 * sizes and forms: session data ~1.5 KB written as its own JSON text (the kept ACRs in base64), CDRs with
 * ~2 KB of raw AVPs as JsonText and time-ordered ids (newCdrId).
 *
 *   node --import tsx bench/store-bench.ts [--batches 200] [--sessions 100] [--cdrs 25] [--single 300]
 *
 * Prints rows/s (session upserts + CDRs committed per second of wall time), the commit latency p50/p99
 * and CPU µs per row of this process. Uses its own temp file / schema and removes them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PostgresStore } from '../src/cdf/postgres-store.js';
import { JsonText } from '../src/cdf/json-text.js';
import { SqliteStore } from '../src/cdf/sqlite-store.js';
import { newCdrId } from '../src/cdf/store-records.js';
import type { AccountingSession, Cdr, CdrStore, JsonValue, StoreBatch } from '../src/cdf/store.js';

const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '200' },
    sessions: { type: 'string', default: '100' },
    cdrs: { type: 'string', default: '25' },
    single: { type: 'string', default: '300' },
  },
});
const BATCHES = Number(args.batches);
const SESSIONS = Number(args.sessions);
const CDRS = Number(args.cdrs);
const SINGLE = Number(args.single);
const KEYSPACE = 10_000;

let cdrId = 0;

/** Stand-ins for the two ACRs a session keeps (≈ 700 bytes each, as vector 05), in base64. */
const KEPT_ACR = Buffer.alloc(700, 0x41).toString('base64');
/** A CDR's raw AVPs as the CDF writes them: JSON text of two ACRs' AVP lists (≈ 1.9 KB). */
const RAW_AVPS = JSON.stringify({
  first: Array.from({ length: 24 }, (_, i) => ({ [`AVP-${i}`]: `value ${i} of the first ACR` })),
  last: Array.from({ length: 24 }, (_, i) => ({ [`AVP-${i}`]: `value ${i} of the last ACR` })),
});

/** Session data that writes its own JSON text, as the session manager's kept data does (JsonTextSource). */
function keptData(i: number, round: number): JsonValue {
  const value = {
    v: 2,
    first: KEPT_ACR,
    ps: false,
    containers: [],
    recordNumbers: { max: round, missing: [] },
    last: KEPT_ACR,
    icid: `icid-${i}-${round}`,
  };
  const text = JSON.stringify(value);
  return { toJSON: () => value, toJsonText: () => text } as unknown as JsonValue;
}

function sessionAt(i: number, round: number): AccountingSession {
  const now = new Date();
  return {
    sessionId: `scscf.example.com;${1700000000 + (i % KEYSPACE)};${i % KEYSPACE}`,
    originHost: 'scscf.example.com',
    originRealm: 'example.com',
    state: 'open',
    recordType: 3,
    lastRecordNumber: round,
    openedAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + 600_000),
    interimInterval: 300,
    serviceContextId: '32260@3gpp.org',
    partialSequence: 0,
    counters: { acrs: BigInt(round + 1), inputOctets: 123456789012n * BigInt(round + 1) },
    anomalies: [],
    data: keptData(i, round),
  };
}

function cdrFor(s: AccountingSession): Cdr {
  const now = new Date();
  return {
    id: newCdrId(),
    kind: 'ims',
    recordType: 63,
    sessionId: s.sessionId,
    recordOpeningTime: s.openedAt,
    recordClosingTime: now,
    duration: 120,
    causeForRecordClosing: 0,
    servedParty: [{ type: 0, data: '491701234567' }],
    originHost: s.originHost,
    originRealm: s.originRealm,
    localRecordSequenceNumber: ++cdrId,
    anomalies: [],
    fields: {
      recordType: 63,
      sIPMethod: 'INVITE',
      roleOfNode: 0,
      nodeAddress: { domainName: 'scscf.example.com' },
      sessionId: `call-${cdrId}@ue.example.com`,
      listOfCallingPartyAddress: ['sip:+491701234567@example.com'],
      calledPartyAddress: 'tel:+491709876543',
      serviceRequestTimeStamp: '240101120000+0000',
      serviceDeliveryStartTimeStamp: '240101120001+0000',
      serviceDeliveryEndTimeStamp: '240101120201+0000',
      interOperatorIdentifiers: [{ originatingIOI: 'example.com', terminatingIOI: 'other.example' }],
      iMSChargingIdentifier: `icid-${cdrId}`,
      listOfSDPMediaComponents: [
        { sDPMediaName: 'audio', sDPMediaDescription: ['b=AS:41', 'a=rtpmap:97 AMR-WB/16000'] },
      ],
    },
    rawAvps: new JsonText(RAW_AVPS),
    createdAt: now,
  };
}

function batchOf(round: number, sessions: number, cdrs: number): StoreBatch {
  const ups = Array.from({ length: sessions }, (_, k) => sessionAt(round * sessions + k, round));
  return { sessionUpserts: ups, cdrs: ups.slice(0, cdrs).map(cdrFor) };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function run(
  label: string,
  store: CdrStore,
  batches: number,
  sessions: number,
  cdrs: number,
): Promise<void> {
  // Warm-up: prepares statements, fills part of the key space.
  for (let r = 0; r < 5; r++) await store.commit(batchOf(r, sessions, cdrs));
  const made = Array.from({ length: batches }, (_, r) => batchOf(r + 5, sessions, cdrs));
  const lat: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const b of made) {
    const s = performance.now();
    await store.commit(b);
    lat.push(performance.now() - s);
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const rows = batches * (sessions + cdrs);
  lat.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(34)} ${String(sessions)}+${String(cdrs)}`.padEnd(44) +
      `${Math.round(rows / wall)
        .toString()
        .padStart(8)} rows/s  commit p50 ${pct(lat, 50).toFixed(2)} ms  p99 ${pct(lat, 99).toFixed(2)} ms  ` +
      `cpu ${((cpu.user + cpu.system) / rows).toFixed(1)} µs/row`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'diamkit-bench-'));
try {
  for (const sync of ['NORMAL', 'FULL'] as const) {
    const store = new SqliteStore({ path: join(dir, `bench-${sync}.db`), synchronous: sync });
    await store.open();
    await run(`sqlite synchronous=${sync}`, store, BATCHES, SESSIONS, CDRS);
    await run(`sqlite synchronous=${sync} (no group)`, store, SINGLE, 1, 1);
    await store.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const url = process.env.DIAMKIT_PG_URL;
if (!url) {
  console.log('postgres: skipped (DIAMKIT_PG_URL is not set)');
} else {
  const schema = `dk_bench_${process.pid}`;
  const store = new PostgresStore({ url, schema });
  await store.open();
  try {
    await run('postgres', store, BATCHES, SESSIONS, CDRS);
    await run('postgres (no group)', store, SINGLE, 1, 1);
  } finally {
    await store.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA "${schema}" CASCADE`);
    await client.end();
  }
}
