/**
 * ACRs for the CDF tests, written in the JSON message form (docs/message-format.md) and turned into
 * messages with messageFromJson over the built-in dictionary. The IMS and P-GW shapes start from the
 * fixtures of vectors 05 (ACR START, S-CSCF, IMS-Information) and 11 (ACR STOP, P-GW, PS-Information),
 * so a test sends what an independent implementation produced, with only the fields it varies changed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import type { Dictionary } from '../../src/dictionary/dictionary.js';
import {
  messageFromJson,
  type AvpJson,
  type JsonValue,
  type MessageJson,
} from '../../src/dictionary/message-format.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/vectors/', import.meta.url));

/** A vector's JSON form (test/fixtures/vectors/NAME.json), deep-copied so a test may change it. */
export function vectorJson(name: string): MessageJson {
  return JSON.parse(readFileSync(`${FIXTURES}${name}.json`, 'utf8')) as MessageJson;
}

export type RecordTypeName = 'EVENT_RECORD' | 'START_RECORD' | 'INTERIM_RECORD' | 'STOP_RECORD';

export interface AcrSpec {
  sessionId: string;
  recordType: RecordTypeName | number;
  /** null leaves Accounting-Record-Number out (vector 10's scenario). */
  recordNumber: number | null;
  originHost?: string;
  originRealm?: string;
  destinationRealm?: string;
  userName?: string;
  eventTimestamp?: string;
  serviceContextId?: string;
  acctInterimInterval?: number;
  /** Children of Service-Information, in the JSON form; none → no Service-Information AVP. */
  serviceInformation?: AvpJson[];
  /** Further top-level AVPs, appended. */
  extra?: AvpJson[];
  /** Header flags letters (default "RP"; "RPT" marks a retransmission). */
  flags?: string;
}

export function acrJson(s: AcrSpec): MessageJson {
  const avps: AvpJson[] = [
    { 'Session-Id': s.sessionId },
    { 'Origin-Host': s.originHost ?? 'ctf.example.com' },
    { 'Origin-Realm': s.originRealm ?? 'example.com' },
    { 'Destination-Realm': s.destinationRealm ?? 'example.net' },
    { 'Accounting-Record-Type': s.recordType },
  ];
  if (s.recordNumber !== null) avps.push({ 'Accounting-Record-Number': s.recordNumber });
  avps.push({ 'Acct-Application-Id': 3 });
  if (s.userName !== undefined) avps.push({ 'User-Name': s.userName });
  if (s.acctInterimInterval !== undefined) avps.push({ 'Acct-Interim-Interval': s.acctInterimInterval });
  if (s.eventTimestamp !== undefined) avps.push({ 'Event-Timestamp': s.eventTimestamp });
  if (s.serviceContextId !== undefined) avps.push({ 'Service-Context-Id': s.serviceContextId });
  if (s.serviceInformation) avps.push({ 'Service-Information': s.serviceInformation as JsonValue });
  for (const a of s.extra ?? []) avps.push(a);
  return { command: 'ACR', application: 3, flags: s.flags ?? 'RP', avps };
}

let dict: Dictionary | undefined;
/** The built-in dictionary, built once per test file. */
export function dictionary(): Dictionary {
  return (dict ??= builtinDictionary());
}

export function acr(s: AcrSpec): Message {
  return messageFromJson(acrJson(s), dictionary());
}

// ---------------------------------------------------------------------------------------------------
// IMS (vector 05)

export interface ImsParts {
  sipMethod?: string;
  nodeFunctionality?: string;
  role?: string;
  userSessionId?: string;
  calling?: string[];
  called?: string;
  requestTime?: string;
  responseTime?: string;
  icid?: string;
  subscription?: { type: string; data: string };
  ioi?: { originating: string; terminating: string };
  causeCode?: number;
}

/** Service-Information of vector 05 (S-CSCF, INVITE, originating), with `p` overriding fields. */
export function imsServiceInformation(p: ImsParts = {}): AvpJson[] {
  const ts: AvpJson[] = [];
  if (p.requestTime !== '') ts.push({ 'SIP-Request-Timestamp': p.requestTime ?? '2024-01-01T00:00:00Z' });
  if (p.responseTime !== '') ts.push({ 'SIP-Response-Timestamp': p.responseTime ?? '2024-01-01T00:00:02Z' });
  const sub = p.subscription ?? { type: 'END_USER_SIP_URI', data: 'sip:alice@example.com' };
  const ims: AvpJson[] = [
    { 'Node-Functionality': p.nodeFunctionality ?? 'S-CSCF' },
    { 'Event-Type': [{ 'SIP-Method': p.sipMethod ?? 'INVITE' }] },
    { 'Role-Of-Node': p.role ?? 'ORIGINATING_ROLE' },
    { 'User-Session-Id': p.userSessionId ?? 'call-0001@ctf.example.com' },
    ...(p.calling ?? ['sip:alice@example.com']).map((c) => ({ 'Calling-Party-Address': c })),
    { 'Called-Party-Address': p.called ?? 'sip:bob@example.net' },
  ];
  if (ts.length) ims.push({ 'Time-Stamps': ts });
  if (p.ioi)
    ims.push({
      'Inter-Operator-Identifier': [
        { 'Originating-IOI': p.ioi.originating },
        { 'Terminating-IOI': p.ioi.terminating },
      ],
    });
  ims.push({ 'IMS-Charging-Identifier': p.icid ?? 'icid-0001' });
  if (p.causeCode !== undefined) ims.push({ 'Cause-Code': p.causeCode });
  return [
    { 'Subscription-Id': [{ 'Subscription-Id-Type': sub.type }, { 'Subscription-Id-Data': sub.data }] },
    { 'IMS-Information': ims },
  ];
}

// ---------------------------------------------------------------------------------------------------
// P-GW (vector 11)

export interface ServiceDataContainer {
  ratingGroup: number;
  uplink: bigint | number;
  downlink: bigint | number;
  localSequenceNumber: number;
  changeTime: string;
  timeUsage?: number;
  changeCondition?: number;
  firstUsage?: string;
  lastUsage?: string;
}

export function sdc(c: ServiceDataContainer): AvpJson {
  const avps: AvpJson[] = [
    { 'Accounting-Input-Octets': String(c.uplink) },
    { 'Accounting-Output-Octets': String(c.downlink) },
    { 'Local-Sequence-Number': c.localSequenceNumber },
    { 'Rating-Group': c.ratingGroup },
    { 'Change-Time': c.changeTime },
  ];
  if (c.firstUsage) avps.push({ 'Time-First-Usage': c.firstUsage });
  if (c.lastUsage) avps.push({ 'Time-Last-Usage': c.lastUsage });
  if (c.timeUsage !== undefined) avps.push({ 'Time-Usage': c.timeUsage });
  if (c.changeCondition !== undefined) avps.push({ 'Change-Condition': c.changeCondition });
  return { 'Service-Data-Container': avps };
}

/**
 * Service-Information of vector 11 (IMSI + MSISDN, PS-Information of a P-GW bearer) with the given
 * containers in place of the vector's one; `stop` adds Stop-Time as the vector's STOP does.
 */
export function pgwServiceInformation(containers: AvpJson[], opts: { stop?: boolean } = {}): AvpJson[] {
  const si = vectorJson('11-acr-stop-pgw').avps.find((a) => 'Service-Information' in a)![
    'Service-Information'
  ] as AvpJson[];
  const ps = (si.find((a) => 'PS-Information' in a)!['PS-Information'] as AvpJson[]).filter(
    (a) => !('Service-Data-Container' in a) && (opts.stop || !('Stop-Time' in a)),
  );
  const at = ps.findIndex((a) => 'Start-Time' in a);
  ps.splice(at, 0, ...containers);
  return si.map((a) => ('PS-Information' in a ? { 'PS-Information': ps } : a));
}
