/**
 * RFC 6733 accounting (§9) as dictionary data: the §9.8 accounting AVPs (accounting-rf.md §1.3; Class and
 * Event-Timestamp, also listed there, are session AVPs of RFC 6733 §8 and live in base.ts) and the base
 * ACR/ACA grammars of §9.7 (accounting-rf.md §1.2).
 *
 * The built-in dictionary registers the 3GPP Rf ACR/ACA (tgpp-rf.ts) for application 3, not these: Rf is
 * what diamkit's CDF serves. BASE_ACCOUNTING_COMMAND is here for plain RFC 6733 accounting
 * (`builtinDictionary({ accounting: 'rfc6733' })`).
 */
import type { AvpDef, CommandDef, DictionaryData } from './types.js';
import { avpMaker, enums, grammar } from './grammar.js';

const SOURCE = 'builtin:rfc6733';
const avp = avpMaker(0, SOURCE);

/** All vendor 0, M must, V clear (accounting-rf.md §1.3). */
export const ACCOUNTING_AVPS: AvpDef[] = [
  avp('Acct-Session-Id', 44, 'OctetString'),
  avp('Acct-Multi-Session-Id', 50, 'UTF8String'),
  avp('Acct-Interim-Interval', 85, 'Unsigned32'),
  avp('Accounting-Sub-Session-Id', 287, 'Unsigned64'),
  avp('Accounting-Record-Type', 480, 'Enumerated', 'must', {
    enums: enums('1 EVENT_RECORD, 2 START_RECORD, 3 INTERIM_RECORD, 4 STOP_RECORD'),
  }),
  avp('Accounting-Realtime-Required', 483, 'Enumerated', 'must', {
    enums: enums('1 DELIVER_AND_GRANT, 2 GRANT_AND_STORE, 3 GRANT_AND_LOSE'),
  }),
  avp('Accounting-Record-Number', 485, 'Unsigned32'),
];

/** ACR/ACA of RFC 6733 §9.7 (split accounting: application 3 in the header). */
export const BASE_ACCOUNTING_COMMAND: CommandDef = {
  code: 271,
  name: 'Accounting',
  requestAbbrev: 'ACR',
  answerAbbrev: 'ACA',
  applicationId: 3,
  proxiable: true,
  source: SOURCE,
  request: grammar(`
    <ACR> ::= < Diameter Header: 271, REQ, PXY >
              < Session-Id >
              { Origin-Host }
              { Origin-Realm }
              { Destination-Realm }
              { Accounting-Record-Type }
              { Accounting-Record-Number }
              [ Acct-Application-Id ]
              [ Vendor-Specific-Application-Id ]
              [ User-Name ]
              [ Destination-Host ]
              [ Accounting-Sub-Session-Id ]
              [ Acct-Session-Id ]
              [ Acct-Multi-Session-Id ]
              [ Acct-Interim-Interval ]
              [ Accounting-Realtime-Required ]
              [ Origin-State-Id ]
              [ Event-Timestamp ]
            * [ Proxy-Info ]
            * [ Route-Record ]
            * [ AVP ]
  `),
  answer: grammar(`
    <ACA> ::= < Diameter Header: 271, PXY >
              < Session-Id >
              { Result-Code }
              { Origin-Host }
              { Origin-Realm }
              { Accounting-Record-Type }
              { Accounting-Record-Number }
              [ Acct-Application-Id ]
              [ Vendor-Specific-Application-Id ]
              [ User-Name ]
              [ Accounting-Sub-Session-Id ]
              [ Acct-Session-Id ]
              [ Acct-Multi-Session-Id ]
              [ Error-Message ]
              [ Error-Reporting-Host ]
              [ Failed-AVP ]
              [ Acct-Interim-Interval ]
              [ Accounting-Realtime-Required ]
              [ Origin-State-Id ]
              [ Event-Timestamp ]
            * [ Proxy-Info ]
            * [ AVP ]
  `),
};

/** The accounting AVPs only; the command is chosen by builtin.ts (see the header comment). */
export const ACCOUNTING_DATA: DictionaryData = { avps: ACCOUNTING_AVPS };
