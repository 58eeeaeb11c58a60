/**
 * The JUnit XML report (src/client/junit.ts): counts per suite and overall, one <testcase> per step with
 * a stable name, <failure> with every unmet expectation, <skipped/>, an <error> case for a scenario that
 * could not run, and text that stays well-formed XML whatever the scenario holds (checked by a small
 * tag-balancing reader written here, not by the code under test).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { junitXml, xmlEscape } from '../../src/client/junit.js';
import type { ScenarioResult, StepResult } from '../../src/client/runner.js';
import { loadScenario } from '../../src/client/scenario.js';

const dict = builtinDictionary();

/** Checks tags nest and close, attributes are quoted, and & < > appear only as markup or entities. */
function wellFormed(xml: string): string[] {
  const body = xml.replace(/^<\?xml [^?]*\?>\n/, '');
  const stack: string[] = [];
  const names: string[] = [];
  const re = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"<>]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(body))) {
    pos = re.lastIndex;
    if (m[5] !== undefined) {
      assert.doesNotMatch(m[5], /&(?!(amp|lt|gt|quot|apos);)|>/, `text: ${m[5]}`);
      continue;
    }
    for (const [, , v] of m[3]!.matchAll(/([\w-]+)="([^"]*)"/g))
      assert.doesNotMatch(v!, /&(?!(amp|lt|gt|quot|apos);)/, `attribute: ${v}`);
    if (m[1]) assert.equal(stack.pop(), m[2], `</${m[2]}> closes the open tag`);
    else {
      names.push(m[2]!);
      if (!m[4]) stack.push(m[2]!);
    }
  }
  assert.equal(pos, body.length, `unreadable XML at offset ${pos}: ${body.slice(pos, pos + 40)}`);
  assert.deepEqual(stack, [], 'every tag closed');
  return names;
}

function step(p: Partial<StepResult>): StepResult {
  return {
    session: 1,
    step: '1',
    iterations: [],
    kind: 'send',
    status: 'passed',
    ms: 3.2,
    summary: 'ACR → ACA 2001 DIAMETER_SUCCESS',
    failures: [],
    ...p,
  };
}

function result(name: string, steps: StepResult[], extra: Partial<ScenarioResult> = {}): ScenarioResult {
  const scenario = loadScenario(
    `scenarios/${name.replace(/\W+/g, '-')}.yaml`,
    dict,
    `name: ${JSON.stringify(name)}\nsteps:\n  - wait: 1\n`,
  );
  return {
    scenario,
    steps,
    sessions: {
      total: 1,
      passed: steps.every((s) => s.status === 'passed') ? 1 : 0,
      failed: steps.some((s) => s.status === 'failed') ? 1 : 0,
    },
    requests: steps.length,
    answers: steps.length,
    ms: 1234,
    startedAt: new Date('2024-01-01T00:00:00.500Z'),
    peer: { address: '127.0.0.1:3868', host: 'cdf.example.net', realm: 'example.net' },
    ...extra,
  };
}

test('suites, cases and counts; failures carry every line; the names do not change with the outcome', () => {
  const xml = junitXml([
    result('IMS <session> & "more"', [
      step({ name: 'START' }),
      step({
        step: '2',
        name: 'STOP',
        status: 'failed',
        summary: 'ACR → ACA 5005',
        failures: [
          'step 2 "STOP": Result-Code: expected 2001, got 5005',
          'step 2 "STOP": A: expected <1>, got 2 & 3',
        ],
      }),
      step({ step: '3', kind: 'wait', status: 'skipped', summary: 'skipped (an earlier step failed)' }),
    ]),
    result('refused', [], {
      error: 'cannot connect: 127.0.0.1:1: connect ECONNREFUSED',
      peer: undefined,
      requests: 0,
      answers: 0,
    }),
  ]);
  const names = wellFormed(xml);
  assert.deepEqual(names.filter((n) => n === 'testsuite').length, 2);
  assert.match(
    xml,
    /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="diamkit run" tests="4" failures="1" errors="1" skipped="1" time="2\.468">/,
  );
  assert.match(
    xml,
    /<testsuite name="IMS &lt;session&gt; &amp; &quot;more&quot;" tests="3" failures="1" errors="0" skipped="1" time="1\.234" timestamp="2024-01-01T00:00:00">/,
  );
  assert.match(
    xml,
    /<testcase name="step 1 &quot;START&quot;" classname="IMS-session-more-" time="0\.003"\/>/,
  );
  assert.match(
    xml,
    /<testcase name="step 2 &quot;STOP&quot;" [^>]*>\n\s*<failure message="step 2 &quot;STOP&quot;: Result-Code: expected 2001, got 5005" type="expectation">step 2 &quot;STOP&quot;: Result-Code: expected 2001, got 5005\nstep 2 &quot;STOP&quot;: A: expected &lt;1&gt;, got 2 &amp; 3<\/failure>/,
  );
  assert.match(
    xml,
    /<testcase name="step 3" [^>]*>\n\s*<skipped message="skipped \(an earlier step failed\)"\/>/,
  );
  assert.match(
    xml,
    /<testsuite name="refused" tests="1" failures="0" errors="1" skipped="0"[^>]*>[\s\S]*<testcase name="connect" classname="refused" time="0\.000">\n\s*<error message="cannot connect: 127\.0\.0\.1:1: connect ECONNREFUSED" type="run">/,
  );
  assert.match(xml, /<property name="peer" value="127\.0\.0\.1:3868 cdf\.example\.net"\/>/);
});

test('several sessions and iterations make distinct names', () => {
  const r = result('many', [
    step({ session: 1 }),
    step({ session: 2 }),
    step({ step: '2.1', iterations: [0], session: 2 }),
    step({ step: '2.1', iterations: [1], session: 2 }),
  ]);
  r.sessions.total = 2;
  const names = [...junitXml([r]).matchAll(/<testcase name="([^"]*)"/g)].map((m) => m[1]);
  assert.deepEqual(names, [
    'step 1, session 1',
    'step 1, session 2',
    'step 2.1 (iteration 1), session 2',
    'step 2.1 (iteration 2), session 2',
  ]);
});

test('characters XML 1.0 cannot hold are dropped, the rest escaped', () => {
  assert.equal(
    xmlEscape('a\u0000b\u0007c\td\ne<&>"\'\u00e9\u{1f600}'),
    'abc\td\ne&lt;&amp;&gt;&quot;&apos;\u00e9\u{1f600}',
  );
  wellFormed(junitXml([result('x', [step({ status: 'failed', failures: ['bad \u0001 byte & <tag>'] })])]));
});
