/**
 * What a CDR is built from (cdr-builder.ts SessionData), made from the ACRs a session kept (kept-data.ts):
 * the kept bytes are decoded again only when a CDR is written, and the ACR in hand (a STOP or EVENT) is
 * used as it is. Also the ACR's bytes as a session keeps them, and the conversion of sessions stored by an
 * older diamkit.
 */
import { decodeMessage, encodeMessage } from '../codec/message.js';
import { isoTime } from '../codec/iso-time.js';
import type { Avp, Message } from '../codec/types.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { avpFromJson, avpsToJsonTextByName, type JsonValue as MsgJson } from '../dictionary/message-format.js';
import { containerKey, mapContainer, mapVolume, namedFromAvps, volumeKey, type Named, type SessionData } from './cdr-builder.js';
import { JsonText } from './json-text.js';
import { KeptData, NO_CONTAINERS } from './kept-data.js';
import { ownJson } from './own-text.js';
import type { AccountingSession, JsonObject } from './store.js';

export const TGPP = 10415;
export const AVP_SERVICE_INFORMATION = 873;
export const AVP_PS_INFORMATION = 874;
export const AVP_IMS_INFORMATION = 876;
export const AVP_INTER_OPERATOR_IDENTIFIER = 838;

/** The first child of a Grouped AVP with this code (3GPP vendor), if any. */
export function child(a: Avp | undefined, code: number): Avp | undefined {
  const kids = a?.avps;
  if (!kids) return undefined;
  for (let i = 0; i < kids.length; i++) if (kids[i]!.code === code && kids[i]!.vendorId === TGPP) return kids[i];
  return undefined;
}

/** One decoded ACR a CDR is built from: its AVPs and its Service-Information AVP (the last one, as acr.ts reads it). */
export interface AcrJson {
  avps: Avp[];
  si: Avp | undefined;
}

/** An ACR in hand (a STOP or EVENT), used as it is instead of decoding a kept one. */
export function acrJson(req: Message, serviceInformation: Avp | undefined): AcrJson {
  return { avps: req.avps, si: serviceInformation };
}

/** Decodes a kept ACR. */
function decodeKept(bin: string, dict: Dictionary): AcrJson {
  const m = decodeMessage(Buffer.from(bin, 'latin1'), dict.resolve);
  let si: Avp | undefined;
  for (let k = 0; k < m.avps.length; k++) if (m.avps[k]!.code === AVP_SERVICE_INFORMATION && m.avps[k]!.vendorId === TGPP) si = m.avps[k];
  return { avps: m.avps, si };
}

/**
 * An ACR in the two forms a CDR reads, made in one walk: its AVPs as JSON text (the raw AVPs column) and
 * by name, with its Service-Information's children by name ({} when it has none).
 */
function converted(a: AcrJson, dict: Dictionary): { text: JsonText; top: Named; info: Named } {
  const top: Named = {};
  const text = new JsonText(avpsToJsonTextByName(a.avps, dict, top));
  // `si` is the last 3GPP AVP 873, so the last one listed under its name; {} when it has no children.
  const listed = top['Service-Information'];
  const info = a.si?.avps && listed ? (listed[listed.length - 1] as Named) : {};
  return { text, top, info };
}

/**
 * What the CDR builder reads, made from the kept ACRs when a CDR is written. `first` / `last`: the ACR
 * in hand (an EVENT or STOP), instead of decoding a kept one.
 */
export function expand(dict: Dictionary, d: KeptData, first?: AcrJson, last?: AcrJson): SessionData {
  const f = converted(first ?? decodeKept(d.first, dict), dict);
  const lastAcr = last ?? (d.last ? decodeKept(d.last, dict) : undefined);
  const l = lastAcr && converted(lastAcr, dict);
  return {
    info: f.info,
    top: f.top,
    lastInfo: l?.info,
    containers: d.containers,
    volumes: d.volumes,
    // The JSON form of the raw AVPs, written as text: the largest part of a CDR row.
    rawFirst: f.text,
    rawLast: l?.text,
    recordNumbers: d.recordNumbers,
    lastEventTime: d.lastEventAt === undefined ? undefined : isoTime(d.lastEventAt),
    imsLatest: d.iois ? { 'Inter-Operator-Identifier': d.iois } : undefined,
  };
}

/**
 * A session's KeptData from AccountingSession.data. A store written before KeptData held SessionData itself
 * (every ACR in the JSON form); such a session is converted once, its first and last ACRs encoded again
 * from that form.
 */
export function keptOf(data: AccountingSession['data'], dict: Dictionary): KeptData {
  const d = data as unknown;
  if (d instanceof KeptData) return d;
  if ((d as { v?: number }).v === 2) return KeptData.fromJSON(d as { [k: string]: unknown });
  const old = d as SessionData;
  // A stored SessionData holds its raw AVPs as values (JSON text came later).
  const bytes = (list: MsgJson | JsonText | undefined) => {
    const avps = (Array.isArray(list) ? list : []).map((j, i) => avpFromJson(j as never, dict, `avps[${i}]`));
    return encodeMessage({ version: 1, flags: 0x80, commandCode: 271, applicationId: 3, hopByHopId: 0, endToEndId: 0, avps }).toString('latin1');
  };
  const k = new KeptData(bytes(old.rawFirst), old.recordNumbers.max, old.lastEventTime === undefined ? undefined : Date.parse(old.lastEventTime));
  k.recordNumbers = old.recordNumbers;
  if (old.rawLast) k.last = bytes(old.rawLast);
  k.ps = old.info['PS-Information'] !== undefined;
  if (old.containers.length) k.containers = old.containers;
  k.iois = (old.imsLatest ?? (old.info['IMS-Information']?.[0] as Named | undefined))?.['Inter-Operator-Identifier'];
  return k;
}

/** The ACR's bytes, one latin1 character per octet (encoded again only for a message that was built). */
export function rawBinary(req: Message): string {
  const raw = req.raw ?? encodeMessage(req);
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
}

/**
 * Takes from one ACR's Service-Information what the record accumulates across ACRs: new P-GW service
 * data containers (§5.2) and the latest Inter-Operator-Identifiers (§6.2). Only those AVPs are put in
 * the JSON form.
 */
export function absorbServiceInformation(d: KeptData, si: Avp | undefined, dict: Dictionary): void {
  if (!si) return;
  const ims = child(si, AVP_IMS_INFORMATION);
  if (ims?.avps) {
    const iois = ims.avps.filter((a) => a.code === AVP_INTER_OPERATOR_IDENTIFIER && a.vendorId === TGPP);
    if (iois.length) {
      const named = namedFromAvps(iois, dict)['Inter-Operator-Identifier'];
      // Kept until the next INTERIM carrying them: their strings, not slices of this ACR's text.
      if (named) d.iois = ownJson(named);
    }
  }
  const ps = child(si, AVP_PS_INFORMATION);
  if (ps) addContainers(d, namedFromAvps([ps], dict)['PS-Information']?.[0] as Named | undefined);
}

function addContainers(d: KeptData, ps: Named | undefined): void {
  if (!ps) return;
  const sdc = ps['Service-Data-Container'];
  if (sdc) d.containers = added(d.containers, sdc, containerKey, mapContainer);
  const tdv = ps['Traffic-Data-Volumes'];
  if (tdv) d.volumes = added(d.volumes, tdv, volumeKey, mapVolume);
}

/** `list` with the containers of `reported` it does not hold yet (§5.2: never count one twice), in order. */
function added(
  list: JsonObject[],
  reported: readonly MsgJson[],
  key: (c: Named) => string,
  map: (c: Named) => JsonObject,
): JsonObject[] {
  const out = list === NO_CONTAINERS ? [] : list;
  const seen = new Set(out.map((c) => String(c.__key)));
  for (const c of reported) {
    const k = key(c as Named);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(ownJson({ ...map(c as Named), __key: k }));
  }
  return out;
}
