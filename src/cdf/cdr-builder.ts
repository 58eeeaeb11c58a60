/**
 * Building CDRs from the ACRs of a session (accounting-rf.md §6; TS 32.298): an IMS record (S-CSCF and
 * the other IMS node functionalities, §6.2), a P-GW record with its service data containers (§6.3), or a
 * generic record for any other service. Mapped fields carry the TS 32.298 ASN.1 names; the raw ACR AVPs
 * are kept beside them in the JSON form. docs/cdr.md lists every field and the AVP it comes from.
 */
import { isoTime } from '../codec/iso-time.js';
import type { Avp } from '../codec/types.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { avpJsonValue, type JsonByName, type JsonValue as MsgJson } from '../dictionary/message-format.js';
import { JsonText } from './json-text.js';
import type { Cdr, CdrKind, JsonObject, JsonValue, SubscriptionIdEntry } from './store.js';

/** The JSON AVP list [{Name: value}, …] as an object: name → every value, in order (Grouped → Named). */
export type Named = JsonByName;
export type NamedValue = MsgJson | Named;

export function namedAvps(list: MsgJson): Named {
  const out: Named = {};
  if (!Array.isArray(list)) return out;
  for (const entry of list) {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) continue;
    let name: string;
    let value: MsgJson;
    if (typeof entry.name === 'string') {
      name = entry.name;
      value = (entry.avps ?? entry.value ?? entry.hex ?? null) as MsgJson;
    } else if (typeof entry.code === 'number') {
      name = `${entry.code}${entry.vendor ? `:${entry.vendor}` : ''}`;
      value = (entry.hex ?? null) as MsgJson;
    } else {
      name = Object.keys(entry)[0]!;
      value = entry[name]!;
    }
    const grouped = Array.isArray(value) && value.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x));
    (out[name] ??= []).push(grouped ? namedAvps(value) : value);
  }
  return out;
}

/** The same as `namedAvps(avps.map((a) => avpToJson(a, dict)))`, made from the decoded AVPs directly. */
export function namedFromAvps(avps: readonly Avp[], dict: Dictionary): Named {
  const out: Named = {};
  for (let i = 0; i < avps.length; i++) {
    const a = avps[i]!;
    const j = avpJsonValue(a, dict);
    (out[j.name] ??= []).push(j.grouped ? namedFromAvps(a.avps!, dict) : (j.value as MsgJson));
  }
  return out;
}

export function all(v: NamedValue[] | undefined): NamedValue[] {
  return v ?? [];
}

function one(v: NamedValue[] | NamedValue | undefined): MsgJson | undefined {
  if (Array.isArray(v)) return v[0] as MsgJson | undefined;
  return v as MsgJson | undefined;
}

function obj(v: NamedValue[] | undefined): Named {
  const o = v?.[0];
  return o && typeof o === 'object' && !Array.isArray(o) ? (o as Named) : {};
}

const SUBSCRIPTION_TYPES: Record<string, number> = {
  END_USER_E164: 0,
  END_USER_IMSI: 1,
  END_USER_SIP_URI: 2,
  END_USER_NAI: 3,
  END_USER_PRIVATE: 4,
};

export function subscriptionIds(serviceInfo: Named, top: Named): SubscriptionIdEntry[] {
  const out: SubscriptionIdEntry[] = [];
  for (const src of [serviceInfo['Subscription-Id'], top['Subscription-Id']]) {
    for (const s of all(src)) {
      const o = s as Named;
      if (!o || typeof o !== 'object' || Array.isArray(o)) continue;
      const t = one(o['Subscription-Id-Type']);
      const type = typeof t === 'number' ? t : (SUBSCRIPTION_TYPES[String(t)] ?? -1);
      out.push({ type, data: String(one(o['Subscription-Id-Data']) ?? '') });
    }
  }
  return out;
}

export function kindOf(serviceContextId: string | undefined, serviceInfo: Named, recordType: number): CdrKind {
  if (serviceInfo['IMS-Information'] !== undefined || serviceContextId?.startsWith('32260')) return recordType === 1 ? 'event' : 'ims';
  if (serviceInfo['PS-Information'] !== undefined || serviceContextId?.startsWith('32251')) return 'pgw';
  return recordType === 1 ? 'event' : 'generic';
}

/** IMS record type by Node-Functionality (TS 32.298 RecordType; accounting-rf.md §6.1). */
const IMS_RECORD_TYPE: Record<string, number> = {
  'S-CSCF': 63,
  'P-CSCF': 64,
  'I-CSCF': 65,
  MRFC: 66,
  MGCF: 67,
  BGCF: 68,
  AS: 69,
  IBCF: 82,
  'E-CSCF': 70,
};

export interface SessionData {
  /** Service-Information of the first ACR, by name. */
  info: Named;
  /** Top-level AVPs of the first ACR, by name. */
  top: Named;
  /** Service-Information of the last ACR. */
  lastInfo?: Named;
  /** P-GW service data containers, in arrival order, de-duplicated. */
  containers: JsonObject[];
  /** P-GW traffic data volumes (listOfTrafficVolumes), in arrival order, de-duplicated. */
  volumes?: JsonObject[];
  /**
   * Raw ACR AVPs (JSON form) of the first and the last ACR: as text (avpsToJsonText) when the CDF built
   * them, as a value when read from a store written by an older diamkit.
   */
  rawFirst: MsgJson | JsonText;
  rawLast?: MsgJson | JsonText;
  recordNumbers: { max: number; missing: number[] };
  /** ISO time of the last ACR applied (its Event-Timestamp, else when it was received). */
  lastEventTime?: string;
  /** IMS-Information children merged over the session, the latest ACR carrying each one winning (§5.2 INTERIM). */
  imsLatest?: Named;
}

/** Cause-Code of IMS-Information (accounting-rf.md §4.1: ≤ 0 success, ≥ 1 failure); 0 when absent. */
export function imsCauseCode(serviceInfo: Named): number {
  const v = one(obj(serviceInfo['IMS-Information'])['Cause-Code']);
  return typeof v === 'number' ? v : 0;
}

/** TS 32.298 InterOperatorIdentifiers ::= SEQUENCE { originatingIOI [0], terminatingIOI [1] }. */
function ioi(v: NamedValue): JsonObject {
  const o = v && typeof v === 'object' && !Array.isArray(v) ? (v as Named) : {};
  const out: JsonObject = {};
  const orig = one(o['Originating-IOI']);
  const term = one(o['Terminating-IOI']);
  if (orig !== undefined) out.originatingIOI = orig as JsonValue;
  if (term !== undefined) out.terminatingIOI = term as JsonValue;
  return out;
}

/** TS 32.298 RATType is an INTEGER; 3GPP-RAT-Type is one octet on the wire (the JSON form shows it as hex). */
function ratType(v: NamedValue[] | undefined): JsonValue | undefined {
  const x = one(v);
  if (x && typeof x === 'object' && !Array.isArray(x) && typeof x.hex === 'string' && x.hex.length === 2) return parseInt(x.hex, 16);
  if (typeof x === 'string' && x.length === 1) return x.charCodeAt(0);
  return x as JsonValue | undefined;
}

/** A Traffic-Data-Volumes container's identity: when it was closed, why, and for which bearer. */
export function volumeKey(c: Named): string {
  return `${String(one(c['Change-Time']) ?? '')}|${String(one(c['Change-Condition']) ?? '')}|${String(one(c['3GPP-Charging-Id']) ?? '')}`;
}

export function containerKey(c: Named): string {
  return `${String(one(c['Local-Sequence-Number']) ?? '')}|${String(one(c['Change-Time']) ?? '')}|${String(one(c['Rating-Group']) ?? '')}`;
}

/** TS 32.298 field ← AVP name: the first value of the AVP, when present, copied as is. */
type FieldMap = readonly (readonly [field: string, avp: string])[];

function copyFields(out: JsonObject, src: Named, map: FieldMap): void {
  for (const [field, avp] of map) {
    const x = one(src[avp]);
    if (x !== undefined) out[field] = x as JsonValue;
  }
}

/** ChangeOfServiceCondition (accounting-rf.md §6.3, listOfServiceData) before serviceConditionChange … */
const CONTAINER_HEAD: FieldMap = [
  ['ratingGroup', 'Rating-Group'],
  ['chargingRuleBaseName', 'Charging-Rule-Base-Name'],
  ['localSequenceNumber', 'Local-Sequence-Number'],
  ['timeOfFirstUsage', 'Time-First-Usage'],
  ['timeOfLastUsage', 'Time-Last-Usage'],
  ['timeUsage', 'Time-Usage'],
];
/** … and after it. */
const CONTAINER_TAIL: FieldMap = [
  ['datavolumeFBCUplink', 'Accounting-Input-Octets'],
  ['datavolumeFBCDownlink', 'Accounting-Output-Octets'],
  ['timeOfReport', 'Change-Time'],
  ['serviceIdentifier', 'Service-Identifier'],
  ['servingNodeAddress', 'SGSN-Address'],
];

/**
 * Change-Condition (the AVP, TS 32.299) → ChangeCondition of the CDR's ChangeOfCharCondition (TS 32.298),
 * which numbers differently (accounting-rf.md §6.4, "Mapping from the AVP (impl)"). Others have no
 * counterpart there and leave the field out.
 */
const CHANGE_CONDITION: Readonly<Record<number, number>> = {
  2: 0, // QoS change → qoSChange
  10: 1, // tariff time change → tariffTime
  0: 2, // normal release → recordClosure
  1: 2, // abnormal release
  3: 2, // volume limit
  4: 2, // time limit
  20: 2, // management intervention
  14: 6, // CGI-SAI change → cGI-SAICHange
  15: 7, // RAI change → rAIChange
  16: 10, // ECGI change → eCGIChange
  17: 11, // TAI change → tAIChange
  7: 12, // user location change → userLocationChange
  22: 13, // user CSG information change → userCSGInformationChange
};

/** ChangeOfCharCondition (accounting-rf.md §6.3, listOfTrafficVolumes) before changeCondition … */
const VOLUME_HEAD: FieldMap = [
  ['ePCQoSInformation', 'QoS-Information'],
  ['dataVolumeGPRSUplink', 'Accounting-Input-Octets'],
  ['dataVolumeGPRSDownlink', 'Accounting-Output-Octets'],
];
/** … and after it. */
const VOLUME_TAIL: FieldMap = [
  ['changeTime', 'Change-Time'],
  ['userLocationInformation', '3GPP-User-Location-Info'],
  ['chargingID', '3GPP-Charging-Id'],
];

/** ChangeOfCharCondition ← Traffic-Data-Volumes. */
export function mapVolume(c: Named): JsonObject {
  const m: JsonObject = {};
  copyFields(m, c, VOLUME_HEAD);
  const cond = one(c['Change-Condition']);
  if (typeof cond === 'number' && CHANGE_CONDITION[cond] !== undefined) m.changeCondition = CHANGE_CONDITION[cond];
  copyFields(m, c, VOLUME_TAIL);
  return m;
}

export function mapContainer(c: Named): JsonObject {
  const m: JsonObject = {};
  copyFields(m, c, CONTAINER_HEAD);
  if (c['Change-Condition'] !== undefined) m.serviceConditionChange = all(c['Change-Condition']) as JsonValue;
  copyFields(m, c, CONTAINER_TAIL);
  return m;
}

/** PGWRecord fields from PS-Information (accounting-rf.md §6.3), before rATType … */
const PGW_HEAD: FieldMap = [
  ['chargingID', '3GPP-Charging-Id'],
  ['p-GWAddress', 'GGSN-Address'],
  ['servingNodeAddress', 'SGSN-Address'],
  ['accessPointNameNI', 'Called-Station-Id'],
  ['pdpPDNType', '3GPP-PDP-Type'],
  ['servedPDPPDNAddress', 'PDP-Address'],
  ['nodeID', 'Node-Id'],
  ['chargingCharacteristics', '3GPP-Charging-Characteristics'],
];
/** … and after it. */
const PGW_TAIL: FieldMap = [
  ['servingNodeType', 'Serving-Node-Type'],
  ['p-GWPLMNIdentifier', '3GPP-GGSN-MCC-MNC'],
  ['servingNodePLMNIdentifier', '3GPP-SGSN-MCC-MNC'],
  ['startTime', 'Start-Time'],
  ['stopTime', 'Stop-Time'],
  ['userLocationInformation', '3GPP-User-Location-Info'],
];

export interface CloseInfo {
  id: string;
  sessionId: string;
  subSessionId?: bigint;
  originHost: string;
  originRealm: string;
  openedAt: Date;
  closedAt: Date;
  cause: number;
  anomalies: string[];
  recordSequenceNumber?: number;
  localRecordSequenceNumber?: number;
  serviceContextId?: string;
  recordType: number;
  retransmission?: boolean;
  /** Closed by an ACR STOP (not by supervision, a partial trigger or a new START). */
  byStop?: boolean;
  /** Built from a STOP alone (no START or INTERIM seen): its Time-Stamps describe the end, not the start. */
  stopOnly?: boolean;
}

function iso(v: NamedValue[] | undefined): string | undefined {
  const x = one(v);
  return typeof x === 'string' ? x : undefined;
}

/** Builds the CDR for a closing (or partial) record. */
export function buildCdr(d: SessionData, c: CloseInfo): Cdr {
  const info = d.info;
  const kind = kindOf(c.serviceContextId, info, c.recordType);
  const fields: JsonObject = {};
  let recordType: number | undefined;
  const duration = Math.max(0, Math.round((c.closedAt.getTime() - c.openedAt.getTime()) / 1000));
  const incomplete: JsonObject = {};
  if (c.anomalies.includes('aCRStartLost')) incomplete.aCRStartLost = true;
  if (c.anomalies.includes('aCRStopLost')) incomplete.aCRStopLost = true;
  if (c.anomalies.includes('aCRInterimLost')) incomplete.aCRInterimLost = 'yes';
  if (kind === 'ims' || kind === 'event') {
    const ims = obj(info['IMS-Information']);
    const last = obj(d.lastInfo?.['IMS-Information']);
    const nf = one(ims['Node-Functionality']);
    recordType = IMS_RECORD_TYPE[String(nf)] ?? (ims['Node-Functionality'] !== undefined ? 63 : undefined);
    const ts = obj(ims['Time-Stamps']);
    const lastTs = obj(last['Time-Stamps']);
    const put = (k: string, v: MsgJson | undefined) => {
      if (v !== undefined) fields[k] = v as JsonValue;
    };
    put('sIP-Method', one(obj(ims['Event-Type'])['SIP-Method']));
    put('role-of-Node', one(ims['Role-Of-Node']));
    put('nodeAddress', c.originHost);
    put('session-Id', one(ims['User-Session-Id']));
    if (ims['Calling-Party-Address'] !== undefined) fields['list-Of-Calling-Party-Address'] = all(ims['Calling-Party-Address']) as JsonValue;
    put('called-Party-Address', one(ims['Called-Party-Address']));
    put('privateUserID', one(d.top['User-Name']));
    // §6.2: request/start times come from the START (or EVENT), the end time from the STOP's SIP request (BYE).
    if (!c.stopOnly) {
      put('serviceRequestTimeStamp', iso(ts['SIP-Request-Timestamp']));
      put('serviceDeliveryStartTimeStamp', iso(ts['SIP-Response-Timestamp']));
    }
    if (c.byStop) put('serviceDeliveryEndTimeStamp', iso((c.stopOnly ? ts : lastTs)['SIP-Request-Timestamp']));
    put('iMS-Charging-Identifier', one(ims['IMS-Charging-Identifier']));
    const iois = (d.imsLatest ?? ims)['Inter-Operator-Identifier'];
    if (iois) fields.interOperatorIdentifiers = all(iois).map(ioi);
    put('serviceContextID', c.serviceContextId);
  } else if (kind === 'pgw') {
    recordType = 85;
    const ps = { ...obj(info['PS-Information']), ...obj(d.lastInfo?.['PS-Information']) };
    copyFields(fields, ps, PGW_HEAD);
    const rat = ratType(ps['3GPP-RAT-Type']);
    if (rat !== undefined) fields.rATType = rat;
    copyFields(fields, ps, PGW_TAIL);
    const subs = subscriptionIds(info, d.top);
    const imsi = subs.find((s) => s.type === 1);
    const msisdn = subs.find((s) => s.type === 0);
    if (imsi) fields.servedIMSI = imsi.data;
    if (msisdn) fields.servedMSISDN = msisdn.data;
    fields.listOfServiceData = d.containers;
    // Only when the P-GW reported any (charging per IP-CAN bearer): most records have none.
    if (d.volumes?.length) fields.listOfTrafficVolumes = d.volumes;
    fields.duration = duration;
  } else {
    fields.serviceContextID = (c.serviceContextId ?? null) as JsonValue;
  }
  fields.recordOpeningTime = isoTime(c.openedAt.getTime());
  fields.recordClosureTime = isoTime(c.closedAt.getTime());
  // TS 32.298 spells these two differently in the PGWRecord (causeForRecClosing [15], localSequenceNumber [20]).
  fields[kind === 'pgw' ? 'causeForRecClosing' : 'causeForRecordClosing'] = c.cause;
  if (c.recordSequenceNumber !== undefined) fields.recordSequenceNumber = c.recordSequenceNumber;
  if (c.localRecordSequenceNumber !== undefined) fields[kind === 'pgw' ? 'localSequenceNumber' : 'localRecordSequenceNumber'] = c.localRecordSequenceNumber;
  if (Object.keys(incomplete).length) fields['incomplete-CDR-Indication'] = incomplete;
  if (c.retransmission) fields.retransmission = true;
  if (recordType !== undefined) fields.recordType = recordType;
  return {
    id: c.id,
    kind,
    recordType,
    sessionId: c.sessionId,
    subSessionId: c.subSessionId,
    recordSequenceNumber: c.recordSequenceNumber,
    localRecordSequenceNumber: c.localRecordSequenceNumber,
    recordOpeningTime: c.openedAt,
    recordClosingTime: c.closedAt,
    duration,
    causeForRecordClosing: c.cause,
    servedParty: subscriptionIds(info, d.top),
    originHost: c.originHost,
    originRealm: c.originRealm,
    anomalies: c.anomalies,
    fields,
    rawAvps: rawAvpsOf(d),
    createdAt: new Date(),
  };
}

/** The CDR's raw AVPs: {first: [...], last: [...] | null}, as one JSON text when both parts are text. */
function rawAvpsOf(d: SessionData): JsonValue | JsonText {
  const { rawFirst: f, rawLast: l } = d;
  if (f instanceof JsonText && (l === undefined || l instanceof JsonText)) {
    return new JsonText(`{"first":${f.text},"last":${l === undefined ? 'null' : l.text}}`);
  }
  const value = (v: MsgJson | JsonText | undefined): JsonValue => (v instanceof JsonText ? (v.toJSON() as JsonValue) : ((v ?? null) as JsonValue));
  return { first: value(f), last: value(l) };
}
