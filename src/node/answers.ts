/**
 * Building answers (RFC 6733 §6.2; base-protocol.md §9): same command code, application and ids as the
 * request, R cleared, P copied, Session-Id first, Origin-Host/Realm of the answering node, Result-Code,
 * every Proxy-Info copied in order. Protocol errors (3xxx) use the E bit and the answer-message grammar
 * (§7.2); so do 5xxx errors that no application can put into its own answer (vector 12).
 */
import type { DiameterError } from '../codec/errors.js';
import { FLAG_E, FLAG_P, type Avp, type Message } from '../codec/types.js';
import { findAvp } from '../dictionary/accessors.js';
import { Code } from '../dictionary/codes.js';
import { utf8Avp, type IdentityAvps } from './identity.js';

/** A request's Session-Id AVP (top level), if any: echoed as its raw bytes. */
export function sessionIdAvp(req: Message): Avp | undefined {
  return findAvp(req.avps, Code.SESSION_ID);
}

/** Appends the request's Proxy-Info AVPs, in order (RFC 6733 §6.2 bullet 4). */
function copyProxyInfos(req: Message, to: Avp[]): void {
  const avps = req.avps;
  for (let i = 0; i < avps.length; i++) {
    const a = avps[i]!;
    if (a.code === Code.PROXY_INFO && a.vendorId === 0) to.push(a);
  }
}

export interface AnswerOptions {
  /** AVPs after Origin-Realm (command-specific). */
  avps?: Avp[];
  errorMessage?: string;
  failedAvp?: Avp;
  /** Sets the E bit (protocol error, answer-message grammar). */
  error?: boolean;
}

export function buildAnswer(req: Message, id: IdentityAvps, resultCode: number, opts: AnswerOptions = {}): Message {
  const avps: Avp[] = [];
  const sid = sessionIdAvp(req);
  if (sid) avps.push(sid);
  // Command answers lead with Result-Code (vectors 02, 04, 06, 10); the E-bit answer-message form follows
  // its grammar's order, Origin-Host and Origin-Realm before Result-Code (RFC 6733 §7.2; vectors 09, 12).
  if (opts.error) avps.push(id.originHost, id.originRealm, id.resultCode(resultCode));
  else avps.push(id.resultCode(resultCode), id.originHost, id.originRealm);
  if (opts.avps) for (const a of opts.avps) avps.push(a);
  if (opts.errorMessage) avps.push(utf8Avp(Code.ERROR_MESSAGE, opts.errorMessage, 0));
  if (opts.failedAvp) avps.push({ code: Code.FAILED_AVP, flags: 0x40, vendorId: 0, avps: [opts.failedAvp] });
  copyProxyInfos(req, avps);
  return {
    version: 1,
    flags: (req.flags & FLAG_P) | (opts.error ? FLAG_E : 0),
    commandCode: req.commandCode,
    applicationId: req.applicationId,
    hopByHopId: req.hopByHopId,
    endToEndId: req.endToEndId,
    avps,
  };
}

/** Protocol-error and generic-error answers in the answer-message form (RFC 6733 §7.2), with E set. */
export function buildErrorAnswer(req: Message, id: IdentityAvps, resultCode: number, errorMessage?: string, failedAvp?: Avp): Message {
  return buildAnswer(req, id, resultCode, { error: true, errorMessage, failedAvp });
}

/** The answer for a DiameterError raised while decoding or validating `req`. */
export function answerForError(req: Message, id: IdentityAvps, err: DiameterError, errorMessage?: string): Message {
  return buildErrorAnswer(req, id, err.resultCode, errorMessage ?? err.message, err.failedAvp);
}
