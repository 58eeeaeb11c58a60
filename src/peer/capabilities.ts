/**
 * Capabilities exchange (RFC 6733 §5.3; base-protocol.md §11): what we advertise in CER/CEA, and how
 * a received CER/CEA is judged. Applications are advertised as Auth-Application-Id, Acct-Application-Id
 * or inside Vendor-Specific-Application-Id; 0xffffffff (relay) is common with everything.
 */
import { AVP_M, type Avp, type Message } from '../codec/types.js';
import { avpText, avpUnsigned32 } from '../codec/raw-values.js';
import { App, Code } from '../dictionary/codes.js';
import { u32Avp, utf8Avp, type IdentityAvps } from '../node/identity.js';

export interface AdvertisedApplications {
  auth: number[];
  acct: number[];
  /** Vendor-Specific-Application-Id entries. */
  vendorSpecific: { vendorId: number; auth?: number; acct?: number }[];
  supportedVendors: number[];
}

export interface PeerCapabilities {
  originHost: string;
  originRealm: string;
  hostIpAddresses: string[];
  vendorId: number;
  productName?: string;
  originStateId?: number;
  firmwareRevision?: number;
  applications: AdvertisedApplications;
  /** Application ids (auth or acct) the peer supports, flattened. */
  appIds: Set<number>;
  inbandSecurity: number[];
}

const str = avpText;
const u32 = (a: Avp): number => avpUnsigned32(a) ?? 0;

function addr(a: Avp): string {
  if (typeof a.value === 'string') return a.value;
  return Buffer.from(a.data ?? []).toString('hex');
}

/** Reads the capabilities a CER or CEA carries. */
export function readCapabilities(m: Message): PeerCapabilities {
  const c: PeerCapabilities = {
    originHost: '',
    originRealm: '',
    hostIpAddresses: [],
    vendorId: 0,
    applications: { auth: [], acct: [], vendorSpecific: [], supportedVendors: [] },
    appIds: new Set(),
    inbandSecurity: [],
  };
  for (const a of m.avps) {
    if (a.vendorId !== 0) continue;
    switch (a.code) {
      case Code.ORIGIN_HOST:
        c.originHost = str(a);
        break;
      case Code.ORIGIN_REALM:
        c.originRealm = str(a);
        break;
      case Code.HOST_IP_ADDRESS:
        c.hostIpAddresses.push(addr(a));
        break;
      case Code.VENDOR_ID:
        c.vendorId = u32(a);
        break;
      case Code.PRODUCT_NAME:
        c.productName = str(a);
        break;
      case Code.ORIGIN_STATE_ID:
        c.originStateId = u32(a);
        break;
      case Code.FIRMWARE_REVISION:
        c.firmwareRevision = u32(a);
        break;
      case Code.AUTH_APPLICATION_ID:
        c.applications.auth.push(u32(a));
        c.appIds.add(u32(a));
        break;
      case Code.ACCT_APPLICATION_ID:
        c.applications.acct.push(u32(a));
        c.appIds.add(u32(a));
        break;
      case Code.SUPPORTED_VENDOR_ID:
        c.applications.supportedVendors.push(u32(a));
        break;
      case Code.INBAND_SECURITY_ID:
        c.inbandSecurity.push(u32(a));
        break;
      case Code.VENDOR_SPECIFIC_APPLICATION_ID: {
        const e: { vendorId: number; auth?: number; acct?: number } = { vendorId: 0 };
        for (const ch of a.avps ?? []) {
          if (ch.code === Code.VENDOR_ID) e.vendorId = u32(ch);
          else if (ch.code === Code.AUTH_APPLICATION_ID) e.auth = u32(ch);
          else if (ch.code === Code.ACCT_APPLICATION_ID) e.acct = u32(ch);
        }
        c.applications.vendorSpecific.push(e);
        if (e.auth !== undefined) c.appIds.add(e.auth);
        if (e.acct !== undefined) c.appIds.add(e.acct);
        break;
      }
    }
  }
  return c;
}

/** The applications both sides support (RFC 6733 §5.3: relay 0xffffffff is common with any). */
export function commonApplications(ours: Set<number>, theirs: Set<number>): number[] {
  if (theirs.has(App.RELAY)) return [...ours];
  if (ours.has(App.RELAY)) return [...theirs];
  return [...ours].filter((a) => theirs.has(a));
}

export function appIdSet(apps: AdvertisedApplications): Set<number> {
  const s = new Set<number>([...apps.auth, ...apps.acct]);
  for (const v of apps.vendorSpecific) {
    if (v.auth !== undefined) s.add(v.auth);
    if (v.acct !== undefined) s.add(v.acct);
  }
  return s;
}

/** Process-CEA (RFC 6733 §5.3): whether a CEA with this Result-Code and capabilities opens the link. */
export function ceaAcceptable(
  resultCode: number,
  caps: PeerCapabilities,
  apps: AdvertisedApplications,
): boolean {
  const ours = appIdSet(apps);
  // As on the responder side (DiameterNode.judgeCapabilities): a node with no application at all
  // only needs the base protocol, so any 2001 CEA will do.
  return resultCode === 2001 && (ours.size === 0 || commonApplications(ours, caps.appIds).length > 0);
}

/** The capability AVPs of our CER or CEA after Origin-Host/Realm (RFC 6733 §5.3.1/§5.3.2 order). */
export function capabilityAvps(id: IdentityAvps, hostIps: string[], apps: AdvertisedApplications): Avp[] {
  const avps: Avp[] = [];
  for (const ip of hostIps) avps.push({ code: Code.HOST_IP_ADDRESS, flags: AVP_M, vendorId: 0, type: 'Address', value: ip });
  avps.push(u32Avp(Code.VENDOR_ID, id.identity.vendorId));
  avps.push(utf8Avp(Code.PRODUCT_NAME, id.identity.productName, 0));
  if (id.originStateId) avps.push(id.originStateId);
  for (const v of apps.supportedVendors) avps.push(u32Avp(Code.SUPPORTED_VENDOR_ID, v));
  for (const a of apps.auth) avps.push(u32Avp(Code.AUTH_APPLICATION_ID, a));
  for (const a of apps.acct) avps.push(u32Avp(Code.ACCT_APPLICATION_ID, a));
  for (const v of apps.vendorSpecific) {
    const ch: Avp[] = [u32Avp(Code.VENDOR_ID, v.vendorId)];
    if (v.auth !== undefined) ch.push(u32Avp(Code.AUTH_APPLICATION_ID, v.auth));
    if (v.acct !== undefined) ch.push(u32Avp(Code.ACCT_APPLICATION_ID, v.acct));
    avps.push({ code: Code.VENDOR_SPECIFIC_APPLICATION_ID, flags: AVP_M, vendorId: 0, avps: ch });
  }
  if (id.identity.firmwareRevision !== undefined) avps.push(u32Avp(Code.FIRMWARE_REVISION, id.identity.firmwareRevision, 0));
  return avps;
}

/** Local addresses for Host-IP-Address: IPv4-mapped IPv6 is given as IPv4. */
export function normaliseAddress(a: string | undefined): string | undefined {
  if (!a) return undefined;
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
