/**
 * The JUnit XML report of `diamkit run --junit FILE`, in the shape CI servers read (Jenkins, GitLab,
 * GitHub test reporters): one <testsuite> per scenario, one <testcase> per step of each session, a
 * <failure> holding every unmet expectation, <skipped/> for steps a failed session did not reach, and an
 * <error> test case when the scenario could not run at all.
 */
import type { ScenarioResult, StepResult } from './runner.js';
import { stepLabel } from './runner.js';

/** XML 1.0 text: the five special characters escaped, characters XML cannot hold dropped. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

function testcase(r: StepResult, classname: string, several: boolean): string {
  // The name stays the same from run to run (CI servers track a test by it); what happened goes inside.
  const name = stepLabel(r, several);
  const open = `    <testcase name="${xmlEscape(name)}" classname="${xmlEscape(classname)}" time="${seconds(r.ms)}"`;
  if (r.status === 'passed') return `${open}/>`;
  if (r.status === 'skipped')
    return `${open}>\n      <skipped message="${xmlEscape(r.summary)}"/>\n    </testcase>`;
  return (
    `${open}>\n      <failure message="${xmlEscape(r.failures[0] ?? 'failed')}" type="expectation">` +
    `${xmlEscape(r.failures.join('\n'))}</failure>\n    </testcase>`
  );
}

function suite(r: ScenarioResult): string {
  const s = r.scenario;
  const classname = s.file.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
  const cases = r.steps.map((x) => testcase(x, classname, r.sessions.total > 1));
  let errors = 0;
  if (r.error) {
    errors = 1;
    cases.push(
      `    <testcase name="${xmlEscape(r.steps.length ? 'run' : 'connect')}" classname="${xmlEscape(classname)}" time="0.000">\n` +
        `      <error message="${xmlEscape(r.error)}" type="run">${xmlEscape(r.error)}</error>\n    </testcase>`,
    );
  }
  const failures = r.steps.filter((x) => x.status === 'failed').length;
  const skipped = r.steps.filter((x) => x.status === 'skipped').length;
  const props = [
    ['file', s.file],
    ['sessions', String(r.sessions.total)],
    ['peer', r.peer ? `${r.peer.address}${r.peer.host ? ` ${r.peer.host}` : ''}` : ''],
    ['requests', String(r.requests)],
    ['answers', String(r.answers)],
  ]
    .map(([k, v]) => `      <property name="${k}" value="${xmlEscape(v!)}"/>`)
    .join('\n');
  return (
    `  <testsuite name="${xmlEscape(s.name)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" ` +
    `time="${seconds(r.ms)}" timestamp="${r.startedAt.toISOString().replace(/\.\d{3}Z$/, '')}">\n` +
    `    <properties>\n${props}\n    </properties>\n${cases.join('\n')}\n  </testsuite>`
  );
}

export function junitXml(results: readonly ScenarioResult[]): string {
  const count = (f: (r: ScenarioResult) => number) => results.reduce((n, r) => n + f(r), 0);
  const tests = count((r) => r.steps.length + (r.error ? 1 : 0));
  const failures = count((r) => r.steps.filter((x) => x.status === 'failed').length);
  const errors = count((r) => (r.error ? 1 : 0));
  const skipped = count((r) => r.steps.filter((x) => x.status === 'skipped').length);
  const time = seconds(count((r) => r.ms));
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="diamkit run" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}">\n` +
    `${results.map(suite).join('\n')}\n</testsuites>\n`
  );
}
