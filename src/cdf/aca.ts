/**
 * The ACA (RFC 6733 §9.7.2; TS 32.299 §6.1.2; accounting-rf.md §5.2): Session-Id, Result-Code,
 * Origin-Host/Realm, Accounting-Record-Type and -Number copied from the ACR, Acct-Application-Id 3,
 * Acct-Interim-Interval when the CDF imposes one, then Error-Message / Failed-AVP on errors and every
 * Proxy-Info. 4xxx/5xxx answers keep this grammar (E clear) — vector 10.
 */
import { ResultCode, type DiameterError } from '../codec/errors.js';
import type { Avp, Message } from '../codec/types.js';
import { Code } from '../dictionary/codes.js';
import { buildAnswer, buildErrorAnswer } from '../node/answers.js';
import { preEncoded, u32Avp, type IdentityAvps } from '../node/identity.js';
import type { AcrFields } from './acr.js';

const ACCT_APP_3 = preEncoded(u32Avp(Code.ACCT_APPLICATION_ID, 3));

export interface AcaOptions {
  interimInterval?: number;
  errorMessage?: string;
  failedAvp?: Avp;
}

export function buildAca(req: Message, id: IdentityAvps, acr: AcrFields, resultCode: number, opts: AcaOptions = {}): Message {
  const avps: Avp[] = [
    acr.recordTypeAvp ?? u32Avp(Code.ACCOUNTING_RECORD_TYPE, Number.isFinite(acr.recordType) ? acr.recordType : 0),
    acr.recordNumberAvp ?? u32Avp(Code.ACCOUNTING_RECORD_NUMBER, 0),
    ACCT_APP_3,
  ];
  if (opts.interimInterval !== undefined) avps.push(u32Avp(Code.ACCT_INTERIM_INTERVAL, opts.interimInterval));
  return buildAnswer(req, id, resultCode, { avps, errorMessage: opts.errorMessage, failedAvp: opts.failedAvp });
}

/**
 * The answer to an ACR that failed validation: an ACA with the error (E clear), or — when no valid ACA
 * can be built because Accounting-Record-Type itself is unusable — the E-bit answer-message (vector 12).
 */
export function acaForError(req: Message, id: IdentityAvps, acr: AcrFields, err: DiameterError): Message {
  const typeOk = acr.recordTypeAvp !== undefined && acr.recordType >= 1 && acr.recordType <= 4;
  if (!typeOk && acr.recordTypeAvp !== undefined) {
    const aboutType = err.failedAvp?.code === Code.ACCOUNTING_RECORD_TYPE && err.failedAvp.vendorId === 0;
    return aboutType ? invalidRecordType(req, id, acr) : buildErrorAnswer(req, id, err.resultCode, err.message, err.failedAvp);
  }
  return buildAca(req, id, acr, err.resultCode, { errorMessage: err.message, failedAvp: err.failedAvp });
}

/**
 * Accounting-Record-Type outside 1..4 (the validator's unknown-enum check, or onAcr's own range check
 * when validation is off). The ACA grammar needs a valid record type to copy back, so, as vector 12 does,
 * the answer is the E-bit answer-message with 5012 DIAMETER_UNABLE_TO_COMPLY, the fixed Error-Message
 * "invalid Accounting-Record-Type" and the AVP as received in Failed-AVP (RFC 6733 §7.5). accounting-rf.md
 * §5.6 names 5004 in an ACA as the alternative; we follow the independent vector.
 */
export function invalidRecordType(req: Message, id: IdentityAvps, acr: AcrFields): Message {
  return buildErrorAnswer(req, id, ResultCode.UNABLE_TO_COMPLY, 'invalid Accounting-Record-Type', acr.recordTypeAvp);
}
