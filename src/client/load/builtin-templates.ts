/**
 * The built-in ACR templates of `diamkit load --template ims|pgw`, in our JSON message form. Their shapes
 * follow the Rf vectors (shared/spec test vectors 05, IMS S-CSCF, and 11, P-GW bearer) and TS 32.299's
 * ACR grammar (accounting-rf.md §2.1): the generator fills in Accounting-Record-Type/-Number, the ids,
 * Event-Timestamp and the times written ${sent} / ${sessionStart} for each record (acr-template.ts).
 */
import type { AvpJson, MessageJson } from '../../dictionary/message-format.js';
import type { RecordKind } from './acr-template.js';

function acr(serviceContextId: string, userName: string, serviceInformation: AvpJson[]): MessageJson {
  return {
    command: 'ACR',
    application: 3,
    avps: [
      { 'Session-Id': '${session}' },
      { 'Origin-Host': '${originHost}' },
      { 'Origin-Realm': '${originRealm}' },
      { 'Destination-Realm': '${destinationRealm}' },
      { 'Acct-Application-Id': 3 },
      { 'User-Name': userName },
      { 'Event-Timestamp': '${now}' },
      { 'Service-Context-Id': serviceContextId },
      { 'Service-Information': serviceInformation },
    ],
  };
}

/** IMS, an S-CSCF on the originating side (TS 32.260): INVITE opens, BYE closes (vector 05's shape). */
function ims(sipMethod: string): MessageJson {
  return acr('32260@3gpp.org', 'user${sessionNumber}@${originRealm}', [
    {
      'Subscription-Id': [
        { 'Subscription-Id-Type': 'END_USER_SIP_URI' },
        { 'Subscription-Id-Data': 'sip:user${sessionNumber}@${originRealm}' },
      ],
    },
    {
      'IMS-Information': [
        { 'Node-Functionality': 'S-CSCF' },
        { 'Event-Type': [{ 'SIP-Method': sipMethod }] },
        { 'Role-Of-Node': 'ORIGINATING_ROLE' },
        { 'User-Session-Id': 'call-${sessionNumber}@${originHost}' },
        { 'Calling-Party-Address': 'sip:user${sessionNumber}@${originRealm}' },
        { 'Called-Party-Address': 'sip:peer${sessionNumber}@${destinationRealm}' },
        // The SIP transaction behind each record (INVITE, BYE) happens as it is sent.
        { 'Time-Stamps': [{ 'SIP-Request-Timestamp': '${sent}' }, { 'SIP-Response-Timestamp': '${sent}' }] },
        { 'IMS-Charging-Identifier': 'icid-${sessionNumber}' },
      ],
    },
  ]);
}

/** EPC, a P-GW IP-CAN bearer (TS 32.251): usage containers on INTERIM and STOP (vector 11's shape). */
function pgw(kind: RecordKind): MessageJson {
  const ps: AvpJson[] = [
    { '3GPP-Charging-Id': 43981 },
    { 'Node-Id': 'pgw01' },
    { '3GPP-PDP-Type': 'IPv4' },
    { 'PDP-Address': '10.45.0.2' },
    { 'SGSN-Address': '192.0.2.30' },
    { 'GGSN-Address': '192.0.2.40' },
    { 'Serving-Node-Type': 'GTPSGW' },
    { '3GPP-IMSI-MCC-MNC': '00101' },
    { 'Called-Station-Id': 'internet' },
    { '3GPP-Charging-Characteristics': '0800' },
    { '3GPP-RAT-Type': { hex: '06' } },
  ];
  if (kind === 'interim' || kind === 'stop') {
    ps.push({
      'Service-Data-Container': [
        { 'Accounting-Input-Octets': '12345' },
        { 'Accounting-Output-Octets': '678901' },
        { 'Rating-Group': 100 },
        { 'Change-Time': '${sent}' },
        { 'Time-Usage': '${sinceLast}' },
        // TS 32.299 Change-Condition: 0 normal release (STOP), 4 record closure (INTERIM).
        { 'Change-Condition': kind === 'stop' ? 0 : 4 },
      ],
    });
  }
  // The bearer's start and end (TS 32.299 Start-Time / Stop-Time), so a CDR's startTime and stopTime span
  // the session as the generator ran it.
  ps.push({ 'Start-Time': '${sessionStart}' });
  if (kind === 'stop') ps.push({ 'Stop-Time': '${sent}' });
  return acr('32251@3gpp.org', '00101${sessionNumber}', [
    {
      'Subscription-Id': [
        { 'Subscription-Id-Type': 'END_USER_IMSI' },
        { 'Subscription-Id-Data': '00101${sessionNumber}' },
      ],
    },
    {
      'Subscription-Id': [
        { 'Subscription-Id-Type': 'END_USER_E164' },
        { 'Subscription-Id-Data': '1555${sessionNumber}' },
      ],
    },
    { 'PS-Information': ps },
  ]);
}

export const BUILTIN_TEMPLATES: Record<string, Partial<Record<RecordKind | 'default', MessageJson>>> = {
  ims: { start: ims('INVITE'), interim: ims('INVITE'), stop: ims('BYE'), event: ims('MESSAGE') },
  pgw: { start: pgw('start'), interim: pgw('interim'), stop: pgw('stop'), event: pgw('stop') },
};
