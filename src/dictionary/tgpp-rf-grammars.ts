/**
 * The grouped grammars of 3GPP Rf (accounting-rf.md §2.2, then those of the other §3.2 grouped AVPs), by AVP
 * name; tgpp-rf.ts attaches them to its AVP definitions. Each keeps `* [ AVP ]`: the §2.2 lists are abridged
 * and 3GPP extends them in every release (see tgpp-rf.ts).
 */
import type { Grammar } from './types.js';
import { ANY_AVP, grammar } from './grammar.js';

/**
 * Names the §2.2 grammars use that no dictionary on this machine defines (no code to check them against):
 * the rules stay in the grammars, matching nothing until a user dictionary defines the AVP, and the
 * `* [ AVP ]` of each 3GPP grammar accepts them meanwhile.
 */
export const UNDEFINED_GRAMMAR_NAMES = [
  'CPDT-Information',
  'IP-Realm-Default-Indication',
  'Local-GW-Inserted-Indication',
  'M2M-Information',
  'ProSe-Information',
  'Transcoder-Inserted-Indication',
  'VoLTE-Information',
] as const;

/** A 3GPP grouped grammar: the spec's rules plus `* [ AVP ]` (see the header comment). */
function open3gpp(text: string): Grammar {
  const g = grammar(text);
  if (!g.optional.some((r) => r.avp === ANY_AVP)) g.optional.push({ avp: ANY_AVP, min: 0, max: Infinity });
  return g;
}

/** accounting-rf.md §2.2, then the grammars of other §3.2 grouped AVPs (TS 32.299 / 29.212; verify). */
export const TGPP_GRAMMARS: Record<string, Grammar> = {
  'Service-Information': open3gpp(`
    Service-Information ::= < AVP Header: 873 >
            * [ Subscription-Id ]
              [ AoC-Information ]
              [ PS-Information ]
              [ IMS-Information ]
              [ MMS-Information ]
              [ LCS-Information ]
              [ PoC-Information ]
              [ MBMS-Information ]
              [ SMS-Information ]
              [ VCS-Information ]
              [ MMTel-Information ]
              [ ProSe-Information ]
              [ Service-Generic-Information ]
              [ IM-Information ]
              [ DCD-Information ]
              [ M2M-Information ]
              [ CPDT-Information ]
  `),
  'IMS-Information': open3gpp(`
    IMS-Information ::= < AVP Header: 876 >
              [ Event-Type ]
              [ Role-Of-Node ]
              { Node-Functionality }
              [ User-Session-Id ]
              [ Outgoing-Session-Id ]
              [ Session-Priority ]
            * [ Calling-Party-Address ]
              [ Called-Party-Address ]
            * [ Called-Asserted-Identity ]
              [ Called-Identity-Change ]
              [ Number-Portability-Routing-Information ]
              [ Carrier-Select-Routing-Information ]
              [ Alternate-Charged-Party-Address ]
            * [ Requested-Party-Address ]
            * [ Associated-URI ]
              [ Time-Stamps ]
            * [ Application-Server-Information ]
            * [ Inter-Operator-Identifier ]
            * [ Transit-IOI-List ]
              [ IMS-Charging-Identifier ]
            * [ SDP-Session-Description ]
            * [ SDP-Media-Component ]
              [ Served-Party-IP-Address ]
              [ Server-Capabilities ]
              [ Trunk-Group-ID ]
              [ Bearer-Service ]
              [ Service-Id ]
            * [ Service-Specific-Info ]
            * [ Message-Body ]
              [ Cause-Code ]
            * [ Reason-Header ]
            * [ Access-Network-Information ]
              [ Cellular-Network-Information ]
            * [ Early-Media-Description ]
              [ IMS-Communication-Service-Identifier ]
              [ IMS-Application-Reference-Identifier ]
              [ Online-Charging-Flag ]
              [ Real-Time-Tariff-Information ]
              [ Account-Expiration ]
              [ Initial-IMS-Charging-Identifier ]
            * [ NNI-Information ]
              [ From-Address ]
              [ IMS-Emergency-Indicator ]
              [ IMS-Visited-Network-Identifier ]
            * [ Access-Network-Info-Change ]
            * [ Access-Transfer-Information ]
              [ Related-IMS-Charging-Identifier ]
              [ Related-IMS-Charging-Identifier-Node ]
              [ Route-Header-Received ]
              [ Route-Header-Transmitted ]
              [ Instance-Id ]
              [ TAD-Identifier ]
              [ FE-Identifier-List ]
  `),
  'Event-Type': open3gpp(`
    Event-Type ::= < AVP Header: 823 >
              [ SIP-Method ]
              [ Event ]
              [ Expires ]
  `),
  'Time-Stamps': open3gpp(`
    Time-Stamps ::= < AVP Header: 833 >
              [ SIP-Request-Timestamp ]
              [ SIP-Response-Timestamp ]
              [ SIP-Request-Timestamp-Fraction ]
              [ SIP-Response-Timestamp-Fraction ]
  `),
  'Inter-Operator-Identifier': open3gpp(`
    Inter-Operator-Identifier ::= < AVP Header: 838 >
              [ Originating-IOI ]
              [ Terminating-IOI ]
  `),
  'Application-Server-Information': open3gpp(`
    Application-Server-Information ::= < AVP Header: 850 >
              [ Application-Server ]
            * [ Application-Provided-Called-Party-Address ]
              [ Status-AS-Code ]
  `),
  'SDP-Media-Component': open3gpp(`
    SDP-Media-Component ::= < AVP Header: 843 >
              [ SDP-Media-Name ]
            * [ SDP-Media-Description ]
              [ Local-GW-Inserted-Indication ]
              [ IP-Realm-Default-Indication ]
              [ Transcoder-Inserted-Indication ]
              [ Media-Initiator-Flag ]
              [ Media-Initiator-Party ]
              [ 3GPP-Charging-Id ]
              [ Access-Network-Charging-Identifier-Value ]
              [ SDP-Type ]
  `),
  // The spec's list stops at Low-Priority-Indicator ("Rel-13+ … AVPs omitted"); `* [ AVP ]` covers the rest.
  'PS-Information': open3gpp(`
    PS-Information ::= < AVP Header: 874 >
            * [ Supported-Features ]
              [ 3GPP-Charging-Id ]
              [ PDN-Connection-Charging-ID ]
              [ Node-Id ]
              [ 3GPP-PDP-Type ]
            * [ PDP-Address ]
              [ PDP-Address-Prefix-Length ]
              [ Dynamic-Address-Flag ]
              [ Dynamic-Address-Flag-Extension ]
              [ QoS-Information ]
            * [ SGSN-Address ]
            * [ GGSN-Address ]
            * [ TDF-IP-Address ]
            * [ SGW-Address ]
            * [ EPDG-Address ]
              [ CG-Address ]
              [ Serving-Node-Type ]
              [ SGW-Change ]
              [ 3GPP-IMSI-MCC-MNC ]
              [ IMSI-Unauthenticated-Flag ]
              [ 3GPP-GGSN-MCC-MNC ]
              [ 3GPP-NSAPI ]
              [ Called-Station-Id ]
              [ 3GPP-Session-Stop-Indicator ]
              [ 3GPP-Selection-Mode ]
              [ 3GPP-Charging-Characteristics ]
              [ Charging-Characteristics-Selection-Mode ]
              [ 3GPP-SGSN-MCC-MNC ]
              [ 3GPP-MS-TimeZone ]
              [ Charging-Rule-Base-Name ]
              [ ADC-Rule-Base-Name ]
              [ 3GPP-User-Location-Info ]
              [ User-Location-Info-Time ]
              [ User-CSG-Information ]
            * [ Presence-Reporting-Area-Information ]
              [ 3GPP2-BSID ]
              [ TWAN-User-Location-Info ]
              [ UWAN-User-Location-Info ]
              [ 3GPP-RAT-Type ]
              [ PS-Furnish-Charging-Information ]
              [ PDP-Context-Type ]
              [ Offline-Charging ]
            * [ Traffic-Data-Volumes ]
            * [ Service-Data-Container ]
              [ User-Equipment-Info ]
              [ Terminal-Information ]
              [ Start-Time ]
              [ Stop-Time ]
              [ Change-Condition ]
              [ Diagnostics ]
              [ Low-Priority-Indicator ]
  `),
  'Service-Data-Container': open3gpp(`
    Service-Data-Container ::= < AVP Header: 2040 >
              [ AF-Correlation-Information ]
              [ Charging-Rule-Base-Name ]
              [ Accounting-Input-Octets ]
              [ Accounting-Output-Octets ]
              [ Local-Sequence-Number ]
              [ QoS-Information ]
              [ Rating-Group ]
              [ Change-Time ]
              [ Service-Identifier ]
              [ Service-Specific-Info ]
              [ ADC-Rule-Base-Name ]
              [ SGSN-Address ]
              [ Time-First-Usage ]
              [ Time-Last-Usage ]
              [ Time-Usage ]
            * [ Change-Condition ]
              [ 3GPP-User-Location-Info ]
              [ 3GPP2-BSID ]
              [ UWAN-User-Location-Info ]
              [ TWAN-User-Location-Info ]
              [ Sponsor-Identity ]
              [ Application-Service-Provider-Identity ]
            * [ Presence-Reporting-Area-Information ]
              [ Presence-Reporting-Area-Status ]
              [ User-CSG-Information ]
              [ 3GPP-RAT-Type ]
              [ Related-Change-Condition-Information ]
              [ Serving-PLMN-Rate-Control ]
              [ APN-Rate-Control ]
              [ 3GPP-PS-Data-Off-Status ]
              [ Traffic-Steering-Policy-Identifier-DL ]
              [ Traffic-Steering-Policy-Identifier-UL ]
              [ VoLTE-Information ]
  `),
  // Multiplicities as the spec prints them (it marks them "verify").
  'Traffic-Data-Volumes': open3gpp(`
    Traffic-Data-Volumes ::= < AVP Header: 2046 >
              [ QoS-Information ]
              [ Accounting-Input-Octets ]
              [ Accounting-Output-Octets ]
              [ Change-Condition ]
              [ Change-Time ]
              [ 3GPP-User-Location-Info ]
              [ UWAN-User-Location-Info ]
              [ 3GPP-Charging-Id ]
              [ Presence-Reporting-Area-Status ]
              [ User-CSG-Information ]
              [ 3GPP-RAT-Type ]
              [ Access-Availability-Change-Reason ]
              [ Related-Change-Condition-Information ]
              [ Diagnostics ]
              [ Enhanced-Diagnostics ]
              [ CP-CIoT-EPS-Optimisation-Indicator ]
              [ Serving-PLMN-Rate-Control ]
  `),
  'SMS-Information': open3gpp(`
    SMS-Information ::= < AVP Header: 2000 >
              [ SMS-Node ]
              [ Client-Address ]
              [ Originator-SCCP-Address ]
              [ SMSC-Address ]
              [ Data-Coding-Scheme ]
              [ SM-Discharge-Time ]
              [ SM-Message-Type ]
              [ Originator-Interface ]
              [ SM-Protocol-ID ]
              [ Reply-Path-Requested ]
              [ SM-Status ]
              [ SM-User-Data-Header ]
              [ Number-Of-Messages-Sent ]
            * [ Recipient-Info ]
              [ Originator-Received-Address ]
              [ SM-Service-Type ]
              [ SMS-Result ]
              [ SM-Device-Trigger-Indicator ]
              [ MTC-IWF-Address ]
              [ Application-Port-Identifier ]
              [ External-Identifier ]
  `),
  // Not in accounting-rf.md §2.2: TS 32.299 grammars of grouped AVPs of the §3.2 table (members checked
  // against the installed Wireshark dictionary; multiplicities verify).
  'Message-Body': open3gpp(`
              { Content-Type }
              { Content-Length }
              [ Content-Disposition ]
              [ Originator ]
  `),
  'Trunk-Group-Id': open3gpp(`
              [ Incoming-Trunk-Group-Id ]
              [ Outgoing-Trunk-Group-Id ]
  `),
  'Service-Specific-Info': open3gpp(`
              [ Service-Specific-Data ]
              [ Service-Specific-Type ]
  `),
  'Early-Media-Description': open3gpp(`
              [ SDP-TimeStamps ]
            * [ SDP-Media-Component ]
            * [ SDP-Session-Description ]
  `),
  'SDP-TimeStamps': open3gpp(`
              [ SDP-Offer-Timestamp ]
              [ SDP-Answer-Timestamp ]
  `),
  'PS-Furnish-Charging-Information': open3gpp(`
              { 3GPP-Charging-Id }
              { PS-Free-Format-Data }
              [ PS-Append-Free-Format-Data ]
  `),
  'User-CSG-Information': open3gpp(`
              { CSG-Id }
              { CSG-Access-Mode }
              [ CSG-Membership-Indication ]
  `),
  // TS 29.212 §5.3.16 (abridged to the members the installed dictionary lists).
  'QoS-Information': open3gpp(`
              [ QoS-Class-Identifier ]
              [ Max-Requested-Bandwidth-UL ]
              [ Max-Requested-Bandwidth-DL ]
              [ Guaranteed-Bitrate-UL ]
              [ Guaranteed-Bitrate-DL ]
              [ Bearer-Identifier ]
              [ Allocation-Retention-Priority ]
              [ APN-Aggregate-Max-Bitrate-UL ]
              [ APN-Aggregate-Max-Bitrate-DL ]
  `),
  'Allocation-Retention-Priority': open3gpp(`
              { Priority-Level }
              [ Pre-emption-Capability ]
              [ Pre-emption-Vulnerability ]
  `),
  'Originator-Interface': open3gpp(`
              [ Interface-Id ]
              [ Interface-Text ]
              [ Interface-Port ]
              [ Interface-Type ]
  `),
  'Destination-Interface': open3gpp(`
              [ Interface-Id ]
              [ Interface-Text ]
              [ Interface-Port ]
              [ Interface-Type ]
  `),
  'Recipient-Info': open3gpp(`
              [ Destination-Interface ]
            * [ Recipient-Address ]
            * [ Recipient-Received-Address ]
              [ Recipient-SCCP-Address ]
              [ SM-Protocol-ID ]
  `),
  'Recipient-Address': open3gpp(`
              [ Address-Type ]
              [ Address-Data ]
              [ Address-Domain ]
              [ Addressee-Type ]
  `),
  'Originator-Received-Address': open3gpp(`
              [ Address-Type ]
              [ Address-Data ]
              [ Address-Domain ]
  `),
  'Recipient-Received-Address': open3gpp(`
              [ Address-Type ]
              [ Address-Data ]
              [ Address-Domain ]
  `),
  'Address-Domain': open3gpp(`
              [ Domain-Name ]
              [ 3GPP-IMSI-MCC-MNC ]
  `),
};
