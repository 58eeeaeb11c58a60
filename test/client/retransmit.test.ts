/**
 * The scenario step `retransmit` (docs/scenarios.md) against a real CDF (test/helpers/cdf-server.ts: the
 * Rf application over SQLite behind a DiameterNode on 127.0.0.1 port 0). What the CDF received and what it
 * answered is read from the wire octets (the `diamkit:message:received` channel gives each frame as read)
 * with the hand-written parser of raw-peer.ts, not with the codec: RFC 6733 §3 / §6.1.3 ask a
 * retransmission to carry the T flag, the original's End-to-End id, a new Hop-by-Hop id and the same AVPs;
 * the CDF must answer it as the duplicate it is and write one CDR without anomaly (accounting-rf.md §1.6,
 * §5.3).
 */
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { loadScenario } from '../../src/client/scenario.js';
import { runScenario, scenarioPassed, type ScenarioResult } from '../../src/client/runner.js';
import { TestCdf } from '../helpers/cdf-server.js';
import { AVP, R, T, parse, resultCode, strOf, u32Of, type RawMessage } from '../helpers/raw-peer.js';

const dict = builtinDictionary();
const tmp = mkdtempSync(join(tmpdir(), 'diamkit-retransmit-'));
const ACR = 271;
const RECORD_NUMBER = 485;
const USER_NAME = 1;

let cdf: TestCdf;
/** ACRs as the CDF read them, and ACAs as the client read them, in arrival order. */
const acrs: RawMessage[] = [];
const acas: RawMessage[] = [];
const onFrame = (raw: unknown): void => {
  const { bytes } = raw as { bytes: Uint8Array };
  const m = parse(Buffer.from(bytes));
  if (m.command !== ACR) return;
  ((m.flags & R) !== 0 ? acrs : acas).push(m);
};

before(async () => {
  cdf = await TestCdf.start();
  diagnostics_channel.subscribe('diamkit:message:received', onFrame);
});
after(async () => {
  diagnostics_channel.unsubscribe('diamkit:message:received', onFrame);
  await cdf.close();
  rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  acrs.length = 0;
  acas.length = 0;
});

let n = 0;
async function run(yaml: string): Promise<ScenarioResult> {
  const file = join(tmp, `scenario-${++n}.yaml`);
  writeFileSync(file, yaml);
  return runScenario(loadScenario(file, dict), {
    host: '127.0.0.1',
    port: cdf.port,
    dictionary: dict,
    originHost: `ctf${n}.retransmit.test`,
    originRealm: 'retransmit.test',
  });
}

const failuresOf = (r: ScenarioResult) =>
  JSON.stringify(r.steps.filter((s) => s.status !== 'passed').map((s) => [s.step, s.failures, s.summary]));

/** `copy` is `orig` with the T flag set and another Hop-by-Hop id, every other octet the same. */
function assertRetransmissionOf(copy: RawMessage, orig: RawMessage, what: string): void {
  assert.equal(orig.flags & T, 0, `${what}: the first transmission has no T flag`);
  assert.equal(copy.flags, orig.flags | T, `${what}: T flag set, R/P/E as the first time`);
  assert.equal(copy.e2e, orig.e2e, `${what}: the same End-to-End id`);
  assert.notEqual(copy.hbh, orig.hbh, `${what}: a new Hop-by-Hop id`);
  assert.deepEqual(copy.bytes.subarray(20), orig.bytes.subarray(20), `${what}: the same AVP octets`);
  const expected = Buffer.from(orig.bytes);
  expected[4] = orig.flags | T;
  expected.writeUInt32BE(copy.hbh, 12);
  assert.deepEqual(copy.bytes, expected, `${what}: every other header octet as the first time`);
}

/** The answer to a retransmission is the earlier answer replayed: the same octets but the Hop-by-Hop id. */
function assertReplayOf(copy: RawMessage, orig: RawMessage, request: RawMessage, what: string): void {
  assert.equal(copy.hbh, request.hbh, `${what}: answers the retransmission`);
  const expected = Buffer.from(orig.bytes);
  expected.writeUInt32BE(copy.hbh, 12);
  assert.deepEqual(copy.bytes, expected, `${what}: the first answer again`);
}

const TEMPLATE = `
templates:
  acr:
    command: ACR
    avps:
      - Accounting-Record-Type: \${type}
      - Accounting-Record-Number: \${seq}
      - Acct-Application-Id: 3
      - Event-Timestamp: \${now}
      - User-Name: u-\${randomHex(8)}   # new at every send: a copy made by sending again would differ
`;

describe('retransmit against a CDF', () => {
  test('START, retransmit, INTERIM, STOP: T flag, same End-to-End id and AVPs, new Hop-by-Hop id; the duplicate answered once more; one CDR', async () => {
    const dupBefore = cdf.server.stats.duplicates;
    const acrsBefore = cdf.rf.sessions.counters.acrs;
    const r = await run(`${TEMPLATE}
steps:
  - { name: START, send: acr, with: { type: START_RECORD } }
  - { name: again, retransmit: last }
  - { name: INTERIM, send: acr, with: { type: INTERIM_RECORD } }
  - { name: STOP, send: acr, with: { type: STOP_RECORD } }
`);
    assert.ok(scenarioPassed(r), failuresOf(r));
    assert.equal(r.requests, 4);
    assert.equal(r.answers, 4);
    assert.match(r.steps[1]!.summary, /^ACR retransmitted \(T flag\) → ACA 2001 DIAMETER_SUCCESS$/);

    // On the wire, at the CDF.
    assert.equal(acrs.length, 4);
    const [start, copy, interim, stop] = acrs as [RawMessage, RawMessage, RawMessage, RawMessage];
    assertRetransmissionOf(copy, start, 'retransmitted START');
    assert.deepEqual(
      acrs.map((m) => u32Of(m, RECORD_NUMBER)),
      [0, 0, 1, 2],
      '${seq} does not move on a retransmission',
    );
    for (const m of [interim, stop]) {
      assert.equal(m.flags & T, 0, 'later sends are first transmissions');
      assert.notEqual(m.e2e, start.e2e, 'a new request gets its own End-to-End id');
    }
    assert.equal(new Set(acrs.map((m) => m.hbh)).size, 4, 'four Hop-by-Hop ids');
    const sessionId = strOf(start, AVP.SESSION_ID)!;
    assert.ok(
      acrs.every((m) => strOf(m, AVP.SESSION_ID) === sessionId),
      'one Session-Id',
    );

    // The answers, as the client read them: every one 2001, the copy's the START's replayed.
    assert.equal(acas.length, 4);
    assert.deepEqual(
      acas.map((m) => resultCode(m)),
      [2001, 2001, 2001, 2001],
    );
    assertReplayOf(acas[1]!, acas[0]!, copy, 'answer to the retransmission');
    assert.equal(cdf.server.stats.duplicates - dupBefore, 1, 'the CDF took it for a duplicate');
    assert.equal(cdf.rf.sessions.counters.acrs - acrsBefore, 3, 'and counted three ACRs, not four');

    // What the CDF stored: one record, no anomaly (a duplicate counted twice would leave a gap or a second CDR).
    const cdrs = await cdf.cdrs(sessionId);
    assert.equal(cdrs.length, 1, JSON.stringify(cdrs));
    assert.deepEqual(cdrs[0]!.anomalies, []);
    assert.equal(cdrs[0]!.originHost, strOf(start, AVP.ORIGIN_HOST));
  });

  test('inside a repeat, by step name, with save and a following expect step', async () => {
    const dupBefore = cdf.server.stats.duplicates;
    const r = await run(`${TEMPLATE}
steps:
  - { name: START, send: acr, with: { type: START_RECORD } }
  - repeat: 2
    steps:
      - { name: INTERIM, send: acr, with: { type: INTERIM_RECORD } }
      - retransmit: last
        expect: { avps: { Accounting-Record-Number: '\${seq}' } }   # \${seq} as at that send: 1, then 2
  - name: START again
    retransmit: START
    save: { startNumber: Accounting-Record-Number }
  - expect: { avps: { Accounting-Record-Type: START_RECORD, Accounting-Record-Number: '\${startNumber}' } }
  - name: STOP
    send: acr
    with: { type: STOP_RECORD }
    expect: { avps: { Accounting-Record-Number: 3 } }
`);
    assert.ok(scenarioPassed(r), failuresOf(r));
    assert.deepEqual(
      r.steps.map((s) => [s.step, s.kind, s.iterations.join('.')]),
      [
        ['1', 'send', ''],
        ['2.1', 'send', '0'],
        ['2.2', 'retransmit', '0'],
        ['2.1', 'send', '1'],
        ['2.2', 'retransmit', '1'],
        ['3', 'retransmit', ''],
        ['4', 'expect', ''],
        ['5', 'send', ''],
      ],
    );
    assert.equal(acrs.length, 7);
    assert.deepEqual(
      acrs.map((m) => [u32Of(m, RECORD_NUMBER), (m.flags & T) !== 0]),
      [
        [0, false],
        [1, false],
        [1, true],
        [2, false],
        [2, true],
        [0, true],
        [3, false],
      ],
    );
    const [start, i1, c1, i2, c2, cs] = acrs as RawMessage[];
    assertRetransmissionOf(c1!, i1!, 'first INTERIM again');
    assertRetransmissionOf(c2!, i2!, 'second INTERIM again');
    assertRetransmissionOf(cs!, start!, 'START again, by name');
    assert.notEqual(strOf(i1!, USER_NAME), strOf(i2!, USER_NAME), 'each send rendered anew');
    assert.equal(new Set(acrs.map((m) => m.hbh)).size, 7);
    assertReplayOf(acas[2]!, acas[1]!, c1!, 'answer to the first INTERIM again');
    assertReplayOf(acas[4]!, acas[3]!, c2!, 'answer to the second INTERIM again');
    assertReplayOf(acas[5]!, acas[0]!, cs!, 'answer to START again');
    assert.equal(cdf.server.stats.duplicates - dupBefore, 3);
    const cdrs = await cdf.cdrs(strOf(start!, AVP.SESSION_ID)!);
    assert.equal(cdrs.length, 1);
    assert.deepEqual(cdrs[0]!.anomalies, []);
  });

  test('without expect the retransmission must be answered 2001, as a send; with expect, what it says', async () => {
    const missingNumber = `{ command: ACR, avps: [{ Accounting-Record-Type: EVENT_RECORD }, { Acct-Application-Id: 3 }] }`;
    const strict = await run(`
steps:
  - send: ${missingNumber}
    expect: { result: 5005 }
  - retransmit: last
  - send: ${missingNumber}
    expect: { result: any }
`);
    assert.equal(scenarioPassed(strict), false);
    assert.deepEqual(
      strict.steps.map((s) => [s.status, s.failures]),
      [
        ['passed', []],
        ['failed', ['step 2: Result-Code: expected 2001 DIAMETER_SUCCESS, got 5005 DIAMETER_MISSING_AVP']],
        ['skipped', []],
      ],
    );
    assert.equal(acrs.length, 2, 'nothing sent after the failed step');
    const told = await run(`
steps:
  - send: ${missingNumber}
    expect: { result: 5005 }
  - retransmit: last
    expect: { result: 5005, avps: { Failed-AVP/Accounting-Record-Number: { present: true } } }
`);
    assert.ok(scenarioPassed(told), failuresOf(told));
  });

  test('the example of docs/scenarios.md passes against the CDF', async () => {
    const doc = readFileSync(fileURLToPath(new URL('../../docs/scenarios.md', import.meta.url)), 'utf8');
    const section = doc.slice(doc.indexOf('### retransmit'), doc.indexOf('### expect'));
    const example = /<!-- scenario -->\n```yaml\n([\s\S]*?)```/.exec(section);
    assert.ok(example, 'the retransmit section shows a full scenario');
    const r = await run(example[1]!);
    assert.ok(scenarioPassed(r), failuresOf(r));
    assert.deepEqual(
      acrs.map((m) => (m.flags & T) !== 0),
      [false, true, false, false],
    );
    assertRetransmissionOf(acrs[1]!, acrs[0]!, 'the example');
    const cdrs = await cdf.cdrs(strOf(acrs[0]!, AVP.SESSION_ID)!);
    assert.equal(cdrs.length, 1);
    assert.deepEqual(cdrs[0]!.anomalies, []);
  });
});
