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
 *
 * A rule's `match` compiles in rule-match.ts, its `action` in rule-actions.ts; this file keeps the list
 * and carries the actions out.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { DiameterError } from '../codec/errors.js';
import { decodeMessage, encodeMessage } from '../codec/message.js';
import { AVP_M, type Avp, type Message } from '../codec/types.js';
import { Code } from '../dictionary/codes.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import type { AvpDef } from '../dictionary/types.js';
import type { Connection } from '../peer/connection.js';
import type { Peer } from '../peer/peer.js';
import { answerForError, buildAnswer, buildErrorAnswer } from './answers.js';
import { isErrorResult, publishErrorAnswer } from './error-answers.js';
import { u32Avp, type IdentityAvps } from './identity.js';
import { compileAction, ECHO_OPTIONAL, NOT_ECHOED, withInterim, type Action } from './rule-actions.js';
import { compileTests, compileWindow, type Test } from './rule-match.js';
import { RuleError, type RuleInfo, type RuleSpec } from './rule-spec.js';

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
    this.execute(host, rule, peer, conn, req);
    return true;
  }

  // ---------------------------------------------------------------------------------------------------
  // actions

  private execute(host: RuleHost, rule: Rule, peer: Peer, conn: Connection, req: Message): void {
    const a = rule.action;
    const arrived = Date.now();
    let answer: Message | Buffer | undefined | Promise<Message | Buffer | undefined>;
    if (a.drop) answer = undefined;
    else if (a.result !== undefined || a.experimental) answer = this.ruled(host, rule, peer, conn, req);
    else {
      try {
        answer = host.answer(peer, conn, req);
      } catch (e) {
        answer = this.failedAnswer(host, peer, conn, req, e);
      }
    }
    const later = a.twiceAfterMs !== undefined && a.twiceAfterMs > 0;
    if (a.delayMs === 0 && !later && !(answer instanceof Promise)) {
      this.finish(a, peer, conn, this.bytesOf(a, answer));
      return;
    }
    const p = Promise.resolve(answer)
      .catch((e: unknown) => this.failedAnswer(host, peer, conn, req, e))
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

  /** The rule's own answer; an error one is published like the node's (error-answers.ts), with the rule. */
  private ruled(host: RuleHost, rule: Rule, peer: Peer, conn: Connection, req: Message): Message {
    const a = rule.action;
    const answer = this.ruleAnswer(host.identity, a, req);
    const resultCode = a.experimental?.code ?? a.result ?? 2001;
    if (isErrorResult(resultCode)) {
      publishErrorAnswer({ resultCode, request: req, answer, peer, connection: conn, rule: rule.id });
    }
    return answer;
  }

  /** The normal path failed: its error answer, published like the node's own (error-answers.ts). */
  private failedAnswer(host: RuleHost, peer: Peer, conn: Connection, req: Message, e: unknown): Message {
    const err = asDiameterError(e);
    const answer = answerForError(req, host.identity, err);
    return publishErrorAnswer({
      resultCode: err.resultCode,
      request: req,
      answer,
      error: err,
      peer,
      connection: conn,
    });
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
    const tests = compileTests(this.dict, m);
    if (m.percent !== undefined && !(typeof m.percent === 'number' && m.percent >= 0 && m.percent <= 100))
      throw new RuleError('expected a percentage 0-100', ['match', 'percent']);
    const addedAt = this.now();
    const { windowStart, windowEnd } = compileWindow(m.window, addedAt);
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
}

// -----------------------------------------------------------------------------------------------------
// helpers

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
