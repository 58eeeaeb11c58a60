/**
 * The scenario file (docs/scenarios.md): YAML or JSON describing sessions of requests to send and what
 * their answers must hold. This file reads and checks it — every name, path and placeholder — before
 * anything connects, and reports a mistake as `FILE:LINE: where: what`. runner.ts runs it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import type { Dictionary } from '../dictionary/dictionary.js';
import { messageFromJson, type MessageJson } from '../dictionary/message-format.js';
import { readCsv, CsvError, type CsvTable } from './csv.js';
import {
  ExpectationError,
  checkValueForms,
  parseExpectation,
  parsePath,
  type Expectation,
} from './expect.js';
import {
  ScenarioError,
  Source,
  duration,
  isObj,
  onlyKeys,
  pathText,
  scalarText,
  shownPath,
  wholeNumber,
  type Path,
} from './scenario-source.js';
import type { MessageTemplate, Scenario, SendStep, Step } from './scenario-types.js';
import { checkPlaceholders, hasPlaceholder } from './template.js';

export { ScenarioError, parseDuration } from './scenario-source.js';
export type {
  ExpectStep,
  MessageTemplate,
  RepeatStep,
  RetransmitStep,
  Scenario,
  SendStep,
  Step,
  StepBase,
  WaitStep,
} from './scenario-types.js';

/** Names every scenario may use in `${…}` (besides its variables, saved values and csv.COLUMN). */
export const BUILTIN_VARIABLES = [
  'session',
  'seq',
  'index',
  'iteration',
  'originHost',
  'originRealm',
  'peerHost',
  'peerRealm',
] as const;

const MAX_SESSIONS = 1_000_000;
const MAX_PARALLEL = 10_000;
const MAX_REPEAT = 1_000_000;
const MAX_WAIT_MS = 3_600_000;
export const DEFAULT_ANSWER_TIMEOUT_MS = 5000;

const NAME = /^[A-Za-z_][\w-]*$/;

/** The application a template's request belongs to, as messageFromJson will choose it. */
function applicationOf(json: MessageJson, dict: Dictionary): number | undefined {
  if (typeof json.application === 'number') return json.application;
  if (typeof json.application === 'string') {
    if (/^\d+$/.test(json.application)) return Number(json.application);
    return dict.applicationByName(json.application)?.id;
  }
  if (typeof json.command === 'string' && !/^\d+$/.test(json.command))
    return dict.commandByName(json.command)?.applicationId;
  return 0;
}

/** Checks AVP names of a message's AVP list (short and long form) against the dictionary. */
function checkAvpNames(src: Source, path: Path, avps: unknown, dict: Dictionary): void {
  if (!Array.isArray(avps)) src.fail(path, 'expected a list of AVPs');
  avps.forEach((a, i) => {
    const p = [...path, i];
    if (!isObj(a)) src.fail(p, 'expected an AVP: {Name: value}');
    const keys = Object.keys(a);
    if ('name' in a || 'code' in a) {
      if (typeof a.name === 'string' && !dict.avpByName(a.name))
        src.fail([...p, 'name'], `unknown AVP "${a.name}"`);
      const kids = a.avps ?? (Array.isArray(a.value) ? a.value : undefined);
      if (kids !== undefined) checkAvpNames(src, [...p, a.avps !== undefined ? 'avps' : 'value'], kids, dict);
      return;
    }
    if (keys.length !== 1) src.fail(p, `an AVP is {Name: value} (got keys ${keys.join(', ')})`);
    const def = dict.avpByName(keys[0]!);
    if (!def) src.fail([...p, keys[0]!], `unknown AVP "${keys[0]}"`);
    if (def.type === 'Grouped') checkAvpNames(src, [...p, keys[0]!], a[keys[0]!], dict);
  });
}

interface Loader {
  dict: Dictionary;
  baseDir: string;
  templates: Map<string, MessageTemplate>;
  known: (name: string) => boolean;
  /** Every `save:` name of the scenario (so templates may use them). */
  saved: Set<string>;
  /** The send steps read so far, in file order: what a retransmit step may name. */
  sends: SendStep[];
}

function loadMessage(src: Source, path: Path, raw: unknown, ld: Loader): MessageTemplate {
  if (!isObj(raw)) src.fail(path, 'expected a message: {command, avps}');
  onlyKeys(src, path, raw, ['command', 'application', 'flags', 'hopByHop', 'endToEnd', 'avps']);
  if (raw.command === undefined) src.fail(path, 'a message needs "command" (ACR, Accounting or 271)');
  if (raw.avps === undefined) src.fail(path, 'a message needs "avps" (a list; may be empty)');
  checkAvpNames(src, [...path, 'avps'], raw.avps, ld.dict);
  const json = raw as unknown as MessageJson;
  if (typeof json.command === 'string' && !/^\d+$/.test(json.command) && !ld.dict.commandByName(json.command))
    src.fail([...path, 'command'], `unknown command "${json.command}"`);
  const app = applicationOf(json, ld.dict);
  if (app === undefined)
    src.fail([...path, 'application'], `unknown application "${String(json.application)}"`);
  checkPlaceholders(json, ld.known, (p, m) => src.fail([...path, ...p], m));
  // A template with no placeholder is a complete message: any bad value is found now, not mid-run.
  if (!JSON.stringify(json).includes('${')) {
    try {
      messageFromJson(json, ld.dict);
    } catch (e) {
      // "avps[3]/Service-Information/…: what": point at that AVP's line.
      const text = (e as Error).message.replace(/^[A-Z_]+: /, '');
      const m = /^avps\[(\d+)\][^:]*: (.*)$/s.exec(text);
      if (m) src.fail([...path, 'avps', Number(m[1])], m[2]!);
      src.fail(path, text);
    }
  }
  return { json, where: src.at(path), applicationId: app };
}

/** A template file (`send: messages/acr.yaml`): one message, relative to the scenario's folder. */
function loadMessageFile(src: Source, path: Path, file: string, ld: Loader): MessageTemplate {
  const full = resolve(ld.baseDir, file);
  if (!existsSync(full)) src.fail(path, `no template named "${file}" and no such file (${full})`);
  const shown = shownPath(full);
  const s: Source = new Source(shown, readFileSync(full, 'utf8'));
  return loadMessage(s, [], s.doc.toJS(), ld);
}

function loadExpect(
  src: Source,
  path: Path,
  raw: unknown,
  dict: Dictionary,
  known: (n: string) => boolean,
): Expectation {
  try {
    const e = parseExpectation(raw, dict, pathText(path));
    checkPlaceholders(raw, known, (p, m) => src.fail([...path, ...p], m));
    checkValueForms(e, dict, (v) => JSON.stringify(v).includes('${'));
    return e;
  } catch (err) {
    if (err instanceof ExpectationError) src.fail([...path, ...err.sub], err.detail);
    throw err;
  }
}

/** What a send or retransmit step says about its answer: `expect` (Result-Code 2001 by default), `save`, `timeout`. */
function loadAnswerChecks(
  src: Source,
  path: Path,
  raw: Record<string, unknown>,
  ld: Loader,
  known: (n: string) => boolean,
): Pick<SendStep, 'expect' | 'save' | 'timeoutMs'> {
  // An answer is expected to say 2001 unless the step says otherwise (`result: 5005`, `result: any`).
  const expect: Expectation =
    raw.expect === undefined
      ? { avps: [] }
      : loadExpect(src, [...path, 'expect'], raw.expect, ld.dict, known);
  expect.result ??= [2001];
  const save: [string, string][] = [];
  if (raw.save !== undefined) {
    if (!isObj(raw.save)) src.fail([...path, 'save'], 'expected a mapping of variable name to AVP path');
    for (const [k, v] of Object.entries(raw.save)) {
      if (!NAME.test(k) || (BUILTIN_VARIABLES as readonly string[]).includes(k))
        src.fail([...path, 'save', k], `"${k}" cannot be a variable name`);
      if (typeof v !== 'string') src.fail([...path, 'save', k], 'expected an AVP path');
      try {
        parsePath(v, ld.dict);
      } catch (e) {
        src.fail([...path, 'save', k], (e as Error).message);
      }
      save.push([k, v]);
    }
  }
  const timeoutMs =
    raw.timeout === undefined ? undefined : duration(src, [...path, 'timeout'], raw.timeout, MAX_WAIT_MS);
  return { expect, save, timeoutMs };
}

/**
 * `retransmit: last` or `retransmit: NAME` (the latest earlier send step of that name). A send step
 * earlier in the file has always run before, once per pass of every repeat around it (repeats run at
 * least once, a session stops at its first failure), so this check, in file order, is exact.
 */
function retransmitTarget(src: Source, path: Path, raw: unknown, ld: Loader): SendStep | undefined {
  const p = [...path, 'retransmit'];
  if (typeof raw !== 'string' || raw === '')
    src.fail(p, 'expected "last" or the name of an earlier send step');
  if (ld.sends.length === 0)
    src.fail(p, 'nothing to retransmit: no send step before this one in the session');
  if (raw === 'last') return undefined;
  let target: SendStep | undefined;
  for (const s of ld.sends) if (s.name === raw) target = s;
  if (!target) {
    const names = [...new Set(ld.sends.flatMap((s) => (s.name === undefined ? [] : [s.name])))];
    src.fail(
      p,
      `no send step named "${raw}" before this one (named send steps before it: ${names.join(', ') || 'none'}; or write "last")`,
    );
  }
  target.retransmitted = true;
  return target;
}

function loadSteps(src: Source, path: Path, raw: unknown, ld: Loader, prefix: string): Step[] {
  if (!Array.isArray(raw) || raw.length === 0) src.fail(path, 'expected a list of steps');
  return raw.map((s, i) => loadStep(src, [...path, i], s, ld, `${prefix}${i + 1}`));
}

function loadStep(src: Source, path: Path, raw: unknown, ld: Loader, id: string): Step {
  if (!isObj(raw))
    src.fail(
      path,
      'expected a step: {send: …}, {retransmit: last}, {expect: …}, {wait: …} or {repeat: N, steps: …}',
    );
  const name = raw.name === undefined ? undefined : scalarText(src, [...path, 'name'], raw.name);
  const base = { id, name, where: src.at(path) };
  if ('send' in raw) {
    onlyKeys(src, path, raw, ['name', 'send', 'with', 'expect', 'save', 'fill', 'timeout']);
    const withVars: [string, string][] = [];
    if (raw.with !== undefined) {
      if (!isObj(raw.with)) src.fail([...path, 'with'], 'expected a mapping of variable names to values');
      for (const [k, v] of Object.entries(raw.with)) {
        if (!NAME.test(k) || (BUILTIN_VARIABLES as readonly string[]).includes(k))
          src.fail([...path, 'with', k], `"${k}" cannot be a variable name`);
        withVars.push([k, scalarText(src, [...path, 'with', k], v)]);
      }
      checkPlaceholders(raw.with, ld.known, (p, m) => src.fail([...path, 'with', ...p], m));
    }
    const stepKnown = (n: string) => ld.known(n) || withVars.some(([k]) => k === n);
    const stepLd = { ...ld, known: stepKnown };
    let message: MessageTemplate;
    if (typeof raw.send === 'string') {
      message =
        ld.templates.get(raw.send) ??
        (/\.(ya?ml|json)$/i.test(raw.send)
          ? loadMessageFile(src, [...path, 'send'], raw.send, stepLd)
          : src.fail(
              [...path, 'send'],
              `no template named "${raw.send}" (templates: ${[...ld.templates.keys()].join(', ') || 'none'})`,
            ));
      if (ld.templates.has(raw.send)) {
        // A named template was checked against the scenario's names; check it again with this step's.
        checkPlaceholders(message.json, stepKnown, (_p, m) =>
          src.fail([...path, 'send'], `template "${raw.send}": ${m} (give it in "with")`),
        );
      }
    } else message = loadMessage(src, [...path, 'send'], raw.send, stepLd);
    const checks = loadAnswerChecks(src, path, raw, ld, stepKnown);
    let fill = true;
    if (raw.fill !== undefined) {
      if (typeof raw.fill !== 'boolean') src.fail([...path, 'fill'], 'expected true or false');
      fill = raw.fill;
    }
    const step: SendStep = { kind: 'send', ...base, message, with: withVars, ...checks, fill };
    ld.sends.push(step);
    return step;
  }
  if ('retransmit' in raw) {
    onlyKeys(src, path, raw, ['name', 'retransmit', 'expect', 'save', 'timeout']);
    const of = retransmitTarget(src, path, raw.retransmit, ld);
    // Its expectation sees the placeholders of the send it repeats: that step's `with` names too.
    const known = (n: string) => ld.known(n) || !!of?.with.some(([k]) => k === n);
    return { kind: 'retransmit', ...base, of, ...loadAnswerChecks(src, path, raw, ld, known) };
  }
  if ('repeat' in raw) {
    onlyKeys(src, path, raw, ['name', 'repeat', 'steps']);
    const times = wholeNumber(src, [...path, 'repeat'], raw.repeat, 1, MAX_REPEAT);
    return {
      kind: 'repeat',
      ...base,
      times,
      steps: loadSteps(src, [...path, 'steps'], raw.steps, ld, `${id}.`),
    };
  }
  if ('wait' in raw) {
    onlyKeys(src, path, raw, ['name', 'wait']);
    const w = raw.wait;
    if (typeof w === 'string' && hasPlaceholder(w)) {
      checkPlaceholders(w, ld.known, (p, m) => src.fail([...path, 'wait', ...p], m));
      return { kind: 'wait', ...base, duration: w };
    }
    return { kind: 'wait', ...base, duration: duration(src, [...path, 'wait'], w, MAX_WAIT_MS) };
  }
  if ('expect' in raw) {
    onlyKeys(src, path, raw, ['name', 'expect']);
    return {
      kind: 'expect',
      ...base,
      expect: loadExpect(src, [...path, 'expect'], raw.expect, ld.dict, ld.known),
    };
  }
  return src.fail(path, 'a step needs one of send, retransmit, expect, wait, repeat');
}

/** Every `save:` name anywhere in the steps, so templates may refer to values saved by earlier steps. */
function savedNames(steps: unknown, out: Set<string>): void {
  if (!Array.isArray(steps)) return;
  for (const s of steps) {
    if (!isObj(s)) continue;
    if (isObj(s.save)) for (const k of Object.keys(s.save)) out.add(k);
    savedNames(s.steps, out);
  }
}

/** Reads and checks a scenario file; `text` may be given (tests), else the file is read. */
export function loadScenario(file: string, dict: Dictionary, text?: string): Scenario {
  let body = text;
  if (body === undefined) {
    try {
      body = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ScenarioError(`${file}: cannot read: ${(e as Error).message}`);
    }
  }
  const src: Source = new Source(file, body);
  const raw: unknown = src.doc.toJS();
  if (!isObj(raw)) src.fail([], 'a scenario is a mapping with at least "steps"');
  onlyKeys(src, [], raw, [
    'name',
    'description',
    'sessions',
    'parallel',
    'identity',
    'variables',
    'csv',
    'timeout',
    'templates',
    'steps',
  ]);
  const name =
    raw.name === undefined
      ? file.replace(/^.*[\\/]/, '').replace(extname(file), '')
      : scalarText(src, ['name'], raw.name);
  const description =
    raw.description === undefined ? undefined : scalarText(src, ['description'], raw.description);
  const sessions =
    raw.sessions === undefined ? 1 : wholeNumber(src, ['sessions'], raw.sessions, 1, MAX_SESSIONS);
  const parallel =
    raw.parallel === undefined
      ? Math.min(sessions, MAX_PARALLEL)
      : wholeNumber(src, ['parallel'], raw.parallel, 1, MAX_PARALLEL);
  const identity: Scenario['identity'] = {};
  if (raw.identity !== undefined) {
    if (!isObj(raw.identity)) src.fail(['identity'], 'expected {originHost, originRealm}');
    onlyKeys(src, ['identity'], raw.identity, ['originHost', 'originRealm']);
    if (raw.identity.originHost !== undefined)
      identity.originHost = scalarText(src, ['identity', 'originHost'], raw.identity.originHost);
    if (raw.identity.originRealm !== undefined)
      identity.originRealm = scalarText(src, ['identity', 'originRealm'], raw.identity.originRealm);
  }
  const baseDir = dirname(resolve(file));
  let csv: CsvTable | undefined;
  if (raw.csv !== undefined) {
    if (typeof raw.csv !== 'string')
      src.fail(['csv'], 'expected the path of a CSV file (relative to the scenario)');
    const full = resolve(baseDir, raw.csv);
    try {
      csv = readCsv(full, shownPath(full));
    } catch (e) {
      if (e instanceof CsvError) src.fail(['csv'], e.message);
      throw e;
    }
  }
  const variables: [string, string][] = [];
  const saved = new Set<string>();
  savedNames(raw.steps, saved);
  const isBuiltin = (n: string) => (BUILTIN_VARIABLES as readonly string[]).includes(n);
  const csvKnown = (n: string) => n.startsWith('csv.') && !!csv && csv.columns.includes(n.slice(4));
  if (raw.variables !== undefined) {
    if (!isObj(raw.variables)) src.fail(['variables'], 'expected a mapping of names to values');
    for (const [k, v] of Object.entries(raw.variables)) {
      if (!NAME.test(k) || isBuiltin(k))
        src.fail(['variables', k], `"${k}" cannot be a variable name (built-in or not a name)`);
      const value = scalarText(src, ['variables', k], v);
      const before = new Set(variables.map(([n]) => n));
      checkPlaceholders(
        value,
        (n) => isBuiltin(n) || before.has(n) || csvKnown(n),
        (p, m) =>
          src.fail(
            ['variables', k, ...p],
            `${m} (a variable may use built-ins, csv.COLUMN and the variables above it)`,
          ),
      );
      variables.push([k, value]);
    }
  }
  const names = new Set(variables.map(([n]) => n));
  const known = (n: string) => isBuiltin(n) || names.has(n) || saved.has(n) || csvKnown(n);
  const ld: Loader = { dict, baseDir, templates: new Map(), known, saved, sends: [] };
  const timeoutMs =
    raw.timeout === undefined ? undefined : duration(src, ['timeout'], raw.timeout, MAX_WAIT_MS);
  if (raw.templates !== undefined) {
    if (!isObj(raw.templates)) src.fail(['templates'], 'expected a mapping of template names to messages');
    // Placeholders a template uses may come from a step's "with": checked per step where it is sent.
    const lenient = { ...ld, known: () => true };
    for (const [k, v] of Object.entries(raw.templates))
      ld.templates.set(k, loadMessage(src, ['templates', k], v, lenient));
  }
  if (raw.steps === undefined) src.fail([], 'a scenario needs "steps"');
  const steps = loadSteps(src, ['steps'], raw.steps, ld, '');
  const apps = new Set<number>();
  const walk = (ss: Step[]) => {
    for (const s of ss) {
      if (s.kind === 'send') apps.add(s.message.applicationId);
      else if (s.kind === 'repeat') walk(s.steps);
    }
  };
  walk(steps);
  return {
    file,
    name,
    description,
    sessions,
    parallel: Math.min(parallel, sessions),
    identity,
    variables,
    csv,
    timeoutMs,
    steps,
    applications: [...apps].filter((a) => a !== 0),
  };
}
