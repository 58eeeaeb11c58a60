/**
 * Reading an ACR (RFC 6733 §9.7.1, TS 32.299 §6.1.1): the fields the CDF keys, checks and answers on.
 * Numeric lookups only (no names in the hot path).
 */
import type { Avp, Message } from '../codec/types.js';
import { FLAG_T } from '../codec/types.js';
import { Code } from '../dictionary/codes.js';
import { avpText, avpUnsigned32 } from '../codec/raw-values.js';

export const RecordType = { EVENT: 1, START: 2, INTERIM: 3, STOP: 4 } as const;

export interface AcrFields {
  sessionId: string;
  subSessionId?: bigint;
  originHost: string;
  originRealm: string;
  recordType: number;
  recordNumber: number;
  /** The ACR's AVPs, to copy back or to fail (Failed-AVP). */
  recordTypeAvp?: Avp;
  recordNumberAvp?: Avp;
  acctApplicationId?: number;
  interimInterval?: number;
  eventTimestamp?: Date;
  serviceContextId?: string;
  userName?: string;
  originStateId?: number;
  retransmitted: boolean;
  serviceInformation?: Avp;
}

const text = avpText;
const num = (a: Avp): number => avpUnsigned32(a) ?? NaN;

export function readAcr(m: Message): AcrFields {
  const f: AcrFields = {
    sessionId: '',
    originHost: '',
    originRealm: '',
    recordType: NaN,
    recordNumber: NaN,
    retransmitted: (m.flags & FLAG_T) !== 0,
  };
  for (const a of m.avps) {
    if (a.vendorId === 10415) {
      if (a.code === 873) f.serviceInformation = a;
      continue;
    }
    if (a.vendorId !== 0) continue;
    switch (a.code) {
      case Code.SESSION_ID:
        f.sessionId = text(a);
        break;
      case Code.ORIGIN_HOST:
        f.originHost = text(a);
        break;
      case Code.ORIGIN_REALM:
        f.originRealm = text(a);
        break;
      case Code.ACCOUNTING_RECORD_TYPE:
        f.recordType = num(a);
        f.recordTypeAvp = a;
        break;
      case Code.ACCOUNTING_RECORD_NUMBER:
        f.recordNumber = num(a);
        f.recordNumberAvp = a;
        break;
      case Code.ACCT_APPLICATION_ID:
        f.acctApplicationId = num(a);
        break;
      case Code.ACCT_INTERIM_INTERVAL:
        f.interimInterval = num(a);
        break;
      case Code.EVENT_TIMESTAMP:
        if (a.value instanceof Date) f.eventTimestamp = a.value;
        break;
      case Code.SERVICE_CONTEXT_ID:
        f.serviceContextId = text(a);
        break;
      case Code.USER_NAME:
        f.userName = text(a);
        break;
      case Code.ORIGIN_STATE_ID:
        f.originStateId = num(a);
        break;
      case Code.ACCOUNTING_SUB_SESSION_ID:
        if (typeof a.value === 'bigint') f.subSessionId = a.value;
        break;
    }
  }
  return f;
}
