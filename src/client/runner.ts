/**
 * Runs a scenario (scenario.ts) against one peer: connects (CER/CEA), runs `sessions` sessions, at most
 * `parallel` at once, each through the steps in order, and leaves with DPR/DPA. A session stops at its
 * first failed step; the steps it did not reach are reported as skipped.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FLAG_E, FLAG_T, type Message } from '../codec/types.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { avpToJson, messageFromJson } from '../dictionary/message-format.js';
import { checkAnswer, parsePath, selectAvps, type Expectation } from './expect.js';
import {
  DEFAULT_ANSWER_TIMEOUT_MS,
  parseDuration,
  type RetransmitStep,
  type Scenario,
  type SendStep,
  type Step,
} from './scenario.js';
import {
  CLIENT_ORIGIN_HOST,
  CLIENT_ORIGIN_REALM,
  DiameterClient,
  describeResultCode,
  resultCodeOf,
  type ClientTls,
} from './send.js';
import { MapScope, renderString, renderValue, type ScopeValue } from './template.js';

export type StepStatus = 'passed' | 'failed' | 'skipped';

export interface StepResult {
  /** 1-based. */
  session: number;
  /** "3", "2.1". */
  step: string;
  name?: string;
  /** Iteration numbers (0-based) of the repeats around the step, outermost first. */
  iterations: number[];
  kind: Step['kind'];
  status: StepStatus;
  ms: number;
  /** "ACR → ACA 2001 DIAMETER_SUCCESS", "wait 100 ms". */
  summary: string;
  /** Each one a full sentence naming the step, the path, the expected and the actual value. */
  failures: string[];
}

export interface ScenarioResult {
  scenario: Scenario;
  steps: StepResult[];
  /** Set when the scenario could not run at all (no connection). */
  error?: string;
  peer?: { host?: string; realm?: string; address: string };
  sessions: { total: number; passed: number; failed: number };
  requests: number;
  answers: number;
  ms: number;
  startedAt: Date;
}

export interface RunOptions {
  host: string;
  port: number;
  tls?: ClientTls;
  dictionary: Dictionary;
  /** Command-line identity; wins over the scenario's. */
  originHost?: string;
  originRealm?: string;
  sessions?: number;
  parallel?: number;
  /** --timeout: answer timeout for the steps that do not set their own (wins over the file's). */
  timeoutMs?: number;
  /** --start-delay: wait this long after the CEA before the first session starts (send.ts). */
  startDelayMs?: number;
  /** --origin-state-id: sent in CER and DWR/DWA (send.ts ClientOptions); absent: none. */
  originStateId?: number;
  /** --var NAME=VALUE: replaces the scenario's variable of that name. */
  variables?: Map<string, string>;
  onStep?: (r: StepResult, s: Scenario) => void;
  onConnect?: (peer: NonNullable<ScenarioResult['peer']>, s: Scenario, sessions: number) => void;
}

/** A step's name for messages: `step 3 "STOP"`, `step 2.1 (iteration 4)`, with the session when several. */
export function stepLabel(
  r: Pick<StepResult, 'step' | 'name' | 'iterations' | 'session'>,
  severalSessions: boolean,
): string {
  const it = r.iterations.length ? ` (iteration ${r.iterations.map((i) => i + 1).join('.')})` : '';
  return `step ${r.step}${r.name ? ` "${r.name}"` : ''}${it}${severalSessions ? `, session ${r.session}` : ''}`;
}

/** A request as the session sent it, with the placeholders its step saw (for a retransmission's checks). */
interface SentRequest {
  request: Message;
  builtins: Map<string, ScopeValue>;
  with: Map<string, ScopeValue>;
}

interface SessionState {
  index: number;
  sessionId: string;
  seq: number;
  vars: Map<string, ScopeValue>;
  csv: Map<string, ScopeValue>;
  saved: Map<string, ScopeValue>;
  iterations: number[];
  last?: { answer: Message; builtins: Map<string, ScopeValue>; with: Map<string, ScopeValue> };
  /** The last request this session sent (a send's or a retransmission). */
  lastSent?: SentRequest;
  /** The latest request of each send step a retransmit step names. */
  sentBy?: Map<SendStep, SentRequest>;
}

function commandName(m: Message, dict: Dictionary): string {
  const c = dict.command(m.commandCode, m.applicationId);
  const req = (m.flags & 0x80) !== 0;
  return c ? (req ? c.requestAbbrev : c.answerAbbrev) : `${m.commandCode}${req ? 'R' : 'A'}`;
}

/** The first value at a path, as the message form writes it. */
function valueAt(m: Message, path: string, dict: Dictionary): ScopeValue | undefined {
  const a = selectAvps(m.avps, parsePath(path, dict))[0];
  if (!a) return undefined;
  const j = avpToJson(a, dict);
  const def = dict.avp(a.code, a.vendorId);
  const v = def && def.name in j ? j[def.name] : (j.value ?? j.hex);
  return typeof v === 'number' || typeof v === 'string' ? v : JSON.stringify(v);
}

class ScenarioRun {
  readonly results: StepResult[] = [];
  requests = 0;
  answers = 0;
  private readonly several: boolean;
  constructor(
    readonly s: Scenario,
    readonly client: DiameterClient,
    readonly o: RunOptions,
    readonly sessions: number,
  ) {
    this.several = sessions > 1;
  }

  private builtins(st: SessionState): Map<string, ScopeValue> {
    return new Map<string, ScopeValue>([
      ['session', st.sessionId],
      ['seq', st.seq],
      ['index', st.index],
      ['iteration', st.iterations.at(-1) ?? 0],
      ['originHost', this.client.options.originHost],
      ['originRealm', this.client.options.originRealm],
      ['peerHost', this.client.peerHost ?? ''],
      ['peerRealm', this.client.peerRealm ?? ''],
    ]);
  }

  private record(
    st: SessionState,
    step: Step,
    status: StepStatus,
    ms: number,
    summary: string,
    failures: string[],
  ): boolean {
    const r: StepResult = {
      session: st.index + 1,
      step: step.id,
      name: step.name,
      iterations: [...st.iterations],
      kind: step.kind,
      status,
      ms,
      summary,
      failures: [],
    };
    const label = stepLabel(r, this.several);
    r.failures = failures.map((f) => `${label}: ${f}`);
    this.results.push(r);
    this.o.onStep?.(r, this.s);
    return status !== 'failed';
  }

  async session(index: number): Promise<boolean> {
    const st: SessionState = {
      index,
      sessionId: this.client.sessionIds.next(),
      seq: 0,
      vars: new Map(),
      csv: new Map(),
      saved: new Map(),
      iterations: [],
    };
    if (this.s.csv) {
      const row = this.s.csv.rows[index % this.s.csv.rows.length]!;
      for (const [k, v] of Object.entries(row)) st.csv.set(`csv.${k}`, v);
    }
    // Variables are filled in once per session, in order: each sees the built-ins, csv and those above it.
    const b = this.builtins(st);
    for (const [k, v] of this.s.variables) {
      const given = this.o.variables?.get(k);
      st.vars.set(k, given ?? renderString(v, new MapScope([st.vars, st.csv, b]), `variables.${k}`));
    }
    return this.steps(st, this.s.steps);
  }

  /** Runs steps in order; false at the first failure (the rest are recorded as skipped). */
  private async steps(st: SessionState, steps: Step[]): Promise<boolean> {
    for (const [i, step] of steps.entries()) {
      const ok = await this.step(st, step);
      if (!ok) {
        for (const rest of steps.slice(i + 1))
          this.record(st, rest, 'skipped', 0, 'skipped (an earlier step failed)', []);
        return false;
      }
    }
    return true;
  }

  private async step(st: SessionState, step: Step): Promise<boolean> {
    const t0 = performance.now();
    const since = () => Math.round((performance.now() - t0) * 10) / 10;
    switch (step.kind) {
      case 'wait': {
        let ms: number | undefined = typeof step.duration === 'number' ? step.duration : undefined;
        if (ms === undefined) {
          try {
            ms = parseDuration(renderString(step.duration as string, this.scope(st, new Map()), 'wait'));
          } catch (e) {
            return this.record(st, step, 'failed', since(), 'wait', [(e as Error).message]);
          }
          if (ms === undefined || ms > 3_600_000)
            return this.record(st, step, 'failed', since(), 'wait', [
              `wait: "${step.duration}" is not a duration up to 1 h`,
            ]);
        }
        await sleep(ms);
        return this.record(st, step, 'passed', since(), `wait ${ms} ms`, []);
      }
      case 'repeat': {
        for (let i = 0; i < step.times; i++) {
          st.iterations.push(i);
          const ok = await this.steps(st, step.steps);
          st.iterations.pop();
          if (!ok) return false;
        }
        return true;
      }
      case 'expect': {
        if (!st.last)
          return this.record(st, step, 'failed', since(), 'expect', [
            'no answer to check: no send before this step',
          ]);
        const failures = this.check(
          st.last.answer,
          step.expect,
          new MapScope([st.last.with, st.saved, st.vars, st.csv, st.last.builtins]),
        );
        return this.record(
          st,
          step,
          failures.length ? 'failed' : 'passed',
          since(),
          `expect on ${commandName(st.last.answer, this.o.dictionary)}`,
          failures,
        );
      }
      case 'send':
        return this.send(st, step, t0);
      case 'retransmit':
        return this.retransmit(st, step, t0);
    }
  }

  private scope(st: SessionState, withVars: Map<string, ScopeValue>, builtins = this.builtins(st)): MapScope {
    return new MapScope([withVars, st.saved, st.vars, st.csv, builtins]);
  }

  private check(answer: Message, e: Expectation, scope: MapScope): string[] {
    try {
      return checkAnswer(answer, renderValue(e, scope, 'expect'), this.o.dictionary);
    } catch (err) {
      return [(err as Error).message];
    }
  }

  private async send(st: SessionState, step: SendStep, t0: number): Promise<boolean> {
    const dict = this.o.dictionary;
    const since = () => Math.round((performance.now() - t0) * 10) / 10;
    const builtins = this.builtins(st);
    const withVars = new Map<string, ScopeValue>();
    let msg: Message;
    try {
      for (const [k, v] of step.with)
        withVars.set(k, renderString(v, this.scope(st, withVars, builtins), `with.${k}`));
      const json = renderValue(step.message.json, this.scope(st, withVars, builtins), step.message.where);
      msg = messageFromJson(json, dict);
    } catch (e) {
      return this.record(st, step, 'failed', since(), 'send', [
        `the message (${step.message.where}): ${(e as Error).message.replace(/^[A-Z_]+: /, '')}`,
      ]);
    }
    if (step.fill) this.client.fill(msg, st.sessionId);
    st.seq++;
    const sent: SentRequest = { request: msg, builtins, with: withVars };
    st.lastSent = sent;
    if (step.retransmitted) (st.sentBy ??= new Map()).set(step, sent);
    return this.exchange(st, step, sent, commandName(msg, dict), t0);
  }

  /**
   * RFC 6733 §3 (T flag) and §6.1.3 (duplicate detection by Origin-Host and End-to-End id): the request
   * again as it was sent — same End-to-End id, same AVPs octet for octet (`${seq}` does not move) — with
   * the T flag set. The connection gives it a new Hop-by-Hop id, as any request (base-protocol.md §14.3).
   */
  private retransmit(st: SessionState, step: RetransmitStep, t0: number): Promise<boolean> {
    // The loader refuses a retransmit with no send before it, so neither is missing once the step runs.
    const orig = step.of ? st.sentBy?.get(step.of) : st.lastSent;
    if (!orig) {
      const since = Math.round((performance.now() - t0) * 10) / 10;
      return Promise.resolve(
        this.record(st, step, 'failed', since, 'retransmit', ['nothing to retransmit: no request sent yet']),
      );
    }
    const request: Message = { ...orig.request, flags: orig.request.flags | FLAG_T, hopByHopId: 0 };
    delete request.raw;
    const sent: SentRequest = { request, builtins: orig.builtins, with: orig.with };
    st.lastSent = sent;
    const req = `${commandName(request, this.o.dictionary)} retransmitted (T flag)`;
    return this.exchange(st, step, sent, req, t0);
  }

  /** Sends a request, waits for its answer, checks it and saves values from it: a send's or a retransmit's. */
  private async exchange(
    st: SessionState,
    step: SendStep | RetransmitStep,
    sent: SentRequest,
    req: string,
    t0: number,
  ): Promise<boolean> {
    const dict = this.o.dictionary;
    const since = () => Math.round((performance.now() - t0) * 10) / 10;
    const { request: msg, builtins, with: withVars } = sent;
    let answer: Message;
    this.requests++;
    try {
      // The step's own timeout, else --timeout, else the file's, else 5 s.
      answer = await this.client.request(
        msg,
        step.timeoutMs ?? this.o.timeoutMs ?? this.s.timeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS,
      );
    } catch (e) {
      const why = (e as Error).message.replace(/^[A-Z_]+: /, '');
      return this.record(st, step, 'failed', since(), `${req} → no answer`, [`no answer: ${why}`]);
    }
    this.answers++;
    const ms = since();
    st.last = { answer, builtins, with: withVars };
    const failures = this.check(answer, step.expect, this.scope(st, withVars, builtins));
    for (const [name, path] of step.save) {
      const v = valueAt(answer, path, dict);
      if (v === undefined) failures.push(`save ${name}: ${path} is not in the answer`);
      else st.saved.set(name, v);
    }
    const rc = resultCodeOf(answer);
    const summary = `${req} → ${commandName(answer, dict)} ${describeResultCode(rc)}${answer.flags & FLAG_E ? ', E bit set' : ''}`;
    return this.record(st, step, failures.length ? 'failed' : 'passed', ms, summary, failures);
  }
}

/** Connects, runs every session, leaves with DPR. Never throws for a failed step or a refused connection. */
export async function runScenario(s: Scenario, o: RunOptions): Promise<ScenarioResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  const sessions = o.sessions ?? s.sessions;
  const parallel = Math.max(1, Math.min(o.parallel ?? s.parallel, sessions));
  const base = {
    scenario: s,
    steps: [] as StepResult[],
    requests: 0,
    answers: 0,
    startedAt,
    sessions: { total: sessions, passed: 0, failed: 0 },
  };
  let client: DiameterClient;
  try {
    client = await DiameterClient.connect({
      host: o.host,
      port: o.port,
      tls: o.tls,
      dictionary: o.dictionary,
      originHost: o.originHost ?? s.identity.originHost ?? CLIENT_ORIGIN_HOST,
      originRealm: o.originRealm ?? s.identity.originRealm ?? CLIENT_ORIGIN_REALM,
      applications: s.applications,
      startDelayMs: o.startDelayMs,
      originStateId: o.originStateId,
    });
  } catch (e) {
    return { ...base, error: `cannot connect: ${(e as Error).message}`, ms: performance.now() - t0 };
  }
  const peer = { host: client.peerHost, realm: client.peerRealm, address: `${o.host}:${o.port}` };
  o.onConnect?.(peer, s, sessions);
  const run = new ScenarioRun(s, client, o, sessions);
  let next = 0;
  let passed = 0;
  let failed = 0;
  let error: string | undefined;
  const worker = async () => {
    while (next < sessions) {
      const i = next++;
      try {
        if (await run.session(i)) passed++;
        else failed++;
      } catch (e) {
        failed++;
        error ??= `session ${i + 1}: ${(e as Error).message}`;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: parallel }, worker));
  } finally {
    await client.close().catch(() => undefined);
  }
  return {
    ...base,
    steps: run.results,
    error,
    peer,
    sessions: { total: sessions, passed, failed },
    requests: run.requests,
    answers: run.answers,
    ms: performance.now() - t0,
  };
}

/** True when the scenario ran and nothing failed. */
export function scenarioPassed(r: ScenarioResult): boolean {
  return !r.error && r.sessions.failed === 0 && r.steps.every((s) => s.status !== 'failed');
}
