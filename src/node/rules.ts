/**
 * Behaviour rules: an ordered list of "when a request looks like this, misbehave like that" for testing
 * Diameter clients against a terminator/CDF that fails in controlled ways. The first rule that matches an
 * application request decides what happens to it; a request no rule matches takes the normal path.
 *
 * A rule is plain data (RuleSpec: what the config file and, later, the admin API carry). The engine
 * compiles it against the dictionary once (names → codes, values → the AVP's type) so that matching a
 * request is a few numeric comparisons; it can be listed, added and removed while the node runs, and
 * counts the messages each rule touched.
 *
 * The node calls `handle()` for every application request, behind one `size !== 0` test, so an empty rule
 * list costs one branch on the hot path.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { DiameterError } from '../codec/errors.js';
import { decodeMessage, encodeMessage } from '../codec/message.js';
import { AVP_M, type Avp, type AvpValue, type Message } from '../codec/types.js';
import { getAvps } from '../dictionary/accessors.js';
import { Code, DisconnectCause, VENDOR_3GPP } from '../dictionary/codes.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import type { AvpDef } from '../dictionary/types.js';
import type { Connection } from '../peer/connection.js';
import type { Peer } from '../peer/peer.js';
import { answerForError, buildAnswer, buildErrorAnswer } from './answers.js';
import { u32Avp, type IdentityAvps } from './identity.js';
import { RuleError, type RuleAction, type RuleInfo, type RuleSpec, type ValueMatch } from './rule-spec.js';

export * from './rule-spec.js';

/** What the engine needs from the node that owns it. */
export interface RuleHost {
  readonly identity: IdentityAvps;
  /** The answer the node gives without rules (routing, validation, the application's handler). */
  answer(
    peer: Peer,
    conn: Connection,
    req: Message,
  ): Message | Buffer | undefined | Promise<Message | Buffer | undefined>;
  /** Keeps a pending answer in the node's in-flight set, so stop() waits for it. */
  track(p: Promise<unknown>): void;
}

export interface RuleEngineOptions {
  dictionary: Dictionary;
  host?: RuleHost;
  rules?: RuleSpec[];
  /** [0, 1) source for `percent`; default Math.random. */
  random?: () => number;
  /** Clock for `window` (ms since the epoch); default Date.now. */
  now?: () => number;
}

/** Published for every request a rule touched: { rule: id, message, peer }. */
export const ruleHitChannel = diagnostics_channel.channel('diamkit:rule:hit');

// -----------------------------------------------------------------------------------------------------
// compiled form

type Test = (m: Message) => boolean;

interface Action {
  result?: number;
  experimental?: { vendorId: number; code: number };
  errorMessage?: string;
  delayMs: number;
  drop: boolean;
  close: boolean;
  dprCause?: number;
  interimInterval?: number;
  /** undefined = answer once; otherwise the delay of the second answer (ms). */
  twiceAfterMs?: number;
}

interface Rule {
  id: string;
  spec: RuleSpec;
  tests: Test[];
  percent?: number;
  windowStart: number;
  windowEnd: number;
  limit: number;
  action: Action;
  hits: number;
  addedAt: number;
  lastHitAt?: number;
}

const DISCONNECT_CAUSES: Record<string, number> = DisconnectCause;

// -----------------------------------------------------------------------------------------------------
// the engine

export class RuleEngine {
  private rules: Rule[] = [];
  private nextId = 1;
  private readonly dict: Dictionary;
  private host: RuleHost | undefined;
  private readonly random: () => number;
  private readonly now: () => number;
  /** Answer AVPs echoed from the request per command (see echoedAvps). */
  private readonly echoCache = new Map<string, AvpDef[]>();

  constructor(opts: RuleEngineOptions) {
    this.dict = opts.dictionary;
    this.host = opts.host;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    for (const [i, r] of (opts.rules ?? []).entries()) {
      try {
        this.add(r);
      } catch (e) {
        if (e instanceof RuleError) throw new RuleError(e.detail, [i, ...e.field]);
        throw e;
      }
    }
  }

  /** Number of rules: the node's one test on the hot path. */
  get size(): number {
    return this.rules.length;
  }

  /** The node that answers for the engine (set by DiameterNode). */
  attach(host: RuleHost): void {
    this.host = host;
  }

  /** The rules in order, with their counters. */
  list(): RuleInfo[] {
    return this.rules.map((r, position) => info(r, position));
  }

  get(id: string): RuleInfo | undefined {
    const i = this.rules.findIndex((r) => r.id === id);
    return i < 0 ? undefined : info(this.rules[i]!, i);
  }

  /**
   * Compiles and adds a rule (last, or at position `at`); returns its id. Takes effect from the next
   * request. Throws RuleError naming the field when the rule is not usable.
   */
  add(spec: RuleSpec, opts: { at?: number } = {}): string {
    const rule = this.compile(spec);
    if (this.rules.some((r) => r.id === rule.id))
      throw new RuleError(`a rule with id "${rule.id}" exists already`, ['id']);
    const at =
      opts.at === undefined
        ? this.rules.length
        : Math.max(0, Math.min(this.rules.length, Math.trunc(opts.at)));
    // A new array: a request being matched keeps iterating the list it started with.
    this.rules = [...this.rules.slice(0, at), rule, ...this.rules.slice(at)];
    return rule.id;
  }

  /** Removes a rule; false if there is none with that id. */
  remove(id: string): boolean {
    const next = this.rules.filter((r) => r.id !== id);
    const found = next.length !== this.rules.length;
    this.rules = next;
    return found;
  }

  clear(): void {
    this.rules = [];
  }

  /** Checks a rule without adding it (the config loader and an admin API validate with this). */
  check(spec: RuleSpec): void {
    this.compile(spec);
  }

  /** The first active rule that takes `req`, or undefined. Counts nothing (see handle). */
  match(req: Message): RuleInfo | undefined {
    const i = this.find(req);
    return i < 0 ? undefined : info(this.rules[i]!, i);
  }

  private find(req: Message): number {
    const rules = this.rules;
    let now = -1;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (r.hits >= r.limit) continue;
      if (r.windowStart !== -Infinity || r.windowEnd !== Infinity) {
        if (now < 0) now = this.now();
        if (now < r.windowStart || now >= r.windowEnd) continue;
      }
      let ok = true;
      for (const t of r.tests) {
        if (!t(req)) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      // Drawn last, so `percent` is a share of the requests the rule otherwise matches.
      if (r.percent !== undefined && !(this.random() * 100 < r.percent)) continue;
      return i;
    }
    return -1;
  }

  /**
   * Applies the first matching rule to an application request: returns true when a rule took it (the
   * node then does nothing more), false when the request takes the normal path.
   */
  handle(peer: Peer, conn: Connection, req: Message): boolean {
    const host = this.host;
    if (!host) return false;
    const i = this.find(req);
    if (i < 0) return false;
    const rule = this.rules[i]!;
    rule.hits++;
    rule.lastHitAt = this.now();
    if (ruleHitChannel.hasSubscribers) ruleHitChannel.publish({ rule: rule.id, message: req, peer });
    this.execute(host, rule.action, peer, conn, req);
    return true;
  }

  // ---------------------------------------------------------------------------------------------------
  // actions

  private execute(host: RuleHost, a: Action, peer: Peer, conn: Connection, req: Message): void {
    const arrived = Date.now();
    let answer: Message | Buffer | undefined | Promise<Message | Buffer | undefined>;
    if (a.drop) answer = undefined;
    else if (a.result !== undefined || a.experimental) answer = this.ruleAnswer(host.identity, a, req);
    else {
      try {
        answer = host.answer(peer, conn, req);
      } catch (e) {
        answer = answerForError(req, host.identity, asDiameterError(e));
      }
    }
    const later = a.twiceAfterMs !== undefined && a.twiceAfterMs > 0;
    if (a.delayMs === 0 && !later && !(answer instanceof Promise)) {
      this.finish(a, peer, conn, this.bytesOf(a, answer));
      return;
    }
    const p = Promise.resolve(answer)
      .catch((e: unknown) => answerForError(req, host.identity, asDiameterError(e)))
      .then(async (ans) => {
        const wait = arrived + a.delayMs - Date.now();
        if (wait > 0) await sleep(wait);
        const bytes = this.bytesOf(a, ans);
        if (bytes && later) {
          write(conn, bytes);
          await sleep(a.twiceAfterMs!);
          write(conn, bytes);
          this.after(a, peer, conn);
        } else this.finish(a, peer, conn, bytes);
      });
    host.track(p);
  }

  /** The answer's bytes, with the rule's Acct-Interim-Interval when it sets one. */
  private bytesOf(a: Action, ans: Message | Buffer | undefined): Buffer | undefined {
    if (ans === undefined) return undefined;
    if (a.interimInterval !== undefined)
      return encodeMessage(withInterim(this.asMessage(ans), a.interimInterval));
    return Buffer.isBuffer(ans) ? ans : encodeMessage(ans);
  }

  /** Sends the answer (twice when asked: same bytes, same Hop-by-Hop Identifier), then DPR or close. */
  private finish(a: Action, peer: Peer, conn: Connection, bytes: Buffer | undefined): void {
    if (bytes) {
      write(conn, bytes);
      if (a.twiceAfterMs !== undefined) write(conn, bytes);
    }
    this.after(a, peer, conn);
  }

  private after(a: Action, peer: Peer, conn: Connection): void {
    // The DPR goes on the same connection after the answer (writes keep their order); the peer then
    // waits for the DPA and closes, as RFC 6733 §5.4 has it. `close` is the abrupt variant: no DPR.
    if (a.dprCause !== undefined) void peer.stop(a.dprCause);
    else if (a.close) conn.close();
  }

  private asMessage(ans: Message | Buffer): Message {
    return Buffer.isBuffer(ans) ? decodeMessage(ans, this.dict.resolve) : ans;
  }

  /** The rule's own answer: the request's ids, Result-Code or Experimental-Result, the echoed AVPs. */
  private ruleAnswer(id: IdentityAvps, a: Action, req: Message): Message {
    // RFC 6733 §7.1.3: protocol errors (3xxx) are answered with the E bit in the answer-message form.
    if (a.result !== undefined && a.result >= 3000 && a.result < 4000)
      return buildErrorAnswer(req, id, a.result, a.errorMessage);
    const m = buildAnswer(req, id, a.result ?? 2001, {
      avps: this.echoedAvps(req),
      errorMessage: a.errorMessage,
    });
    if (a.experimental) {
      // RFC 6733 §7.6: Experimental-Result takes the place of Result-Code.
      const exp: Avp = {
        code: Code.EXPERIMENTAL_RESULT,
        flags: AVP_M,
        vendorId: 0,
        avps: [
          u32Avp(Code.VENDOR_ID, a.experimental.vendorId),
          u32Avp(Code.EXPERIMENTAL_RESULT_CODE, a.experimental.code),
        ],
      };
      const i = m.avps.findIndex((x) => x.code === Code.RESULT_CODE && x.vendorId === 0);
      m.avps[i] = exp;
    }
    return m;
  }

  /**
   * The request AVPs an answer of this command repeats: those its answer grammar requires (beyond the
   * ones every answer builds itself) plus the application-id AVPs — for an ACA, Accounting-Record-Type,
   * -Number and Acct-Application-Id (RFC 6733 §9.7.2) — so a rule's answer stays well-formed.
   */
  private echoedAvps(req: Message): Avp[] {
    const key = `${req.applicationId}:${req.commandCode}`;
    let defs = this.echoCache.get(key);
    if (!defs) {
      defs = [];
      const cmd = this.dict.command(req.commandCode, req.applicationId);
      if (cmd) {
        const g = cmd.answer;
        const names = [...g.fixed, ...g.required].map((r) => r.avp);
        for (const r of g.optional) if (ECHO_OPTIONAL.has(r.avp)) names.push(r.avp);
        for (const n of names) {
          if (NOT_ECHOED.has(n)) continue;
          const def = this.dict.avpByName(n);
          if (def) defs.push(def);
        }
      }
      this.echoCache.set(key, defs);
    }
    const out: Avp[] = [];
    for (const d of defs)
      for (const x of req.avps) if (x.code === d.code && x.vendorId === d.vendorId) out.push(x);
    return out;
  }

  // ---------------------------------------------------------------------------------------------------
  // compiling

  private compile(spec: RuleSpec): Rule {
    if (spec === null || typeof spec !== 'object') throw new RuleError('expected a rule object');
    let id: string;
    if (spec.id !== undefined) {
      if (typeof spec.id !== 'string' || spec.id.trim() === '')
        throw new RuleError('expected a non-empty string', ['id']);
      id = spec.id;
    } else {
      do id = `rule-${this.nextId++}`;
      while (this.rules.some((r) => r.id === id));
    }
    const m = spec.match ?? {};
    const tests: Test[] = [];
    if (m.application !== undefined) {
      const app =
        typeof m.application === 'number' ? m.application : this.dict.applicationByName(m.application)?.id;
      if (app === undefined || !isU32(app))
        throw new RuleError(`unknown application "${m.application}"`, ['match', 'application']);
      tests.push((r) => r.applicationId === app);
    }
    if (m.command !== undefined) {
      const code = typeof m.command === 'number' ? m.command : this.dict.commandByName(m.command)?.code;
      if (code === undefined || !Number.isInteger(code) || code < 0 || code > 0xffffff)
        throw new RuleError(`unknown command "${m.command}"`, ['match', 'command']);
      tests.push((r) => r.commandCode === code);
    }
    if (m.recordType !== undefined) tests.push(this.recordTypeTest(m.recordType));
    if (m.sessionId !== undefined) {
      const def = this.dict.avp(Code.SESSION_ID)!;
      const t = this.valueTest(def, m.sessionId, ['match', 'sessionId']);
      tests.push((r) => t(topLevel(r, Code.SESSION_ID)));
    }
    for (const [path, v] of Object.entries(m.avp ?? {})) {
      const where = ['match', 'avp', path];
      const def = this.pathDef(path, where);
      const t = this.valueTest(def, v, where);
      const dict = this.dict;
      tests.push((r) => t(getAvps(r, path, dict)));
    }
    if (m.percent !== undefined && !(typeof m.percent === 'number' && m.percent >= 0 && m.percent <= 100))
      throw new RuleError('expected a percentage 0-100', ['match', 'percent']);
    const addedAt = this.now();
    let windowStart = -Infinity;
    let windowEnd = Infinity;
    if (m.window) {
      const w = m.window;
      if (w.from !== undefined)
        windowStart = Math.max(windowStart, instant(w.from, ['match', 'window', 'from']));
      if (w.until !== undefined)
        windowEnd = Math.min(windowEnd, instant(w.until, ['match', 'window', 'until']));
      const after = w.after === undefined ? 0 : seconds(w.after, ['match', 'window', 'after']);
      if (w.after !== undefined) windowStart = Math.max(windowStart, addedAt + after);
      if (w.for !== undefined)
        windowEnd = Math.min(windowEnd, addedAt + after + seconds(w.for, ['match', 'window', 'for']));
    }
    let limit = Infinity;
    if (spec.limit !== undefined) {
      if (!(Number.isInteger(spec.limit) && spec.limit > 0))
        throw new RuleError('expected a whole number > 0', ['limit']);
      limit = spec.limit;
    }
    return {
      id,
      spec: structuredClone(spec),
      tests,
      percent: m.percent,
      windowStart,
      windowEnd,
      limit,
      action: compileAction(spec.action),
      hits: 0,
      addedAt,
    };
  }

  private recordTypeTest(v: number | string | (number | string)[]): Test {
    const def = this.dict.avp(Code.ACCOUNTING_RECORD_TYPE)!;
    const list = Array.isArray(v) ? v : [v];
    const wanted = new Set<number>();
    for (const [i, x] of list.entries()) {
      const where = Array.isArray(v) ? ['match', 'recordType', i] : ['match', 'recordType'];
      let n: number | undefined;
      if (typeof x === 'number') n = x;
      else if (typeof x === 'string') {
        const name = x.toUpperCase();
        n = this.dict.enumValue(def, name) ?? this.dict.enumValue(def, `${name}_RECORD`);
        if (n === undefined && /^\d+$/.test(x)) n = Number(x);
      }
      if (n === undefined || !(n >= 1 && n <= 4))
        throw new RuleError(
          `expected an Accounting-Record-Type (1-4 or ${[...(def.enums?.values() ?? [])].join(', ')}), got ${show(x)}`,
          where,
        );
      wanted.add(n);
    }
    return (r) => {
      const a = topLevel(r, Code.ACCOUNTING_RECORD_TYPE)[0];
      return a !== undefined && typeof a.value === 'number' && wanted.has(a.value);
    };
  }

  private pathDef(path: string, where: (string | number)[]): AvpDef {
    let def: AvpDef | undefined;
    const parts = path.split('/');
    for (const [i, p] of parts.entries()) {
      def = this.dict.avpByName(p.trim());
      if (!def) throw new RuleError(`unknown AVP "${p.trim()}" in path "${path}"`, where);
      if (i < parts.length - 1 && def.type !== 'Grouped')
        throw new RuleError(`"${def.name}" is not a Grouped AVP, so "${path}" goes nowhere`, where);
    }
    if (!def) throw new RuleError('expected an AVP path', where);
    return def;
  }

  /** A test over the AVPs found at one path. */
  private valueTest(def: AvpDef, v: ValueMatch, where: (string | number)[]): (avps: Avp[]) => boolean {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      if ('present' in v) {
        if (typeof v.present !== 'boolean') throw new RuleError('expected present: true or false', where);
        const want = v.present;
        return (avps) => avps.length > 0 === want;
      }
      if ('regex' in v) {
        let re: RegExp;
        try {
          re = new RegExp(v.regex);
        } catch (e) {
          throw new RuleError(`invalid regular expression: ${(e as Error).message}`, where);
        }
        if (def.type === 'Grouped')
          throw new RuleError(`${def.name} is Grouped: match it with { present: true|false }`, where);
        const dict = this.dict;
        return (avps) => avps.some((a) => re.test(textOf(a, def, dict)));
      }
      throw new RuleError('expected a value, a list of values, { regex } or { present }', where);
    }
    if (def.type === 'Grouped')
      throw new RuleError(`${def.name} is Grouped: match it with { present: true|false }`, where);
    const list = Array.isArray(v) ? v : [v];
    if (list.length === 0) throw new RuleError('expected at least one value', where);
    const eq = list.map((x, i) => this.equalTest(def, x, Array.isArray(v) ? [...where, i] : where));
    return (avps) => {
      for (const a of avps) for (const e of eq) if (e(a)) return true;
      return false;
    };
  }

  /** Equality with one expected value, converted once to the AVP's type. */
  private equalTest(def: AvpDef, x: string | number, where: (string | number)[]): (a: Avp) => boolean {
    if (typeof x !== 'string' && typeof x !== 'number')
      throw new RuleError(`expected a string or number, got ${show(x)}`, where);
    switch (def.type) {
      case 'Integer32':
      case 'Unsigned32':
      case 'Float32':
      case 'Float64':
      case 'Enumerated': {
        let n =
          typeof x === 'number' ? x : x.trim() !== '' && Number.isFinite(Number(x)) ? Number(x) : undefined;
        if (n === undefined && def.type === 'Enumerated') n = this.dict.enumValue(def, x as string);
        if (n === undefined)
          throw new RuleError(
            `${def.name} is ${def.type}: expected a number${def.type === 'Enumerated' ? ' or one of its names' : ''}, got ${show(x)}`,
            where,
          );
        const want = n;
        return (a) => a.value === want;
      }
      case 'Integer64':
      case 'Unsigned64': {
        let want: bigint;
        try {
          want = BigInt(typeof x === 'number' ? x : x.trim());
        } catch {
          throw new RuleError(`${def.name} is ${def.type}: expected a whole number, got ${show(x)}`, where);
        }
        return (a) => a.value === want;
      }
      case 'Time': {
        const ms = typeof x === 'number' ? x * 1000 : Date.parse(x);
        if (!Number.isFinite(ms))
          throw new RuleError(`${def.name} is Time: expected an ISO 8601 date-time, got ${show(x)}`, where);
        return (a) => a.value instanceof Date && a.value.getTime() === ms;
      }
      default: {
        // Text and octets: YAML reads 46700000001 as a number; the AVP holds the digits as text.
        const want = String(x);
        const dict = this.dict;
        return (a) => textOf(a, def, dict) === want;
      }
    }
  }
}

// -----------------------------------------------------------------------------------------------------
// helpers

/** AVPs an answer builds itself (buildAnswer) or that describe the answering node, never copied. */
const NOT_ECHOED = new Set([
  'Session-Id',
  'Result-Code',
  'Experimental-Result',
  'Origin-Host',
  'Origin-Realm',
  'Origin-State-Id',
  'Error-Message',
  'Error-Reporting-Host',
  'Failed-AVP',
  'Proxy-Info',
  'Route-Record',
  '*',
]);
const ECHO_OPTIONAL = new Set([
  'Acct-Application-Id',
  'Auth-Application-Id',
  'Vendor-Specific-Application-Id',
]);

/** AVPs that follow the command's own AVPs in an answer: Acct-Interim-Interval goes before them. */
const TRAILING = new Set<number>([
  Code.ERROR_MESSAGE,
  Code.ERROR_REPORTING_HOST,
  Code.FAILED_AVP,
  Code.PROXY_INFO,
  Code.ROUTE_RECORD,
]);

function withInterim(m: Message, seconds: number): Message {
  const avp = u32Avp(Code.ACCT_INTERIM_INTERVAL, seconds);
  const avps = m.avps.filter((a) => !(a.code === Code.ACCT_INTERIM_INTERVAL && a.vendorId === 0));
  const at = avps.findIndex((a) => a.vendorId === 0 && TRAILING.has(a.code));
  if (at < 0) avps.push(avp);
  else avps.splice(at, 0, avp);
  return { ...m, avps };
}

function compileAction(a: RuleAction | undefined): Action {
  if (a === null || typeof a !== 'object') throw new RuleError('expected an action object', ['action']);
  const at = (k: string) => ['action', k];
  const out: Action = { delayMs: 0, drop: false, close: false };
  if (a.result !== undefined) {
    if (!isU32(a.result))
      throw new RuleError('expected a Result-Code (a whole number, e.g. 5030)', at('result'));
    out.result = a.result;
  }
  if (a.experimentalResult !== undefined) {
    const e = a.experimentalResult;
    if (e === null || typeof e !== 'object' || !isU32(e.code))
      throw new RuleError('expected { code, vendorId? } with a whole-number code', at('experimentalResult'));
    if (e.vendorId !== undefined && !isU32(e.vendorId))
      throw new RuleError('expected a Vendor-Id (whole number)', [
        'action',
        'experimentalResult',
        'vendorId',
      ]);
    if (out.result !== undefined)
      throw new RuleError('give either result or experimentalResult, not both', at('experimentalResult'));
    out.experimental = { vendorId: e.vendorId ?? VENDOR_3GPP, code: e.code };
  }
  const answers = out.result !== undefined || out.experimental !== undefined;
  if (a.errorMessage !== undefined) {
    if (typeof a.errorMessage !== 'string') throw new RuleError('expected a string', at('errorMessage'));
    if (!answers)
      throw new RuleError('errorMessage goes with result or experimentalResult', at('errorMessage'));
    out.errorMessage = a.errorMessage;
  }
  if (a.delay !== undefined) out.delayMs = seconds(a.delay, at('delay'));
  if (a.drop !== undefined) {
    if (typeof a.drop !== 'boolean') throw new RuleError('expected true or false', at('drop'));
    out.drop = a.drop;
  }
  if (a.close !== undefined) {
    if (typeof a.close !== 'boolean') throw new RuleError('expected true or false', at('close'));
    out.close = a.close;
  }
  if (a.dpr !== undefined && a.dpr !== false) {
    if (a.dpr === true) out.dprCause = DisconnectCause.REBOOTING;
    else {
      const c = a.dpr !== null && typeof a.dpr === 'object' ? a.dpr.cause : undefined;
      const n = typeof c === 'number' ? c : typeof c === 'string' ? DISCONNECT_CAUSES[c] : undefined;
      if (n === undefined || !Number.isInteger(n) || n < 0)
        throw new RuleError(
          `expected true or { cause: ${Object.keys(DisconnectCause).join(' | ')} }`,
          at('dpr'),
        );
      out.dprCause = n;
    }
    if (out.close) throw new RuleError('give either close or dpr, not both', at('dpr'));
  }
  if (a.interimInterval !== undefined) {
    if (!isU32(a.interimInterval)) throw new RuleError('expected whole seconds >= 0', at('interimInterval'));
    out.interimInterval = a.interimInterval;
  }
  if (a.answerTwice !== undefined && a.answerTwice !== false) {
    if (a.answerTwice === true) out.twiceAfterMs = 0;
    else if (a.answerTwice !== null && typeof a.answerTwice === 'object')
      out.twiceAfterMs = seconds(a.answerTwice.after, ['action', 'answerTwice', 'after']);
    else throw new RuleError('expected true or { after: seconds }', at('answerTwice'));
  }
  if (out.drop) {
    for (const k of ['result', 'experimentalResult', 'interimInterval', 'answerTwice'] as const)
      if (a[k] !== undefined && a[k] !== false)
        throw new RuleError(`drop sends no answer, so ${k} has nothing to act on`, at(k));
  }
  const effects =
    answers ||
    out.delayMs > 0 ||
    out.drop ||
    out.close ||
    out.dprCause !== undefined ||
    out.interimInterval !== undefined ||
    out.twiceAfterMs !== undefined;
  if (!effects)
    throw new RuleError(
      'expected at least one of result, experimentalResult, delay, drop, close, dpr, interimInterval, answerTwice',
      ['action'],
    );
  return out;
}

function info(r: Rule, position: number): RuleInfo {
  return {
    id: r.id,
    position,
    spec: structuredClone(r.spec),
    hits: r.hits,
    addedAt: new Date(r.addedAt),
    lastHitAt: r.lastHitAt === undefined ? undefined : new Date(r.lastHitAt),
    exhausted: r.hits >= r.limit,
  };
}

function topLevel(m: Message, code: number): Avp[] {
  const out: Avp[] = [];
  for (const a of m.avps) if (a.code === code && a.vendorId === 0) out.push(a);
  return out;
}

/** An AVP value as text, for `regex` and for text equality. */
function textOf(a: Avp, def: AvpDef, dict: Dictionary): string {
  const v: AvpValue | undefined = a.value;
  if (v === undefined)
    return a.data ? Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).toString('utf8') : '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number')
    return def.type === 'Enumerated' ? (dict.enumName(def, v) ?? String(v)) : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  if ('text' in v) return v.text;
  return Buffer.from(v.bytes).toString('hex');
}

function isU32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

/** Seconds (fractions allowed) → ms. */
function seconds(v: unknown, where: (string | number)[]): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new RuleError(`expected seconds >= 0, got ${show(v)}`, where);
  return Math.round(v * 1000);
}

function instant(v: unknown, where: (string | number)[]): number {
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms))
    throw new RuleError(`expected an ISO 8601 date-time (2025-01-31T12:00:00Z), got ${show(v)}`, where);
  return ms;
}

function show(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : (JSON.stringify(v) ?? String(v));
}

function asDiameterError(e: unknown): DiameterError {
  return e instanceof DiameterError
    ? e
    : new DiameterError('BAD_MESSAGE_FORM', (e as Error)?.message ?? String(e), { resultCode: 5012 });
}

function write(conn: Connection, bytes: Buffer): void {
  if (!conn.isClosed) conn.write(bytes);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
