/**
 * What a behaviour rule does to the request it takes (rules.ts carries it out): the `action` compiled and
 * checked once (Action), the request AVPs a rule's own answer echoes, and where Acct-Interim-Interval goes
 * in an answer.
 */
import type { Message } from '../codec/types.js';
import { Code, DisconnectCause, VENDOR_3GPP } from '../dictionary/codes.js';
import { u32Avp } from './identity.js';
import { RuleError, type RuleAction } from './rule-spec.js';
import { isU32, seconds } from './rule-values.js';

export interface Action {
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

const DISCONNECT_CAUSES: Record<string, number> = DisconnectCause;

export function compileAction(a: RuleAction | undefined): Action {
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

/** AVPs an answer builds itself (buildAnswer) or that describe the answering node, never copied. */
export const NOT_ECHOED = new Set([
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
export const ECHO_OPTIONAL = new Set([
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

export function withInterim(m: Message, seconds: number): Message {
  const avp = u32Avp(Code.ACCT_INTERIM_INTERVAL, seconds);
  const avps = m.avps.filter((a) => !(a.code === Code.ACCT_INTERIM_INTERVAL && a.vendorId === 0));
  const at = avps.findIndex((a) => a.vendorId === 0 && TRAILING.has(a.code));
  if (at < 0) avps.push(avp);
  else avps.splice(at, 0, avp);
  return { ...m, avps };
}
