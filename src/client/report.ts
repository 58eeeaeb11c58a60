/**
 * What `diamkit send` and `diamkit run` print: an answer as a tree, JSON or YAML, and a scenario's
 * step lines and summary. Colour only when asked (the CLI asks when stdout is a terminal).
 */
import pc from 'picocolors';
import YAML from 'yaml';
import type { Message } from '../codec/types.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { messageToJson } from '../dictionary/message-format.js';
import { formatMessageTree } from '../dictionary/text-format.js';
import { stepLabel, type ScenarioResult, type StepResult } from './runner.js';
import type { Scenario } from './scenario.js';
import { isSuccess, resultCodeOf } from './send.js';

export type Colors = ReturnType<typeof pc.createColors>;
export const colors = (on: boolean): Colors => pc.createColors(on);

/**
 * Colour only on a terminal (not when piped, not in CI logs: picocolors' own guess turns it on whenever
 * CI is set), never with NO_COLOR (no-color.org) or --no-color, always with FORCE_COLOR.
 */
export function wantColor(
  flag: boolean,
  stream: { isTTY?: boolean } = process.stdout,
  env = process.env,
): boolean {
  if (!flag || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return !!stream.isTTY && env.TERM !== 'dumb';
}

export type MessageFormat = 'text' | 'json' | 'yaml';

/** The message as the tree of `decode --format text`, JSON or YAML (docs/message-format.md). */
export function formatMessage(
  m: Message,
  format: MessageFormat,
  dict: Dictionary,
  c: Colors = colors(false),
): string {
  if (format === 'json') return JSON.stringify(messageToJson(m, dict), null, 2);
  if (format === 'yaml') return YAML.stringify(messageToJson(m, dict), { lineWidth: 0 }).trimEnd();
  const ok = isSuccess(resultCodeOf(m));
  return formatMessageTree(m, dict)
    .split('\n')
    .map((line, i) => {
      if (i === 0) return c.bold(line);
      const m2 = /^(\s*)(\S+)( \([^)]*\) \S+)(: .*)?$/.exec(line);
      if (!m2) return line;
      const [, pad, name, id, value = ''] = m2;
      const v =
        name === 'Result-Code' || name === 'Experimental-Result-Code'
          ? ok
            ? c.green(value)
            : c.red(value)
          : value;
      return `${pad}${c.cyan(name!)}${c.dim(id!)}${v}`;
    })
    .join('\n');
}

const WORD: Record<StepResult['status'], string> = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' };

/** One line per step, then one indented line per unmet expectation. */
export function formatStep(r: StepResult, sessions: number, c: Colors): string {
  const word =
    r.status === 'passed'
      ? c.green(WORD.passed)
      : r.status === 'failed'
        ? c.red(c.bold(WORD.failed))
        : c.yellow(WORD.skipped);
  const label = stepLabel(r, sessions > 1);
  const time =
    (r.kind === 'send' || r.kind === 'retransmit') && r.status !== 'skipped' ? c.dim(` (${r.ms} ms)`) : '';
  const lines = [`  ${word}  ${label}: ${r.summary}${time}`];
  for (const f of r.failures) lines.push(`        ${c.red(f)}`);
  return lines.join('\n');
}

export function formatHeader(
  s: Scenario,
  peer: NonNullable<ScenarioResult['peer']>,
  sessions: number,
  c: Colors,
): string {
  const who = [peer.host, peer.realm && `realm ${peer.realm}`].filter(Boolean).join(', ');
  return `${c.bold(`scenario "${s.name}"`)} (${s.file}): ${sessions} session${sessions === 1 ? '' : 's'} → ${peer.address}${who ? ` (${who})` : ''}`;
}

export function formatSummary(r: ScenarioResult, c: Colors): string {
  if (r.error && r.steps.length === 0) return `  ${c.red(c.bold('ERROR'))} ${r.error}`;
  const n = { passed: 0, failed: 0, skipped: 0 };
  for (const s of r.steps) n[s.status]++;
  const ok = !r.error && r.sessions.failed === 0 && n.failed === 0;
  const head = ok ? c.green(c.bold('PASSED')) : c.red(c.bold('FAILED'));
  const lines = [
    `  ${head}: ${n.passed} step${n.passed === 1 ? '' : 's'} passed, ${n.failed} failed, ${n.skipped} skipped; ` +
      `${r.sessions.passed} of ${r.sessions.total} session${r.sessions.total === 1 ? '' : 's'} passed; ` +
      `${r.requests} request${r.requests === 1 ? '' : 's'}, ${r.answers} answer${r.answers === 1 ? '' : 's'} in ${(r.ms / 1000).toFixed(2)} s`,
  ];
  if (r.error) lines.push(`  ${c.red(r.error)}`);
  return lines.join('\n');
}
