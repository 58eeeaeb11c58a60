/**
 * Reading scenario files (src/client/scenario.ts): every shipped scenario loads; a mistake anywhere — a
 * misspelt AVP, key, variable or enumeration name, a bad duration, YAML syntax — stops before anything
 * connects, with `FILE:LINE: where: what` pointing at the line it is on.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { ScenarioError, loadScenario, type Step } from '../../src/client/scenario.js';

const dict = builtinDictionary();
const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));

function loadError(text: string): string {
  try {
    loadScenario('t.yaml', dict, text);
  } catch (e) {
    assert.ok(e instanceof ScenarioError, `a ScenarioError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('expected the scenario to be refused');
}

const sendCount = (steps: Step[]): number =>
  steps.reduce(
    (n, s) => n + (s.kind === 'send' ? 1 : s.kind === 'repeat' ? s.times * sendCount(s.steps) : 0),
    0,
  );

describe('shipped scenarios', () => {
  const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml'));
  test('there is one for each case of the issue, and each loads', () => {
    for (const want of [
      'ims-session',
      'pgw-session',
      'sms-event',
      'error-missing-avp',
      'error-bad-application-id',
      'error-invalid-record-type',
      'error-unknown-command',
    ])
      assert.ok(files.includes(`${want}.yaml`), want);
    for (const f of files) {
      const s = loadScenario(join(SCENARIOS, f), dict);
      assert.deepEqual(s.applications, [3], `${f}: advertises Rf's application 3 in CER`);
    }
  });
  test('the P-GW scenario: three sessions from the CSV, START + 2 INTERIM + STOP each', () => {
    const s = loadScenario(join(SCENARIOS, 'pgw-session.yaml'), dict);
    assert.equal(s.sessions, 3);
    assert.equal(s.csv?.rows.length, 3);
    assert.equal(sendCount(s.steps), 4);
  });
});

describe('mistakes are found before anything runs, with file and line', () => {
  test('names: AVPs in messages and paths, commands, keys, variables', () => {
    assert.equal(
      loadError('steps:\n  - send:\n      command: ACR\n      avps:\n        - Acounting-Record-Type: 1\n'),
      't.yaml:5: steps[0].send.avps[0].Acounting-Record-Type: unknown AVP "Acounting-Record-Type"',
    );
    assert.equal(
      loadError(
        'steps:\n  - send: { command: ACR, avps: [] }\n    expect:\n      avps:\n        Failed-AVP/Result-Cod: 1\n',
      ),
      't.yaml:5: steps[0].expect.avps.Failed-AVP/Result-Cod: unknown AVP "Result-Cod" in "Failed-AVP/Result-Cod"',
    );
    assert.equal(
      loadError('steps:\n  - send: { command: ACX, avps: [] }\n'),
      't.yaml:2: steps[0].send.command: unknown command "ACX"',
    );
    assert.equal(
      loadError('steps:\n  - send: { command: ACR, avps: [] }\n    expct: { result: 2001 }\n'),
      't.yaml:3: steps[0].expct: unknown key (expected one of name, send, with, expect, save, fill, timeout)',
    );
    assert.equal(
      loadError(
        'steps:\n  - send:\n      command: ACR\n      avps:\n        - Session-Id: x\n        - User-Name: ${usr}\n',
      ),
      't.yaml:6: steps[0].send.avps[1].User-Name: unknown variable ${usr}',
    );
    assert.equal(
      loadError('templates:\n  t: { command: ACR, avps: [{ User-Name: "${who}" }] }\nsteps:\n  - send: t\n'),
      't.yaml:4: steps[0].send: template "t": unknown variable ${who} (give it in "with")',
    );
    assert.equal(
      loadError('steps:\n  - send: nope\n'),
      't.yaml:2: steps[0].send: no template named "nope" (templates: none)',
    );
  });

  test('values: enumerations, durations, counts', () => {
    assert.equal(
      loadError(
        'steps:\n  - send:\n      command: ACR\n      avps:\n        - Session-Id: x\n        - Accounting-Record-Type: BAR\n',
      ),
      't.yaml:6: steps[0].send.avps[1]: Accounting-Record-Type has no value named "BAR" (known: EVENT_RECORD, START_RECORD, INTERIM_RECORD, STOP_RECORD)',
    );
    assert.match(
      loadError(
        'steps:\n  - send: { command: ACR, avps: [] }\n    expect:\n      avps:\n        Accounting-Record-Type: FOO\n',
      ),
      /^t\.yaml:5: steps\[0\]\.expect\.avps\.Accounting-Record-Type: .*no value named "FOO"/,
    );
    assert.equal(
      loadError('steps:\n  - wait: 5 parsecs\n'),
      't.yaml:2: steps[0].wait: expected a duration such as 500ms, 2s or 1m (at most 3600 s), got "5 parsecs"',
    );
    assert.equal(
      loadError('sessions: 0\nsteps:\n  - wait: 1\n'),
      't.yaml:1: sessions: expected a whole number 1 to 1000000, got 0',
    );
    assert.equal(
      loadError('steps:\n  - repeat: 2\n    steps:\n      - wait: 1\n      - expect: { error: maybe }\n'),
      't.yaml:5: steps[0].steps[1].expect.error: expected true or false',
    );
  });

  test('retransmit: a send step must come before it; only its own keys; a name must be an earlier send step', () => {
    const send = '{ command: ACR, avps: [] }';
    assert.equal(
      loadError(`steps:\n  - retransmit: last\n  - send: ${send}\n`),
      't.yaml:2: steps[0].retransmit: nothing to retransmit: no send step before this one in the session',
    );
    // The first iteration of a repeat has sent nothing yet, even if a later step of the repeat sends.
    assert.equal(
      loadError(
        `steps:\n  - wait: 1\n  - repeat: 2\n    steps:\n      - retransmit: last\n      - send: ${send}\n`,
      ),
      't.yaml:5: steps[1].steps[0].retransmit: nothing to retransmit: no send step before this one in the session',
    );
    assert.equal(
      loadError(
        `steps:\n  - { name: START, send: ${send} }\n  - retransmit: STOP\n  - { name: STOP, send: ${send} }\n`,
      ),
      't.yaml:3: steps[1].retransmit: no send step named "STOP" before this one (named send steps before it: START; or write "last")',
    );
    assert.equal(
      loadError(`steps:\n  - send: ${send}\n  - retransmit: last\n    fill: false\n`),
      't.yaml:4: steps[1].fill: unknown key (expected one of name, retransmit, expect, save, timeout)',
    );
    assert.equal(
      loadError(`steps:\n  - send: ${send}\n  - retransmit: { step: 1 }\n`),
      't.yaml:3: steps[1].retransmit: expected "last" or the name of an earlier send step',
    );
    // Its expectation sees the placeholders of the step it repeats: a named step's `with`, not another's.
    assert.equal(
      loadError(
        `steps:\n  - { name: A, send: ${send}, with: { x: '1' } }\n  - retransmit: last\n    expect: { avps: { User-Name: '\${x}' } }\n`,
      ),
      't.yaml:4: steps[1].expect.avps.User-Name: unknown variable ${x}',
    );
  });

  test('retransmit: what it loads to', () => {
    const s = loadScenario(
      't.yaml',
      dict,
      `steps:
  - { name: START, send: { command: ACR, avps: [] } }
  - repeat: 2
    steps:
      - { name: START, send: { command: ACR, avps: [] }, with: { x: '1' } }
      - retransmit: last
        timeout: 2s
  - retransmit: START
    expect: { avps: { User-Name: '\${x}' } }
    save: { n: Accounting-Record-Number }
`,
    );
    const [first, rep, byName] = s.steps;
    assert.ok(first?.kind === 'send' && rep?.kind === 'repeat' && byName?.kind === 'retransmit');
    const [inner, last] = rep.steps;
    assert.ok(inner?.kind === 'send' && last?.kind === 'retransmit');
    assert.equal(last.of, undefined, '"last": whatever the session sent last');
    assert.equal(last.timeoutMs, 2000);
    assert.deepEqual(last.expect.result, [2001], '2001 by default, as a send');
    assert.equal(byName.of, inner, 'the latest send step of that name above it');
    assert.equal(inner.retransmitted, true);
    assert.equal(first.retransmitted, undefined, 'no copy kept of a step nothing names');
    assert.deepEqual(byName.save, [['n', 'Accounting-Record-Number']]);
  });

  test('YAML syntax, with a hint for the usual slip', () => {
    assert.equal(
      loadError('steps:\n  - send: { command: ACR, avps: [{ Accounting-Record-Number: ${seq} }] }\n'),
      "t.yaml:2: Unexpected flow-map-start at node end (inside { } or [ ], quote a value holding ${…}: '${seq}')",
    );
    assert.match(loadError('steps: [\n'), /^t\.yaml:\d+: /);
    assert.equal(loadError('- just a list\n'), 't.yaml:1: a scenario is a mapping with at least "steps"');
  });
});
