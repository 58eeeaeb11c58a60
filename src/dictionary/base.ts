/**
 * The Diameter base protocol as dictionary data: RFC 6733 §4.5 AVPs (base-protocol.md §7, enumerations
 * §7.1, Result-Code names §8), the base commands of §6.1 with their CCF grammars, the generic
 * `answer-message` grammar, the well-known applications and vendors.
 *
 * The accounting AVPs of RFC 6733 §9.8 (Accounting-Record-Type, -Number, Acct-Interim-Interval …) live in
 * accounting.ts beside the ACR/ACA grammars; together the two files hold all 49 AVPs of the §4.5 table.
 * M rules: every base AVP is M-must except Firmware-Revision, Product-Name, Error-Message and
 * Error-Reporting-Host (M-mustnot); the V bit is never set on base AVPs (vendor 0).
 */
import type { ApplicationDef, CommandDef, DictionaryData, Grammar, VendorDef } from './types.js';
import { avpMaker, enums, grammar } from './grammar.js';

const SOURCE = 'builtin:rfc6733';
const avp = avpMaker(0, SOURCE);

/** Vendors (IANA Private Enterprise Numbers, base-protocol.md §3). */
export const VENDORS: VendorDef[] = [
  { id: 0, name: 'IETF', source: SOURCE },
  { id: 10415, name: '3GPP', source: SOURCE },
  { id: 5535, name: '3GPP2', source: SOURCE },
  { id: 13019, name: 'ETSI', source: SOURCE },
];

/** Application ids of base-protocol.md §2 (Credit-Control by name only: diamkit does not implement Ro). */
export const APPLICATIONS: ApplicationDef[] = [
  { id: 0, name: 'Diameter Common Messages', kind: 'both', source: SOURCE },
  { id: 3, name: 'Diameter Base Accounting', kind: 'acct', source: SOURCE },
  { id: 4, name: 'Diameter Credit Control', kind: 'auth', source: 'builtin:rfc4006' },
  { id: 0xffffffff, name: 'Relay', kind: 'both', source: SOURCE },
];

/** Result-Code values (base-protocol.md §8). Result-Code stays Unsigned32; the names are for display. */
export const RESULT_CODE_NAMES = enums(
  '1001 DIAMETER_MULTI_ROUND_AUTH, 2001 DIAMETER_SUCCESS, 2002 DIAMETER_LIMITED_SUCCESS, ' +
    '3001 DIAMETER_COMMAND_UNSUPPORTED, 3002 DIAMETER_UNABLE_TO_DELIVER, 3003 DIAMETER_REALM_NOT_SERVED, ' +
    '3004 DIAMETER_TOO_BUSY, 3005 DIAMETER_LOOP_DETECTED, 3006 DIAMETER_REDIRECT_INDICATION, ' +
    '3007 DIAMETER_APPLICATION_UNSUPPORTED, 3008 DIAMETER_INVALID_HDR_BITS, 3009 DIAMETER_INVALID_AVP_BITS, ' +
    '3010 DIAMETER_UNKNOWN_PEER, 4001 DIAMETER_AUTHENTICATION_REJECTED, 4002 DIAMETER_OUT_OF_SPACE, ' +
    '4003 ELECTION_LOST, 5001 DIAMETER_AVP_UNSUPPORTED, 5002 DIAMETER_UNKNOWN_SESSION_ID, ' +
    '5003 DIAMETER_AUTHORIZATION_REJECTED, 5004 DIAMETER_INVALID_AVP_VALUE, 5005 DIAMETER_MISSING_AVP, ' +
    '5006 DIAMETER_RESOURCES_EXCEEDED, 5007 DIAMETER_CONTRADICTING_AVPS, 5008 DIAMETER_AVP_NOT_ALLOWED, ' +
    '5009 DIAMETER_AVP_OCCURS_TOO_MANY_TIMES, 5010 DIAMETER_NO_COMMON_APPLICATION, ' +
    '5011 DIAMETER_UNSUPPORTED_VERSION, 5012 DIAMETER_UNABLE_TO_COMPLY, 5013 DIAMETER_INVALID_BIT_IN_HEADER, ' +
    '5014 DIAMETER_INVALID_AVP_LENGTH, 5015 DIAMETER_INVALID_MESSAGE_LENGTH, 5016 DIAMETER_INVALID_AVP_BIT_COMBO, ' +
    '5017 DIAMETER_NO_COMMON_SECURITY',
);

// Grouped base AVPs (base-protocol.md §6.1, "Grouped base AVPs").
const PROXY_INFO = grammar(`
  Proxy-Info ::= < AVP Header: 284 >
                 { Proxy-Host }
                 { Proxy-State }
               * [ AVP ]
`);

// RFC 6733 §7.5: the children are copies of the AVPs that failed; the validator never checks them.
const FAILED_AVP = grammar(`
  Failed-AVP ::= < AVP Header: 279 >
              1* { AVP }
`);

const EXPERIMENTAL_RESULT = grammar(`
  Experimental-Result ::= < AVP Header: 297 >
                 { Vendor-Id }
                 { Experimental-Result-Code }
`);

// RFC 6733 §6.11 has exactly one { Vendor-Id }; RFC 3588 allowed several, which base-protocol.md §6.1 says
// to accept on receive, hence 1*. "Exactly one of Auth-/Acct-Application-Id" is checked by validate.ts.
const VENDOR_SPECIFIC_APPLICATION_ID = grammar(`
  Vendor-Specific-Application-Id ::= < AVP Header: 260 >
              1* { Vendor-Id }
                 [ Auth-Application-Id ]
                 [ Acct-Application-Id ]
`);

/** Base AVPs of RFC 6733 §4.5 other than the §9.8 accounting ones (see accounting.ts). */
export const BASE_AVPS = [
  avp('User-Name', 1, 'UTF8String'),
  avp('Class', 25, 'OctetString'),
  avp('Session-Timeout', 27, 'Unsigned32'),
  avp('Proxy-State', 33, 'OctetString'),
  avp('Event-Timestamp', 55, 'Time'),
  avp('Host-IP-Address', 257, 'Address'),
  avp('Auth-Application-Id', 258, 'Unsigned32'),
  avp('Acct-Application-Id', 259, 'Unsigned32'),
  avp('Vendor-Specific-Application-Id', 260, 'Grouped', 'must', { grammar: VENDOR_SPECIFIC_APPLICATION_ID }),
  avp('Redirect-Host-Usage', 261, 'Enumerated', 'must', {
    enums: enums(
      '0 DONT_CACHE, 1 ALL_SESSION, 2 ALL_REALM, 3 REALM_AND_APPLICATION, 4 ALL_APPLICATION, 5 ALL_HOST, 6 ALL_USER',
    ),
  }),
  avp('Redirect-Max-Cache-Time', 262, 'Unsigned32'),
  avp('Session-Id', 263, 'UTF8String'),
  avp('Origin-Host', 264, 'DiameterIdentity'),
  avp('Supported-Vendor-Id', 265, 'Unsigned32'),
  avp('Vendor-Id', 266, 'Unsigned32'),
  avp('Firmware-Revision', 267, 'Unsigned32', 'mustnot'),
  avp('Result-Code', 268, 'Unsigned32', 'must', { enums: RESULT_CODE_NAMES }),
  avp('Product-Name', 269, 'UTF8String', 'mustnot'),
  // A bit mask (1 RE_AUTH, 2 STR, 4 ACCOUNTING), not an enumeration: no names attached.
  avp('Session-Binding', 270, 'Unsigned32'),
  avp('Session-Server-Failover', 271, 'Enumerated', 'must', {
    enums: enums('0 REFUSE_SERVICE, 1 TRY_AGAIN, 2 ALLOW_SERVICE, 3 TRY_AGAIN_ALLOW_SERVICE'),
  }),
  avp('Multi-Round-Time-Out', 272, 'Unsigned32'),
  avp('Disconnect-Cause', 273, 'Enumerated', 'must', {
    enums: enums('0 REBOOTING, 1 BUSY, 2 DO_NOT_WANT_TO_TALK_TO_YOU'),
  }),
  avp('Auth-Request-Type', 274, 'Enumerated', 'must', {
    enums: enums('1 AUTHENTICATE_ONLY, 2 AUTHORIZE_ONLY, 3 AUTHORIZE_AUTHENTICATE'),
  }),
  avp('Auth-Grace-Period', 276, 'Unsigned32'),
  avp('Auth-Session-State', 277, 'Enumerated', 'must', {
    enums: enums('0 STATE_MAINTAINED, 1 NO_STATE_MAINTAINED'),
  }),
  avp('Origin-State-Id', 278, 'Unsigned32'),
  avp('Failed-AVP', 279, 'Grouped', 'must', { grammar: FAILED_AVP }),
  avp('Proxy-Host', 280, 'DiameterIdentity'),
  avp('Error-Message', 281, 'UTF8String', 'mustnot'),
  avp('Route-Record', 282, 'DiameterIdentity'),
  avp('Destination-Realm', 283, 'DiameterIdentity'),
  avp('Proxy-Info', 284, 'Grouped', 'must', { grammar: PROXY_INFO }),
  avp('Re-Auth-Request-Type', 285, 'Enumerated', 'must', {
    enums: enums('0 AUTHORIZE_ONLY, 1 AUTHORIZE_AUTHENTICATE'),
  }),
  avp('Authorization-Lifetime', 291, 'Unsigned32'),
  avp('Redirect-Host', 292, 'DiameterURI'),
  avp('Destination-Host', 293, 'DiameterIdentity'),
  avp('Error-Reporting-Host', 294, 'DiameterIdentity', 'mustnot'),
  // Values 1–8 of the IANA registry, as Erlang's base dictionary has them (base-protocol.md §7.1).
  avp('Termination-Cause', 295, 'Enumerated', 'must', {
    enums: enums(
      '1 DIAMETER_LOGOUT, 2 DIAMETER_SERVICE_NOT_PROVIDED, 3 DIAMETER_BAD_ANSWER, 4 DIAMETER_ADMINISTRATIVE, ' +
        '5 DIAMETER_LINK_BROKEN, 6 DIAMETER_AUTH_EXPIRED, 7 DIAMETER_USER_MOVED, 8 DIAMETER_SESSION_TIMEOUT',
    ),
  }),
  avp('Origin-Realm', 296, 'DiameterIdentity'),
  avp('Experimental-Result', 297, 'Grouped', 'must', { grammar: EXPERIMENTAL_RESULT }),
  avp('Experimental-Result-Code', 298, 'Unsigned32'),
  // Unsigned32 on the wire (Erlang); the names are for display only. Deprecated by RFC 6733.
  avp('Inband-Security-Id', 299, 'Unsigned32', 'must', { enums: enums('0 NO_INBAND_SECURITY, 1 TLS') }),
];

/**
 * The generic error answer (base-protocol.md §6.1), used for every answer with the E bit set, whatever
 * its command code: RFC 6733 §7.2.
 */
export const ANSWER_MESSAGE_GRAMMAR: Grammar = grammar(`
  <answer-message> ::= < Diameter Header: code, ERR [, PXY] >
                    0*1< Session-Id >
                       { Origin-Host }
                       { Origin-Realm }
                       { Result-Code }
                       [ Origin-State-Id ]
                       [ Error-Message ]
                       [ Error-Reporting-Host ]
                       [ Failed-AVP ]
                       [ Experimental-Result ]
                     * [ Proxy-Info ]
                     * [ AVP ]
`);

function command(
  code: number,
  name: string,
  requestAbbrev: string,
  answerAbbrev: string,
  proxiable: boolean,
  request: string,
  answer: string,
): CommandDef {
  return {
    code,
    name,
    requestAbbrev,
    answerAbbrev,
    applicationId: 0,
    proxiable,
    request: grammar(request),
    answer: grammar(answer),
    source: SOURCE,
  };
}

/**
 * Base commands (base-protocol.md §6, grammars §6.1), registered under application 0 so that
 * Dictionary.command() finds them for any application id: RAR/STR/ASR carry the auth application's id.
 */
export const BASE_COMMANDS: CommandDef[] = [
  command(
    257,
    'Capabilities-Exchange',
    'CER',
    'CEA',
    false,
    `
    <CER> ::= < Diameter Header: 257, REQ >
              { Origin-Host }
              { Origin-Realm }
           1* { Host-IP-Address }
              { Vendor-Id }
              { Product-Name }
              [ Origin-State-Id ]
            * [ Supported-Vendor-Id ]
            * [ Auth-Application-Id ]
            * [ Inband-Security-Id ]
            * [ Acct-Application-Id ]
            * [ Vendor-Specific-Application-Id ]
              [ Firmware-Revision ]
            * [ AVP ]`,
    `
    <CEA> ::= < Diameter Header: 257 >
              { Result-Code }
              { Origin-Host }
              { Origin-Realm }
           1* { Host-IP-Address }
              { Vendor-Id }
              { Product-Name }
              [ Origin-State-Id ]
              [ Error-Message ]
              [ Failed-AVP ]
            * [ Supported-Vendor-Id ]
            * [ Auth-Application-Id ]
            * [ Inband-Security-Id ]
            * [ Acct-Application-Id ]
            * [ Vendor-Specific-Application-Id ]
              [ Firmware-Revision ]
            * [ AVP ]`,
  ),
  command(
    282,
    'Disconnect-Peer',
    'DPR',
    'DPA',
    false,
    `
    <DPR> ::= < Diameter Header: 282, REQ >
              { Origin-Host }
              { Origin-Realm }
              { Disconnect-Cause }
            * [ AVP ]`,
    `
    <DPA> ::= < Diameter Header: 282 >
              { Result-Code }
              { Origin-Host }
              { Origin-Realm }
              [ Error-Message ]
              [ Failed-AVP ]
            * [ AVP ]`,
  ),
  command(
    280,
    'Device-Watchdog',
    'DWR',
    'DWA',
    false,
    `
    <DWR> ::= < Diameter Header: 280, REQ >
              { Origin-Host }
              { Origin-Realm }
              [ Origin-State-Id ]
            * [ AVP ]`,
    `
    <DWA> ::= < Diameter Header: 280 >
              { Result-Code }
              { Origin-Host }
              { Origin-Realm }
              [ Error-Message ]
              [ Failed-AVP ]
              [ Origin-State-Id ]
            * [ AVP ]`,
  ),
  command(
    258,
    'Re-Auth',
    'RAR',
    'RAA',
    true,
    `
    <RAR> ::= < Diameter Header: 258, REQ, PXY >
              < Session-Id >
              { Origin-Host }
              { Origin-Realm }
              { Destination-Realm }
              { Destination-Host }
              { Auth-Application-Id }
              { Re-Auth-Request-Type }
              [ User-Name ]
              [ Origin-State-Id ]
            * [ Proxy-Info ]
            * [ Route-Record ]
            * [ AVP ]`,
    `
    <RAA> ::= < Diameter Header: 258, PXY >
              < Session-Id >
              { Result-Code }
              { Origin-Host }
              { Origin-Realm }
              [ User-Name ]
              [ Origin-State-Id ]
              [ Error-Message ]
              [ Error-Reporting-Host ]
              [ Failed-AVP ]
            * [ Redirect-Host ]
              [ Redirect-Host-Usage ]
              [ Redirect-Max-Cache-Time ]
            * [ Proxy-Info ]
            * [ AVP ]`,
  ),
  command(
    275,
    'Session-Termination',
    'STR',
    'STA',
    true,
    `
    <STR> ::= < Diameter Header: 275, REQ, PXY >
              < Session-Id >
              { Origin-Host }
              { Origin-Realm }
              { Destination-Realm }
              { Auth-Application-Id }
              { Termination-Cause }
              [ User-Name ]
              [ Destination-Host ]
            * [ Class ]
              [ Origin-State-Id ]
            * [ Proxy-Info ]
            * [ Route-Record ]
            * [ AVP ]`,
    `
    <STA> ::= < Diameter Header: 275, PXY >
              < Session-Id >
              { Result-Code }
              { Origin-Host }
              { Origin-Realm }
              [ User-Name ]
            * [ Class ]
              [ Error-Message ]
              [ Error-Reporting-Host ]
              [ Failed-AVP ]
              [ Origin-State-Id ]
            * [ Redirect-Host ]
              [ Redirect-Host-Usage ]
              [ Redirect-Max-Cache-Time ]
            * [ Proxy-Info ]
            * [ AVP ]`,
  ),
  command(
    274,
    'Abort-Session',
    'ASR',
    'ASA',
    true,
    `
    <ASR> ::= < Diameter Header: 274, REQ, PXY >
              < Session-Id >
              { Origin-Host }
              { Origin-Realm }
              { Destination-Realm }
              { Destination-Host }
              { Auth-Application-Id }
              [ User-Name ]
              [ Origin-State-Id ]
            * [ Proxy-Info ]
            * [ Route-Record ]
            * [ AVP ]`,
    `
    <ASA> ::= < Diameter Header: 274, PXY >
              < Session-Id >
              { Result-Code }
              { Origin-Host }
              { Origin-Realm }
              [ User-Name ]
              [ Origin-State-Id ]
              [ Error-Message ]
              [ Error-Reporting-Host ]
              [ Failed-AVP ]
            * [ Redirect-Host ]
              [ Redirect-Host-Usage ]
              [ Redirect-Max-Cache-Time ]
            * [ Proxy-Info ]
            * [ AVP ]`,
  ),
];

/** Everything RFC 6733 contributes except accounting (accounting.ts). */
export const BASE_DATA: DictionaryData = {
  vendors: VENDORS,
  applications: APPLICATIONS,
  avps: BASE_AVPS,
  commands: BASE_COMMANDS,
};
