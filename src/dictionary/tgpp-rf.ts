/**
 * 3GPP Rf offline charging (TS 32.299) as dictionary data: every vendor-10415 AVP of accounting-rf.md §3.2
 * with its type and M rule, the enumerations of §4.1, the grouped grammars of §2.2 and the Rf ACR/ACA of §2.1.
 *
 * Application 3: the Rf ACR/ACA below is the command registered for application 3 by builtin.ts. It is a
 * profile of the RFC 6733 one (accounting.ts) — same required AVPs, Service-Context-Id and
 * Service-Information added, the RFC-only optional AVPs dropped — and it keeps `* [ AVP ]`, so a CTF that
 * still sends the RFC-only AVPs (Vendor-Specific-Application-Id, Accounting-Sub-Session-Id …) is accepted.
 *
 * Flags: every 3GPP AVP is V must and M must except where the table says otherwise (3GPP-Session-Stop-
 * Indicator: M must not). These are the bits we set when encoding; on receive the validator does not hold
 * a peer to them (real CTFs send 3GPP AVPs without M, accounting-rf.md §3.2).
 *
 * Grammars (tgpp-rf-grammars.ts): the §2.2 lists are abridged ("Rel-15 list", later AVPs omitted) and 3GPP extends them in every
 * release, so each 3GPP grouped grammar here also allows `* [ AVP ]`, as the dictionary the test vectors
 * were made with does (test-vectors.md A.1). RFC 4006's Subscription-Id keeps its closed grammar (rfc4006.ts).
 * Enumerations: values accounting-rf.md §4.1 names; other Enumerated AVPs have none attached, which leaves
 * their values unchecked rather than rejecting values from releases we do not list.
 */
import type { DataType } from '../codec/types.js';
import type { AvpDef, CommandDef, DictionaryData } from './types.js';
import { avpMaker, enums, grammar } from './grammar.js';
import { TGPP_GRAMMARS } from './tgpp-rf-grammars.js';

export const VENDOR_3GPP = 10415;
export const VENDOR_3GPP2 = 5535;
const SOURCE = 'builtin:ts32299';
const t = avpMaker(VENDOR_3GPP, SOURCE);

/** accounting-rf.md §3.2, row by row (section headings as comments). */
const TABLE: AvpDef[] = [
  // Top level / service selection
  t('Service-Information', 873, 'Grouped'),
  // IMS (IMS-Information and children)
  t('IMS-Information', 876, 'Grouped'),
  t('Event-Type', 823, 'Grouped'),
  t('SIP-Method', 824, 'UTF8String'),
  t('Event', 825, 'UTF8String'),
  t('Expires', 888, 'Unsigned32'),
  t('Content-Type', 826, 'UTF8String'),
  t('Content-Length', 827, 'Unsigned32'),
  t('Content-Disposition', 828, 'UTF8String'),
  t('Role-Of-Node', 829, 'Enumerated'),
  t('Node-Functionality', 862, 'Enumerated'),
  t('User-Session-Id', 830, 'UTF8String'),
  t('Outgoing-Session-Id', 2320, 'UTF8String'),
  t('Calling-Party-Address', 831, 'UTF8String'),
  t('Called-Party-Address', 832, 'UTF8String'),
  t('Called-Asserted-Identity', 1250, 'UTF8String'),
  t('Requested-Party-Address', 1251, 'UTF8String'),
  t('Associated-URI', 856, 'UTF8String'),
  t('Alternate-Charged-Party-Address', 1280, 'UTF8String'),
  t('Time-Stamps', 833, 'Grouped'),
  t('SIP-Request-Timestamp', 834, 'Time'),
  t('SIP-Response-Timestamp', 835, 'Time'),
  t('SIP-Request-Timestamp-Fraction', 2301, 'Unsigned32'),
  t('SIP-Response-Timestamp-Fraction', 2302, 'Unsigned32'),
  t('Application-Server-Information', 850, 'Grouped'),
  t('Application-Server', 836, 'UTF8String'),
  t('Application-Provided-Called-Party-Address', 837, 'UTF8String'),
  t('Status-AS-Code', 2702, 'Enumerated'),
  t('Inter-Operator-Identifier', 838, 'Grouped'),
  t('Originating-IOI', 839, 'UTF8String'),
  t('Terminating-IOI', 840, 'UTF8String'),
  t('Transit-IOI-List', 2701, 'UTF8String'),
  t('IMS-Charging-Identifier', 841, 'UTF8String'),
  t('SDP-Session-Description', 842, 'UTF8String'),
  t('SDP-Media-Component', 843, 'Grouped'),
  t('SDP-Media-Name', 844, 'UTF8String'),
  t('SDP-Media-Description', 845, 'UTF8String'),
  t('SDP-Type', 2036, 'Enumerated'),
  t('Media-Initiator-Flag', 882, 'Enumerated'),
  t('Media-Initiator-Party', 1288, 'UTF8String'),
  t('Served-Party-IP-Address', 848, 'Address'),
  t('Message-Body', 889, 'Grouped'),
  t('Originator', 864, 'Enumerated'),
  t('Cause-Code', 861, 'Integer32'),
  t('Reason-Header', 3401, 'UTF8String'),
  t('Access-Network-Information', 1263, 'OctetString'),
  t('Cellular-Network-Information', 3924, 'OctetString'),
  t('IMS-Communication-Service-Identifier', 1281, 'UTF8String'),
  t('IMS-Application-Reference-Identifier', 2601, 'UTF8String'),
  t('Online-Charging-Flag', 2303, 'Enumerated'),
  t('Initial-IMS-Charging-Identifier', 2321, 'UTF8String'),
  t('From-Address', 2708, 'UTF8String'),
  t('IMS-Emergency-Indicator', 2322, 'Enumerated'),
  t('IMS-Visited-Network-Identifier', 2713, 'UTF8String'),
  t('Instance-Id', 3402, 'UTF8String'),
  t('Route-Header-Received', 3403, 'UTF8String'),
  t('Route-Header-Transmitted', 3404, 'UTF8String'),
  t('Early-Media-Description', 1272, 'Grouped'),
  t('Trunk-Group-Id', 851, 'Grouped'),
  t('Incoming-Trunk-Group-Id', 852, 'UTF8String'),
  t('Outgoing-Trunk-Group-Id', 853, 'UTF8String'),
  t('Bearer-Service', 854, 'OctetString'),
  t('Service-Id', 855, 'UTF8String'),
  t('Service-Specific-Info', 1249, 'Grouped'),
  t('Service-Specific-Data', 863, 'UTF8String'),
  t('Service-Specific-Type', 1257, 'Unsigned32'),
  t('Number-Portability-Routing-Information', 2024, 'UTF8String'),
  t('Carrier-Select-Routing-Information', 2023, 'UTF8String'),
  // PS / EPC (PS-Information and children)
  t('PS-Information', 874, 'Grouped'),
  t('3GPP-Charging-Id', 2, 'Unsigned32'),
  t('PDN-Connection-Charging-ID', 2050, 'Unsigned32'),
  t('Node-Id', 2064, 'UTF8String'),
  t('3GPP-PDP-Type', 3, 'Enumerated'),
  t('PDP-Address', 1227, 'Address'),
  t('PDP-Address-Prefix-Length', 2606, 'Unsigned32'),
  t('Dynamic-Address-Flag', 2051, 'Enumerated'),
  t('Dynamic-Address-Flag-Extension', 2068, 'Enumerated'),
  t('SGSN-Address', 1228, 'Address'),
  t('GGSN-Address', 847, 'Address'),
  t('SGW-Address', 2067, 'Address'),
  t('EPDG-Address', 3425, 'Address'),
  t('CG-Address', 846, 'Address'),
  t('Serving-Node-Type', 2047, 'Enumerated'),
  t('SGW-Change', 2065, 'Enumerated'),
  t('3GPP-IMSI-MCC-MNC', 8, 'UTF8String'),
  t('IMSI-Unauthenticated-Flag', 2308, 'Enumerated'),
  t('3GPP-GGSN-MCC-MNC', 9, 'UTF8String'),
  t('3GPP-NSAPI', 10, 'OctetString'),
  t('3GPP-Session-Stop-Indicator', 11, 'OctetString', 'mustnot'),
  t('3GPP-Selection-Mode', 12, 'UTF8String'),
  t('3GPP-Charging-Characteristics', 13, 'UTF8String'),
  t('Charging-Characteristics-Selection-Mode', 2066, 'Enumerated'),
  t('3GPP-SGSN-MCC-MNC', 18, 'UTF8String'),
  t('3GPP-MS-TimeZone', 23, 'OctetString'),
  t('Charging-Rule-Base-Name', 1004, 'UTF8String'),
  t('3GPP-User-Location-Info', 22, 'OctetString'),
  t('User-CSG-Information', 2319, 'Grouped'),
  t('3GPP-RAT-Type', 21, 'OctetString'),
  t('PS-Furnish-Charging-Information', 865, 'Grouped'),
  t('PS-Free-Format-Data', 866, 'OctetString'),
  t('PS-Append-Free-Format-Data', 867, 'Enumerated'),
  t('PDP-Context-Type', 1247, 'Enumerated'),
  t('Offline-Charging', 1278, 'Grouped'),
  t('Traffic-Data-Volumes', 2046, 'Grouped'),
  t('Service-Data-Container', 2040, 'Grouped'),
  t('Start-Time', 2041, 'Time'),
  t('Stop-Time', 2042, 'Time'),
  t('Change-Condition', 2037, 'Integer32'),
  t('Change-Time', 2038, 'Time'),
  t('Diagnostics', 2039, 'Integer32'),
  t('Time-First-Usage', 2043, 'Time'),
  t('Time-Last-Usage', 2044, 'Time'),
  t('Time-Usage', 2045, 'Unsigned32'),
  t('Local-Sequence-Number', 2063, 'Unsigned32'),
  t('AF-Correlation-Information', 1276, 'Grouped'),
  t('QoS-Information', 1016, 'Grouped'),
  t('Low-Priority-Indicator', 2602, 'Enumerated'),
  // SMS (SMS-Information and children)
  t('SMS-Information', 2000, 'Grouped'),
  t('SMS-Node', 2016, 'Enumerated'),
  t('Client-Address', 2018, 'Address'),
  t('Originator-SCCP-Address', 2008, 'Address'),
  t('SMSC-Address', 2017, 'Address'),
  t('Data-Coding-Scheme', 2001, 'Integer32'),
  t('SM-Discharge-Time', 2012, 'Time'),
  t('SM-Message-Type', 2007, 'Enumerated'),
  t('Originator-Interface', 2009, 'Grouped'),
  t('SM-Protocol-ID', 2013, 'OctetString'),
  t('Reply-Path-Requested', 2011, 'Enumerated'),
  t('SM-Status', 2014, 'OctetString'),
  t('SM-User-Data-Header', 2015, 'OctetString'),
  t('Number-Of-Messages-Sent', 2019, 'Unsigned32'),
  t('Recipient-Info', 2026, 'Grouped'),
  t('Recipient-Address', 1201, 'Grouped'),
  t('Originator-Received-Address', 2027, 'Grouped'),
  t('SM-Service-Type', 2029, 'Enumerated'),
  t('SMS-Result', 3409, 'Unsigned32'),
  t('Address-Type', 899, 'Enumerated'),
  t('Address-Data', 897, 'UTF8String'),
  t('Address-Domain', 898, 'Grouped'),
  // Other service containers (codes only)
  t('MMS-Information', 877, 'Grouped'),
  t('LCS-Information', 878, 'Grouped'),
  t('PoC-Information', 879, 'Grouped'),
  t('MBMS-Information', 880, 'Grouped'),
  t('MMTel-Information', 2030, 'Grouped'),
  t('AoC-Information', 2054, 'Grouped'),
];

/**
 * AVPs the §2.2 grammars (and the grammars added below) name but the §3.2 table does not list. Codes,
 * types and M rules checked against the Wireshark 4.0 dictionary installed here
 * (/usr/share/wireshark/diameter/TGPP.xml, TGPP2.xml), the source accounting-rf.md cites: M must unless it
 * says must-not (verify the M rules against TS 32.299 / 29.212 when a peer objects). No enum values.
 */
const REFERENCED: AvpDef[] = [
  t('Supported-Features', 628, 'Grouped'), // TS 29.229
  t('Server-Capabilities', 603, 'Grouped'), // TS 29.229
  t('Session-Priority', 650, 'Enumerated', 'mustnot'), // TS 29.229
  t('Access-Network-Charging-Identifier-Value', 503, 'OctetString'), // TS 29.214
  t('Sponsor-Identity', 531, 'UTF8String'), // TS 29.214
  t('Application-Service-Provider-Identity', 532, 'UTF8String'), // TS 29.214
  t('TDF-IP-Address', 1091, 'Address', 'mustnot'), // TS 29.212
  t('ADC-Rule-Base-Name', 1095, 'UTF8String'), // TS 29.212
  t('Terminal-Information', 1401, 'Grouped'), // TS 29.272
  t('Service-Generic-Information', 1256, 'Grouped'),
  t('Account-Expiration', 2309, 'Time'),
  t('Real-Time-Tariff-Information', 2305, 'Grouped'),
  t('IM-Information', 2110, 'Grouped'),
  t('DCD-Information', 2115, 'Grouped'),
  t('NNI-Information', 2703, 'Grouped'),
  t('Access-Transfer-Information', 2709, 'Grouped'),
  t('Related-IMS-Charging-Identifier', 2711, 'UTF8String'),
  t('Related-IMS-Charging-Identifier-Node', 2712, 'Address'),
  t('TWAN-User-Location-Info', 2714, 'Grouped'),
  t('TAD-Identifier', 2717, 'Enumerated'),
  t('User-Location-Info-Time', 2812, 'Time'),
  t('Presence-Reporting-Area-Information', 2822, 'Grouped'), // TS 29.212
  t('Presence-Reporting-Area-Status', 2823, 'Enumerated'), // TS 29.212
  t('Access-Availability-Change-Reason', 2833, 'Unsigned32'), // TS 29.212
  t('Traffic-Steering-Policy-Identifier-DL', 2836, 'OctetString'), // TS 29.212
  t('Traffic-Steering-Policy-Identifier-UL', 2837, 'OctetString'), // TS 29.212
  t('Application-Port-Identifier', 3010, 'Unsigned32'),
  t('External-Identifier', 3111, 'UTF8String'),
  t('MTC-IWF-Address', 3406, 'Address'),
  t('SM-Device-Trigger-Indicator', 3407, 'Enumerated'),
  t('VCS-Information', 3410, 'Grouped'),
  t('Enhanced-Diagnostics', 3901, 'Grouped'),
  t('Called-Identity-Change', 3917, 'Grouped'),
  t('UWAN-User-Location-Info', 3918, 'Grouped'),
  t('Related-Change-Condition-Information', 3925, 'Grouped'),
  t('CP-CIoT-EPS-Optimisation-Indicator', 3930, 'Enumerated'),
  t('APN-Rate-Control', 3933, 'Grouped'),
  t('Serving-PLMN-Rate-Control', 4310, 'Grouped'),
  t('Access-Network-Info-Change', 4401, 'Grouped'),
  t('3GPP-PS-Data-Off-Status', 4406, 'Enumerated'),
  t('FE-Identifier-List', 4413, 'UTF8String'),
  avpMaker(VENDOR_3GPP2, SOURCE)('3GPP2-BSID', 9010, 'UTF8String'), // vendor 3GPP2
  // Children of grouped AVPs of the §3.2 table whose grammars are given below (same source).
  t('QoS-Class-Identifier', 1028, 'Enumerated'), // TS 29.212 QoS-Information
  t('Max-Requested-Bandwidth-DL', 515, 'Unsigned32'),
  t('Max-Requested-Bandwidth-UL', 516, 'Unsigned32'),
  t('Guaranteed-Bitrate-DL', 1025, 'Unsigned32'),
  t('Guaranteed-Bitrate-UL', 1026, 'Unsigned32'),
  t('Bearer-Identifier', 1020, 'OctetString'),
  t('Allocation-Retention-Priority', 1034, 'Grouped'),
  t('Priority-Level', 1046, 'Unsigned32'),
  t('Pre-emption-Capability', 1047, 'Enumerated'),
  t('Pre-emption-Vulnerability', 1048, 'Enumerated'),
  t('APN-Aggregate-Max-Bitrate-DL', 1040, 'Unsigned32', 'mustnot'),
  t('APN-Aggregate-Max-Bitrate-UL', 1041, 'Unsigned32', 'mustnot'),
  t('CSG-Id', 1437, 'Unsigned32'), // User-CSG-Information
  t('CSG-Access-Mode', 2317, 'Enumerated'),
  t('CSG-Membership-Indication', 2318, 'Enumerated'),
  t('Domain-Name', 1200, 'UTF8String'), // Address-Domain
  t('Addressee-Type', 1208, 'Enumerated'), // Recipient-Address
  t('SDP-TimeStamps', 1273, 'Grouped'), // Early-Media-Description
  t('SDP-Offer-Timestamp', 1274, 'Time'),
  t('SDP-Answer-Timestamp', 1275, 'Time'),
  t('Destination-Interface', 2002, 'Grouped'), // Recipient-Info
  t('Interface-Id', 2003, 'UTF8String'), // Originator-/Destination-Interface
  t('Interface-Port', 2004, 'UTF8String'),
  t('Interface-Text', 2005, 'UTF8String'),
  t('Interface-Type', 2006, 'Enumerated'),
  t('Recipient-SCCP-Address', 2010, 'Address'),
  t('Recipient-Received-Address', 2028, 'Grouped'),
];

/** accounting-rf.md §4.1 (notes dropped; where a value was renamed across releases, the Rel-17 name). */
const ENUMS: Record<string, string> = {
  // Rel-17 has 2 FORWARDING_ROLE; older releases 2 PROXY_ROLE and 3 B2BUA_ROLE, kept so their value 3 is known.
  'Role-Of-Node': '0 ORIGINATING_ROLE, 1 TERMINATING_ROLE, 2 FORWARDING_ROLE, 3 B2BUA_ROLE',
  'Node-Functionality':
    '0 S-CSCF, 1 P-CSCF, 2 I-CSCF, 3 MRFC, 4 MGCF, 5 BGCF, 6 AS, 7 IBCF, 8 S-GW, 9 P-GW, 10 HSGW, ' +
    '11 E-CSCF, 12 MME, 13 TRF, 14 TF, 15 ATCF, 16 Proxy Function, 17 ePDG',
  '3GPP-PDP-Type': '0 IPv4, 1 PPP, 2 IPv6, 3 IPv4v6',
  'Serving-Node-Type': '0 SGSN, 1 PMIPSGW, 2 GTPSGW, 3 ePDG, 4 hSGW, 5 MME, 6 TWAN',
  'Dynamic-Address-Flag': '0 Static, 1 Dynamic',
  'SGW-Change': '0 ACR_Start_NOT_due_to_SGW_Change, 1 ACR_Start_due_to_SGW_Change',
  'PDP-Context-Type': '0 PRIMARY, 1 SECONDARY',
  'Charging-Characteristics-Selection-Mode':
    '0 Serving-Node-Supplied, 1 Subscription-specific, 2 APN-specific, 3 Home-Default, 4 Roaming-Default, ' +
    '5 Visiting-Default',
  'SDP-Type': '0 SDP Offer, 1 SDP Answer',
  'Media-Initiator-Flag': '0 called party, 1 calling party, 2 unknown',
  Originator: '0 Calling Party, 1 Called Party',
  'Online-Charging-Flag': '0 ECF address not provided, 1 ECF address provided',
  'SMS-Node': '0 SMS Router, 1 IP-SM-GW, 2 SMS Router and IP-SM-GW, 3 SMS-SC',
  'SM-Message-Type': '0 SUBMISSION, 1 DELIVERY_REPORT, 2 SM Service Request',
  // Integer32, not Enumerated: the names are for display; the validator checks Enumerated values only.
  'Change-Condition':
    '0 Normal Release, 1 Abnormal Release, 2 QoS Change, 3 Volume Limit, 4 Time Limit, 5 Serving Node Change, ' +
    '6 Serving Node PLMN Change, 7 User Location Change, 8 RAT Change, 9 UE Time Zone Change, ' +
    '10 Tariff Time Change, 11 Service Idled Out, 12 Service Specific Time Limit, ' +
    '13 Max Number of Changes in Charging Conditions, 14 CGI-SAI Change, 15 RAI Change, 16 ECGI Change, ' +
    '17 TAI Change, 18 Service Data Volume Limit, 19 Service Data Time Limit, 20 Management Intervention, ' +
    '21 Service Stop, 22 User CSG Information Change, 23 S-GW Change, ' +
    '24 Change of UE Presence in Presence Reporting Area',
  // Integer32: the named outcomes only; 4xx/5xx/6xx are SIP status codes and stay unnamed.
  'Cause-Code':
    '0 Normal end of session, -1 Successful transaction, -2 End of SUBSCRIBE dialog, 1 Unspecified error, ' +
    '2 Unsuccessful session setup, 3 Internal error',
};

/** Attaches grammars and enumerations by name; a name that matches no AVP is a bug in this file. */
function assemble(defs: AvpDef[]): AvpDef[] {
  const out = new Map<string, AvpDef>();
  for (const d of defs) {
    if (out.has(d.name.toLowerCase())) throw new Error(`tgpp-rf.ts: ${d.name} defined twice`);
    out.set(d.name.toLowerCase(), { ...d });
  }
  const need = (name: string, types: DataType[]): AvpDef => {
    const d = out.get(name.toLowerCase());
    if (!d) throw new Error(`tgpp-rf.ts: no AVP named ${name}`);
    if (!types.includes(d.type)) throw new Error(`tgpp-rf.ts: ${name} is ${d.type}, not ${types.join('/')}`);
    return d;
  };
  for (const [name, g] of Object.entries(TGPP_GRAMMARS)) need(name, ['Grouped']).grammar = g;
  for (const [name, text] of Object.entries(ENUMS))
    need(name, ['Enumerated', 'Integer32']).enums = enums(text);
  return [...out.values()];
}

export const TGPP_AVPS: AvpDef[] = assemble([...TABLE, ...REFERENCED]);

/** The Rf ACR/ACA (TS 32.299, accounting-rf.md §2.1): the command builtin.ts registers for application 3. */
export const RF_ACCOUNTING_COMMAND: CommandDef = {
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
              [ User-Name ]
              [ Destination-Host ]
              [ Acct-Interim-Interval ]
              [ Origin-State-Id ]
              [ Event-Timestamp ]
            * [ Proxy-Info ]
            * [ Route-Record ]
              [ Service-Context-Id ]
              [ Service-Information ]
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
              [ User-Name ]
              [ Error-Message ]
              [ Error-Reporting-Host ]
              [ Acct-Interim-Interval ]
              [ Failed-AVP ]
              [ Origin-State-Id ]
              [ Event-Timestamp ]
            * [ Proxy-Info ]
            * [ AVP ]
  `),
};

export const TGPP_RF_DATA: DictionaryData = { avps: TGPP_AVPS, commands: [RF_ACCOUNTING_COMMAND] };
