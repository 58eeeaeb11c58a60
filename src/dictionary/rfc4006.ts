/**
 * IETF AVPs that 3GPP Rf messages carry inside their grouped AVPs (accounting-rf.md §3.1): RFC 4006/8506
 * credit-control AVPs and the RFC 4005/7155 NASREQ ones (Called-Station-Id, Accounting-*-Octets/-Packets).
 * All vendor 0, V clear. User-Name is a base AVP (base.ts).
 */
import type { AvpDef, DictionaryData } from './types.js';
import { avpMaker, enums, grammar } from './grammar.js';

const avp = avpMaker(0, 'builtin:rfc4006');
const nasreq = avpMaker(0, 'builtin:rfc7155');

// RFC 4006 §8.46. No `* [ AVP ]`: the RFC lists none.
const SUBSCRIPTION_ID = grammar(`
  Subscription-Id ::= < AVP Header: 443 >
                      { Subscription-Id-Type }
                      { Subscription-Id-Data }
`);

// RFC 4006 §8.49.
const USER_EQUIPMENT_INFO = grammar(`
  User-Equipment-Info ::= < AVP Header: 458 >
                          { User-Equipment-Info-Type }
                          { User-Equipment-Info-Value }
`);

export const RFC4006_AVPS: AvpDef[] = [
  nasreq('Called-Station-Id', 30, 'UTF8String'),
  nasreq('Accounting-Input-Octets', 363, 'Unsigned64'),
  nasreq('Accounting-Output-Octets', 364, 'Unsigned64'),
  nasreq('Accounting-Input-Packets', 365, 'Unsigned64'),
  nasreq('Accounting-Output-Packets', 366, 'Unsigned64'),
  avp('Rating-Group', 432, 'Unsigned32'),
  avp('Service-Identifier', 439, 'Unsigned32'),
  avp('Subscription-Id', 443, 'Grouped', 'must', { grammar: SUBSCRIPTION_ID }),
  avp('Subscription-Id-Data', 444, 'UTF8String'),
  avp('Subscription-Id-Type', 450, 'Enumerated', 'must', {
    enums: enums('0 END_USER_E164, 1 END_USER_IMSI, 2 END_USER_SIP_URI, 3 END_USER_NAI, 4 END_USER_PRIVATE'),
  }),
  // M "may" for the group (accounting-rf.md §3.1: Wireshark says may, vec_rf.dia sets M); its two children
  // follow the group (verify against RFC 8506 §8 if a peer insists).
  avp('User-Equipment-Info', 458, 'Grouped', 'may', { grammar: USER_EQUIPMENT_INFO }),
  avp('User-Equipment-Info-Type', 459, 'Enumerated', 'may', {
    enums: enums('0 IMEISV, 1 MAC, 2 EUI64, 3 MODIFIED_EUI64'),
  }),
  avp('User-Equipment-Info-Value', 460, 'OctetString', 'may'),
  avp('Service-Context-Id', 461, 'UTF8String'),
];

export const RFC4006_DATA: DictionaryData = { avps: RFC4006_AVPS };
