/**
 * Keeps docs/cdr.md in step with the CDR builder: every field a record of each kind can carry — produced
 * here by driving the session manager with ACRs that carry every AVP the mapping reads, through partial
 * records, anomalies and a T-flagged STOP — is documented in that kind's section, and every closing cause
 * the session manager can write appears in the closing-cause table. The field names are read from the
 * records, the documented ones from the page.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readAcr } from '../../src/cdf/acr.js';
import { Cause, DEFAULT_CDF_SETTINGS, SessionManager } from '../../src/cdf/session-manager.js';
import type { Cdr } from '../../src/cdf/store.js';
import type { AvpJson } from '../../src/dictionary/message-format.js';
import {
  acr,
  dictionary,
  imsServiceInformation,
  pgwServiceInformation,
  type AcrSpec,
} from '../helpers/acr-builder.js';

const doc = readFileSync(fileURLToPath(new URL('../../docs/cdr.md', import.meta.url)), 'utf8');

function section(title: string): string {
  const start = doc.indexOf(`\n## ${title}`);
  assert.ok(start >= 0, `docs/cdr.md has a "## ${title}" section`);
  const end = doc.indexOf('\n## ', start + 4);
  return doc.slice(start, end < 0 ? undefined : end);
}

/** Every CDR the manager writes for these ACRs (supervision run at the end closes what is left open). */
function records(
  settings: Partial<typeof DEFAULT_CDF_SETTINGS>,
  specs: AcrSpec[],
  retransmitLast = false,
): Cdr[] {
  const sm = new SessionManager(dictionary(), { ...DEFAULT_CDF_SETTINGS, ...settings });
  const out: Cdr[] = [];
  specs.forEach((s, i) => {
    const m = acr(s);
    if (retransmitLast && i === specs.length - 1) m.flags |= 0x10;
    out.push(...(sm.apply(m, readAcr(m)).batch.cdrs ?? []));
  });
  out.push(...(sm.supervise(new Date(Date.now() + 10 * 86_400_000))?.cdrs ?? []));
  return out;
}

function fieldNames(cdrs: Cdr[]): Set<string> {
  const names = new Set<string>();
  for (const c of cdrs) for (const k of Object.keys(c.fields)) names.add(k);
  return names;
}

const container: AvpJson = {
  'Service-Data-Container': [
    { 'Charging-Rule-Base-Name': 'rb1' },
    { 'Accounting-Input-Octets': '10' },
    { 'Accounting-Output-Octets': '20' },
    { 'Local-Sequence-Number': 1 },
    { 'Rating-Group': 1 },
    { 'Change-Time': '2024-01-01T00:01:00Z' },
    { 'Service-Identifier': 5 },
    { 'SGSN-Address': '192.0.2.30' },
    { 'Time-First-Usage': '2024-01-01T00:00:10Z' },
    { 'Time-Last-Usage': '2024-01-01T00:00:50Z' },
    { 'Time-Usage': 40 },
    { 'Change-Condition': 4 },
  ],
};

test('every IMS record field is documented under "IMS records"', () => {
  const base = { serviceContextId: '32260@3gpp.org' };
  const ioi = { originating: 'a', terminating: 'b' };
  const cdrs = [
    ...records(
      { partialTimeLimit: 60 },
      [
        {
          ...base,
          sessionId: 's1',
          recordType: 'START_RECORD',
          recordNumber: 0,
          userName: 'u',
          eventTimestamp: '2024-01-01T00:00:00Z',
          serviceInformation: imsServiceInformation({ ioi }),
        },
        {
          ...base,
          sessionId: 's1',
          recordType: 'INTERIM_RECORD',
          recordNumber: 2,
          eventTimestamp: '2024-01-01T00:02:00Z',
          serviceInformation: imsServiceInformation({ ioi }),
        },
        {
          ...base,
          sessionId: 's1',
          recordType: 'STOP_RECORD',
          recordNumber: 3,
          eventTimestamp: '2024-01-01T00:03:00Z',
          serviceInformation: imsServiceInformation(),
        },
      ],
      true,
    ),
    ...records({}, [
      {
        ...base,
        sessionId: 'e1',
        recordType: 'EVENT_RECORD',
        recordNumber: 0,
        serviceInformation: imsServiceInformation({ causeCode: 486 }),
      },
    ]),
  ];
  const names = fieldNames(cdrs);
  for (const k of [
    'retransmission',
    'recordSequenceNumber',
    'incomplete-CDR-Indication',
    'interOperatorIdentifiers',
  ]) {
    assert.ok(names.has(k), `the inputs exercise ${k}`);
  }
  const text = section('IMS records');
  for (const k of names) assert.ok(text.includes(`| \`${k}\` |`), `docs/cdr.md IMS table lacks \`${k}\``);
});

test('every P-GW record field and service data entry field is documented under "P-GW records"', () => {
  const volumes: AvpJson = {
    'Traffic-Data-Volumes': [
      { 'QoS-Information': [{ 'QoS-Class-Identifier': 9 }] },
      { 'Accounting-Input-Octets': '10' },
      { 'Accounting-Output-Octets': '20' },
      { 'Change-Condition': 7 },
      { 'Change-Time': '2024-01-01T00:01:00Z' },
      { '3GPP-User-Location-Info': { hex: '8200f110' } },
      { '3GPP-Charging-Id': 1 },
    ],
  };
  const si = pgwServiceInformation([container, volumes], { stop: true });
  const ps = si.find((a) => 'PS-Information' in a)!['PS-Information'] as AvpJson[];
  ps.push(
    { '3GPP-SGSN-MCC-MNC': '00101' },
    { '3GPP-GGSN-MCC-MNC': '00102' },
    { '3GPP-User-Location-Info': { hex: '8200f110' } },
  );
  const base = { serviceContextId: '32251@3gpp.org', serviceInformation: si };
  const cdrs = records(
    { partialMaxContainers: 1 },
    [
      {
        ...base,
        sessionId: 'p1',
        recordType: 'INTERIM_RECORD',
        recordNumber: 1,
        eventTimestamp: '2024-01-01T00:01:00Z',
      },
      {
        ...base,
        sessionId: 'p1',
        recordType: 'STOP_RECORD',
        recordNumber: 2,
        eventTimestamp: '2024-01-01T00:02:00Z',
      },
    ],
    true,
  );
  const names = fieldNames(cdrs);
  const text = section('P-GW records');
  for (const k of names) assert.ok(text.includes(`| \`${k}\` |`), `docs/cdr.md P-GW table lacks \`${k}\``);
  const entries = new Set(
    cdrs.flatMap((c) =>
      (c.fields.listOfServiceData as Record<string, unknown>[]).flatMap((e) => Object.keys(e)),
    ),
  );
  assert.ok(entries.size >= 12, `the container exercises every entry field: ${[...entries]}`);
  for (const k of entries)
    assert.ok(text.includes(`| \`${k}\` |`), `docs/cdr.md listOfServiceData table lacks \`${k}\``);
  const volumeFields = new Set(
    cdrs.flatMap((c) => ((c.fields.listOfTrafficVolumes ?? []) as Record<string, unknown>[]).flatMap((e) => Object.keys(e))),
  );
  assert.equal(volumeFields.size, 7, `the traffic volume exercises every entry field: ${[...volumeFields]}`);
  for (const k of volumeFields)
    assert.ok(text.includes(`| \`${k}\` |`), `docs/cdr.md listOfTrafficVolumes table lacks \`${k}\``);
});

test('every generic record field is documented under "Generic records"', () => {
  const cdrs = records(
    { partialTimeLimit: 60 },
    [
      {
        sessionId: 'g1',
        recordType: 'START_RECORD',
        recordNumber: 0,
        eventTimestamp: '2024-01-01T00:00:00Z',
        serviceContextId: 'x@example.com',
      },
      {
        sessionId: 'g1',
        recordType: 'INTERIM_RECORD',
        recordNumber: 5,
        eventTimestamp: '2024-01-01T00:02:00Z',
      },
      { sessionId: 'g1', recordType: 'STOP_RECORD', recordNumber: 6, eventTimestamp: '2024-01-01T00:03:00Z' },
    ],
    true,
  );
  assert.ok(cdrs.every((c) => c.kind === 'generic'));
  const text = section('Generic records');
  for (const k of fieldNames(cdrs))
    assert.ok(text.includes(`\`${k}\``), `docs/cdr.md generic section lacks \`${k}\``);
});

test('every closing cause the CDF writes is in the closing-cause table', () => {
  const text = section('Closing causes');
  const names: Record<string, string> = {
    IMS_NORMAL: '0 serviceDeliveryEndSuccessfully',
    IMS_UNSUCCESSFUL: '1 unSuccessfulServiceDelivery',
    IMS_TIME_LIMIT: '3 timeLimit',
    IMS_MANAGEMENT: '5 managementIntervention',
    PGW_NORMAL: '0 normalRelease',
    PGW_ABNORMAL: '4 abnormalRelease',
    PGW_VOLUME_LIMIT: '16 volumeLimit',
    PGW_TIME_LIMIT: '17 timeLimit',
    PGW_MAX_CHANGE_COND: '19 maxChangeCond',
  };
  for (const [k, v] of Object.entries(Cause)) {
    const label = names[k];
    assert.ok(label, `Cause.${k} (${v}) has a TS 32.298 name in this test`);
    assert.ok(label.startsWith(`${v} `), `Cause.${k} is ${v}, TS 32.298 says ${label}`);
    assert.ok(text.includes(label), `docs/cdr.md closing causes lack "${label}"`);
  }
});
