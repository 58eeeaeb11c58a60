/**
 * `diamkit serve`'s console lines about what is wrong with a tester's traffic: one `warn` line per error
 * answer (diamkit:answer:error, src/node/error-answers.ts) and per CDR anomaly (diamkit:cdf:anomaly,
 * src/cdf/anomaly-events.ts), each kind limited to a few lines a second with a summary of the rest
 * (log-rate-limit.ts). Names come from the dictionary here, on these paths only.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import type pino from 'pino';
import { anomalyChannel, type AnomalyEvent } from '../cdf/anomaly-events.js';
import { avpText } from '../codec/raw-values.js';
import type { Avp, Message } from '../codec/types.js';
import { findAvp } from '../dictionary/accessors.js';
import { RESULT_CODE_NAMES } from '../dictionary/base.js';
import { Code } from '../dictionary/codes.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { errorAnswerChannel, type ErrorAnswerEvent } from '../node/error-answers.js';
import type { Clock } from '../peer/timers.js';
import { LogRateLimit } from './log-rate-limit.js';

const ERROR_ANSWER_CHANNEL = errorAnswerChannel.name;
const ANOMALY_CHANNEL = anomalyChannel.name;

/** Lines a second per kind unless told otherwise. */
export const PROBLEM_LINES_PER_SECOND = 10;

export interface ProblemLogOptions {
  /** Lines a second per kind (default PROBLEM_LINES_PER_SECOND). */
  perSecond?: number;
  /** For tests: the limit's clock. */
  clock?: Clock;
}

export interface ProblemLogs {
  /** Writes the summaries still due (at shutdown). */
  flush(): void;
  unsubscribe(): void;
}

/** What a tester reads next to each anomaly name (docs/cdr.md, "Record numbers, duplicates and anomalies"). */
const ANOMALY_TEXT: Record<string, string> = {
  aCRStartLost: 'INTERIM or STOP with no open session: its START never came',
  aCRInterimLost: 'record closed with INTERIM record numbers still missing',
  aCRStopLost: 'record closed without its STOP',
  recordNumberGap: 'Accounting-Record-Number skipped numbers',
  outOfOrder: 'a record came after a higher Accounting-Record-Number of its session',
  startForOpenSession: 'START for a session already open',
  ctfRestarted: 'the CTF restarted (higher Origin-State-Id): its open session was closed',
  duplicate: 'the same Accounting-Record-Number again, without the T flag',
};

const CLOSED_BY_TEXT: Record<NonNullable<AnomalyEvent['closedBy']>, string> = {
  supervision: 'supervision: no ACR within the supervision time',
  ctfRestarted: 'the CTF restarted',
  startForOpenSession: 'a new START for the session',
};

export function subscribeProblemLogs(
  log: pino.Logger,
  dict: Dictionary,
  opts: ProblemLogOptions = {},
): ProblemLogs {
  const perWindow = opts.perSecond ?? PROBLEM_LINES_PER_SECOND;
  const answers = new LogRateLimit({
    perWindow,
    clock: opts.clock,
    onSuppressed: (count, byKey) =>
      log.warn(
        { event: 'error-answer', notLogged: count, byResultCode: Object.fromEntries(byKey) },
        `${count} more error answers not logged (at most ${perWindow} lines a second)`,
      ),
  });
  const anomalies = new LogRateLimit({
    perWindow,
    clock: opts.clock,
    onSuppressed: (count, byKey) =>
      log.warn(
        { event: 'anomaly', notLogged: count, byAnomaly: Object.fromEntries(byKey) },
        `${count} more CDR anomalies not logged (at most ${perWindow} lines a second)`,
      ),
  });
  const onErrorAnswer = (m: unknown) => {
    const e = m as ErrorAnswerEvent;
    // Held back first, named after: a flood of errors costs a count each, not a formatted line each.
    if (!log.isLevelEnabled('warn') || !answers.take(e.resultCode)) return;
    const fields = errorAnswerFields(e, dict);
    const failed = fields.failedAvp ? ` (Failed-AVP ${fields.failedAvp.join(', ')})` : '';
    const to = fields.command ?? `command ${e.request.commandCode}`;
    log.warn(
      fields,
      `error answer ${e.resultCode}${fields.resultName ? ` ${fields.resultName}` : ''} to ${to}${failed}`,
    );
  };
  const onAnomaly = (m: unknown) => {
    const e = m as AnomalyEvent;
    // A copy marked as a retransmission is the CTF doing its job (RFC 6733 §3 T flag): nothing is wrong.
    if (e.anomaly === 'duplicate' && e.retransmitted) return;
    if (!log.isLevelEnabled('warn') || !anomalies.take(e.anomaly)) return;
    const why = e.closedBy ? ` (${CLOSED_BY_TEXT[e.closedBy]})` : '';
    log.warn(
      anomalyFields(e),
      `CDR anomaly ${e.anomaly}: ${ANOMALY_TEXT[e.anomaly] ?? 'see docs/cdr.md'}${why}`,
    );
  };
  diagnostics_channel.subscribe(ERROR_ANSWER_CHANNEL, onErrorAnswer);
  diagnostics_channel.subscribe(ANOMALY_CHANNEL, onAnomaly);
  return {
    flush() {
      answers.flush();
      anomalies.flush();
    },
    unsubscribe() {
      diagnostics_channel.unsubscribe(ERROR_ANSWER_CHANNEL, onErrorAnswer);
      diagnostics_channel.unsubscribe(ANOMALY_CHANNEL, onAnomaly);
    },
  };
}

export interface ErrorAnswerFields {
  event: 'error-answer';
  /** The CTF: the peer's Origin-Host from its CER, else the request's. */
  peer?: string;
  /** The transport connection (address:port), when known. */
  conn?: string;
  command?: string;
  commandCode: number;
  applicationId: number;
  sessionId?: string;
  resultCode: number;
  resultName?: string;
  /** The AVP(s) in Failed-AVP, nested ones as a path (base-protocol.md §9.4). */
  failedAvp?: string[];
  errorMessage?: string;
  /** The stable error code (src/codec/errors.ts, docs/errors.md). */
  errorCode?: string;
  /** The behaviour rule that answered. */
  rule?: string;
}

export function errorAnswerFields(e: ErrorAnswerEvent, dict: Dictionary): ErrorAnswerFields {
  const req = e.request;
  const cmd = dict.command(req.commandCode, req.applicationId);
  const resultDef = dict.avp(Code.RESULT_CODE);
  return {
    event: 'error-answer',
    peer: e.peer?.originHost ?? textOf(req, Code.ORIGIN_HOST),
    conn: e.connection?.label,
    command: cmd ? `${cmd.name}-Request` : undefined,
    commandCode: req.commandCode,
    applicationId: req.applicationId,
    sessionId: textOf(req, Code.SESSION_ID),
    resultCode: e.resultCode,
    resultName: (resultDef && dict.enumName(resultDef, e.resultCode)) ?? RESULT_CODE_NAMES.get(e.resultCode),
    failedAvp: failedAvpNames(e.answer, dict),
    errorMessage: textOf(e.answer, Code.ERROR_MESSAGE) ?? e.error?.message,
    errorCode: e.error?.code,
    rule: e.rule,
  };
}

/**
 * The AVPs inside every Failed-AVP of the answer by name; an error inside a Grouped AVP is sent as the
 * enclosing AVPs holding only the offending child (base-protocol.md §9.4), shown as a path A/B/C.
 */
export function failedAvpNames(answer: Message, dict: Dictionary): string[] | undefined {
  const out: string[] = [];
  for (const f of answer.avps) {
    if (f.code !== Code.FAILED_AVP || f.vendorId !== 0 || !f.avps) continue;
    for (const a of f.avps) {
      const path = [avpName(a, dict)];
      let at: Avp = a;
      while (at.avps?.length === 1) {
        at = at.avps[0]!;
        path.push(avpName(at, dict));
      }
      out.push(path.join('/'));
    }
  }
  return out.length ? out : undefined;
}

function avpName(a: Avp, dict: Dictionary): string {
  return (
    dict.avp(a.code, a.vendorId)?.name ??
    (a.vendorId ? `AVP ${a.code} (vendor ${a.vendorId})` : `AVP ${a.code}`)
  );
}

function textOf(m: Message, code: number): string | undefined {
  const a = findAvp(m.avps, code);
  return a && avpText(a);
}

export function anomalyFields(e: AnomalyEvent): Record<string, unknown> {
  return {
    event: 'anomaly',
    anomaly: e.anomaly,
    sessionId: e.sessionId,
    // 64-bit: as decimal text, as the JSON forms of diamkit write Unsigned64 (docs/cdr.md).
    subSessionId: e.subSessionId === undefined ? undefined : String(e.subSessionId),
    originHost: e.originHost,
    recordNumber: e.recordNumber,
    lastRecordNumber: e.lastRecordNumber,
    missing: e.missing?.length ? [...e.missing] : undefined,
    closedBy: e.closedBy,
    retransmitted: e.retransmitted,
  };
}
