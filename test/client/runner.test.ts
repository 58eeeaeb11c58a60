/**
 * The scenario runner (src/client/runner.ts) against a scripted in-process server on 127.0.0.1 port 0
 * that records every request and echoes the ACA AVPs: what arrived is checked, not what the runner says
 * it sent — one Session-Id per session, `${seq}` numbering, CSV rows, variables filled in once per session,
 * repeats, saved values, parallelism bounded by `parallel`, a failed step stopping only its session,
 * timeouts, and a peer that is not there.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Avp, Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { buildAnswer } from '../../src/node/answers.js';
import { DiameterNode } from '../../src/node/node.js';
import { loadScenario } from '../../src/client/scenario.js';
import { runScenario, scenarioPassed, type ScenarioResult } from '../../src/client/runner.js';
import { DiameterClient } from '../../src/client/send.js';

const dict = builtinDictionary();
const tmp = mkdtempSync(join(tmpdir(), 'diamkit-runner-'));
const received: Message[] = [];
let inflight = 0;
let maxInflight = 0;
let server: DiameterNode;
let port: number;

const str = (m: Message, code: number): string | undefined => {
  const a = m.avps.find((x) => x.code === code && x.vendorId === 0);
  return a ? (typeof a.value === 'string' ? a.value : Buffer.from(a.data!).toString()) : undefined;
};
const num = (m: Message, code: number): number | undefined => {
  const a = m.avps.find((x) => x.code === code && x.vendorId === 0);
  return a ? Buffer.from(a.data!).readUInt32BE(0) : undefined;
};
const SESSION_ID = 263;
const ORIGIN_HOST = 264;
const USER_NAME = 1;
const RECORD_NUMBER = 485;

before(async () => {
  server = new DiameterNode({
    dictionary: dict,
    identity: { originHost: 'cdf.test', originRealm: 'test' },
    shutdownTimeoutMs: 300,
  });
  server.register({
    id: 3,
    name: 'scripted accounting',
    kind: 'acct',
    commands: new Map([
      [
        271,
        async (req: Message, ctx) => {
          received.push(req);
          inflight++;
          maxInflight = Math.max(maxInflight, inflight);
          await sleep(str(req, USER_NAME) === 'slow' ? 1500 : 30);
          inflight--;
          // Echo Accounting-Record-Type/-Number (RFC 6733 §9.7.2) as received.
          const echo = req.avps.filter((a) => a.code === 480 || a.code === 485) as Avp[];
          return buildAnswer(req, ctx.identity, str(req, USER_NAME) === 'refuse' ? 5012 : 2001, {
            avps: echo,
          });
        },
      ],
    ]),
  });
  port = (await server.listen({ host: '127.0.0.1', port: 0 })).port;
});

after(async () => {
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
async function run(
  yaml: string,
  extra: Record<string, string> = {},
  opts: { timeoutMs?: number } = {},
): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmp, 's-'));
  for (const [f, text] of Object.entries(extra)) writeFileSync(join(dir, f), text);
  const file = join(dir, `scenario-${++n}.yaml`);
  writeFileSync(file, yaml);
  received.length = 0;
  maxInflight = 0;
  return runScenario(loadScenario(file, dict), { host: '127.0.0.1', port, dictionary: dict, ...opts });
}

const bySession = (msgs: Message[]) => {
  const m = new Map<string, Message[]>();
  for (const x of msgs) {
    const sid = str(x, SESSION_ID)!;
    m.set(sid, [...(m.get(sid) ?? []), x]);
  }
  return m;
};

describe('sessions', () => {
  test('each session: its own Session-Id, ${seq} 0,1,2, its CSV row, variables filled in once; at most `parallel` at once', async () => {
    const r = await run(
      `
sessions: 4
parallel: 2
identity: { originHost: ctf.runner.test, originRealm: runner.test }
csv: subs.csv
variables:
  tag: \${csv.imsi}-\${randomHex(4)}
templates:
  acr:
    command: ACR
    avps:
      - Accounting-Record-Type: \${type}
      - Accounting-Record-Number: \${seq}
      - User-Name: \${tag}
steps:
  - { send: acr, with: { type: START_RECORD } }
  - { send: acr, with: { type: INTERIM_RECORD } }
  - send: acr
    with: { type: STOP_RECORD }
    expect: { result: 2001, avps: { Accounting-Record-Number: 2, Session-Id: '\${session}' } }
`,
      { 'subs.csv': 'imsi\n001\n002\n' },
    );
    assert.ok(scenarioPassed(r), JSON.stringify(r.steps.filter((s) => s.status !== 'passed')));
    assert.equal(received.length, 12);
    const sessions = bySession(received);
    assert.equal(sessions.size, 4, 'one Session-Id per session');
    const tags: string[] = [];
    for (const [sid, msgs] of sessions) {
      assert.match(
        sid,
        /^ctf\.runner\.test;\d+;\d+;[0-9a-f]{6}$/,
        'RFC 6733 §8.8 form, our Origin-Host first',
      );
      assert.deepEqual(
        msgs.map((m) => num(m, RECORD_NUMBER)),
        [0, 1, 2],
      );
      assert.deepEqual(new Set(msgs.map((m) => str(m, ORIGIN_HOST))), new Set(['ctf.runner.test']));
      const tag = new Set(msgs.map((m) => str(m, USER_NAME)));
      assert.equal(tag.size, 1, 'a variable keeps its value for the whole session');
      tags.push([...tag][0]!);
    }
    // Session i takes row i mod 2: two sessions per row, each with its own random part.
    assert.deepEqual(tags.map((t) => t.split('-')[0]).sort(), ['001', '001', '002', '002']);
    assert.equal(new Set(tags).size, 4);
    assert.equal(maxInflight, 2, 'two sessions at a time, never more');
    assert.equal(r.requests, 12);
    assert.equal(r.answers, 12);
  });

  test('repeat, ${iteration}, a value saved from an answer, and an expect step on the last answer', async () => {
    const r = await run(`
steps:
  - send: { command: ACR, avps: [{ Accounting-Record-Type: START_RECORD }, { Accounting-Record-Number: 7 }] }
    save: { first: Accounting-Record-Number }
  - repeat: 3
    steps:
      - send:
          command: ACR
          avps:
            - Accounting-Record-Type: INTERIM_RECORD
            - Accounting-Record-Number: \${seq}
            - User-Name: it\${iteration}-saved\${first}
      - expect: { avps: { Accounting-Record-Number: '\${seq}', Accounting-Record-Type: INTERIM_RECORD } }
`);
    assert.ok(scenarioPassed(r), JSON.stringify(r.steps.filter((s) => s.status !== 'passed')));
    assert.deepEqual(
      received.slice(1).map((m) => str(m, USER_NAME)),
      ['it0-saved7', 'it1-saved7', 'it2-saved7'],
    );
    assert.deepEqual(
      received.map((m) => num(m, RECORD_NUMBER)),
      [7, 1, 2, 3],
    );
    assert.deepEqual(
      r.steps.map((s) => [s.step, s.iterations.join('.')]),
      [
        ['1', ''],
        ['2.1', '0'],
        ['2.2', '0'],
        ['2.1', '1'],
        ['2.2', '1'],
        ['2.1', '2'],
        ['2.2', '2'],
      ],
    );
  });
});

describe('failures', () => {
  test('a failed step names step, path, expected and actual; it stops its session only', async () => {
    const r = await run(`
sessions: 2
parallel: 1
steps:
  - name: first
    send: { command: ACR, avps: [{ Accounting-Record-Type: START_RECORD }, { Accounting-Record-Number: 0 }] }
    expect: { avps: { Accounting-Record-Number: '\${index}' } }
  - name: second
    send: { command: ACR, avps: [{ Accounting-Record-Type: STOP_RECORD }, { Accounting-Record-Number: 1 }] }
`);
    assert.equal(scenarioPassed(r), false);
    assert.deepEqual(r.sessions, { total: 2, passed: 1, failed: 1 });
    assert.equal(received.length, 3, 'session 2 sent nothing after its failed step');
    const failed = r.steps.filter((s) => s.status === 'failed');
    assert.deepEqual(
      failed.map((s) => s.failures),
      [['step 1 "first", session 2: Accounting-Record-Number: expected 1, got 0']],
    );
    assert.deepEqual(
      r.steps.filter((s) => s.session === 2).map((s) => s.status),
      ['failed', 'skipped'],
    );
  });

  test('a send expects 2001 unless it says otherwise, also when it checks only AVPs', async () => {
    const acr =
      '{ command: ACR, avps: [{ Accounting-Record-Type: EVENT_RECORD }, { Accounting-Record-Number: 0 }, { User-Name: refuse }] }';
    const any = await run(`steps:\n  - send: ${acr}\n    expect: { result: any }\n`);
    assert.ok(scenarioPassed(any), 'result: any');
    const listed = await run(`steps:\n  - send: ${acr}\n    expect: { result: [2001, 5012] }\n`);
    assert.ok(scenarioPassed(listed), 'one of a list');
    const only = await run(`
steps:
  - send: ${acr}
    expect: { avps: { Accounting-Record-Number: 0 } }
`);
    assert.deepEqual(only.steps[0]!.failures, [
      'step 1: Result-Code: expected 2001 DIAMETER_SUCCESS, got 5012 DIAMETER_UNABLE_TO_COMPLY',
    ]);
    const none = await run(`steps:\n  - send: ${acr}\n`);
    assert.deepEqual(none.steps[0]!.failures, [
      'step 1: Result-Code: expected 2001 DIAMETER_SUCCESS, got 5012 DIAMETER_UNABLE_TO_COMPLY',
    ]);
  });

  test('no answer within the step timeout fails the step, in about that time', async () => {
    const r = await run(`
steps:
  - send: { command: ACR, avps: [{ Accounting-Record-Type: EVENT_RECORD }, { Accounting-Record-Number: 0 }, { User-Name: slow }] }
    timeout: 200ms
`);
    const [s] = r.steps;
    assert.equal(s!.status, 'failed');
    assert.match(s!.failures[0]!, /^step 1: no answer: .*200 ms/);
    assert.ok(s!.ms >= 190 && s!.ms < 1400, `${s!.ms} ms`);
  });

  test("timeouts: the step's own, else --timeout, else the file's", async () => {
    const slow =
      '{ command: ACR, avps: [{ Accounting-Record-Type: EVENT_RECORD }, { Accounting-Record-Number: 0 }, { User-Name: slow }] }';
    const file = await run(`timeout: 150ms\nsteps:\n  - send: ${slow}\n`);
    assert.match(file.steps[0]!.failures[0]!, /150 ms/);
    const flag = await run(`timeout: 10s\nsteps:\n  - send: ${slow}\n`, {}, { timeoutMs: 250 });
    assert.match(flag.steps[0]!.failures[0]!, /250 ms/);
    const own = await run(
      `timeout: 10s\nsteps:\n  - send: ${slow}\n    timeout: 100ms\n`,
      {},
      { timeoutMs: 250 },
    );
    assert.match(own.steps[0]!.failures[0]!, /100 ms/);
  });

  test('a value that makes no message fails the step, naming the template', async () => {
    const r = await run(`
variables: { type: BOGUS_RECORD }
steps:
  - send: { command: ACR, avps: [{ Accounting-Record-Type: '\${type}' }] }
`);
    assert.equal(received.length, 0);
    assert.match(
      r.steps[0]!.failures[0]!,
      /^step 1: the message \(.*scenario-\d+\.yaml:4\): .*no value named "BOGUS_RECORD"/,
    );
  });

  test('a second client with the same Origin-Host is refused (4003), and told what to do', async () => {
    const first = await DiameterClient.connect({
      host: '127.0.0.1',
      port,
      dictionary: dict,
      originHost: 'twin.runner.test',
      originRealm: 'runner.test',
      applications: [3],
    });
    try {
      const file = join(tmp, 'twin.yaml');
      writeFileSync(
        file,
        'identity: { originHost: twin.runner.test }\nsteps:\n  - send: { command: ACR, avps: [] }\n',
      );
      const r = await runScenario(loadScenario(file, dict), { host: '127.0.0.1', port, dictionary: dict });
      assert.equal(
        r.error,
        `cannot connect: 127.0.0.1:${port}: CEA refused with Result-Code 4003 (DIAMETER_ELECTION_LOST): the server ` +
          'already has a connection from Origin-Host twin.runner.test; give this client another one (--origin-host)',
      );
    } finally {
      await first.close();
    }
  });

  test('a peer that is not there: an error, no steps', async () => {
    const probe = new DiameterNode({ dictionary: dict });
    const free = (await probe.listen({ host: '127.0.0.1', port: 0 })).port;
    await probe.stop();
    const file = join(tmp, 'refused.yaml');
    writeFileSync(file, 'steps:\n  - send: { command: ACR, avps: [] }\n');
    const r = await runScenario(loadScenario(file, dict), {
      host: '127.0.0.1',
      port: free,
      dictionary: dict,
    });
    assert.match(r.error ?? '', new RegExp(`^cannot connect: 127\\.0\\.0\\.1:${free}: .*ECONNREFUSED`));
    assert.equal(r.steps.length, 0);
    assert.equal(scenarioPassed(r), false);
  });
});
