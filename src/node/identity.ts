/**
 * The local node's identity, as CEA/DWA/DPA and every answer carry it (RFC 6733 §5.3, §6.2).
 * Constant AVPs are encoded once (DESIGN.md performance habits).
 */
import { encodeAvp } from '../codec/avp.js';
import { AVP_M, type Avp } from '../codec/types.js';
import { Writer } from '../codec/writer.js';
import { Code } from '../dictionary/codes.js';

export interface Identity {
  originHost: string;
  originRealm: string;
  vendorId: number;
  productName: string;
  firmwareRevision?: number;
  /**
   * RFC 6733 §8.16: changes on every restart; default = start time in seconds. null: not sent at all (it
   * MAY be left out of CER, DWR and DWA, §5.3.1, §5.5.1): what the one-shot clients do, so that each run
   * of `diamkit send` does not look to the server like a CTF that rebooted and lost its sessions.
   */
  originStateId: number | null;
}

export const DEFAULT_IDENTITY: Identity = {
  originHost: 'diamkit.localdomain',
  originRealm: 'localdomain',
  vendorId: 0,
  productName: 'diamkit',
  firmwareRevision: 1,
  originStateId: Math.floor(Date.now() / 1000) >>> 0,
};

export function utf8Avp(code: number, s: string, flags = AVP_M): Avp {
  return { code, flags, vendorId: 0, type: 'UTF8String', value: s };
}
export function u32Avp(code: number, n: number, flags = AVP_M): Avp {
  return { code, flags, vendorId: 0, type: 'Unsigned32', value: n };
}
export function i32Avp(code: number, n: number, flags = AVP_M): Avp {
  return { code, flags, vendorId: 0, type: 'Integer32', value: n };
}

/** Pre-encoded AVP: written as raw bytes on every answer. */
export function preEncoded(avp: Avp): Avp {
  const w = new Writer(64);
  encodeAvp(w, avp);
  const bytes = w.finish();
  const hdr = avp.vendorId ? 12 : 8;
  const len = (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!;
  return { code: avp.code, flags: avp.flags, vendorId: avp.vendorId, data: bytes.subarray(hdr, len) };
}

/** The Origin-State-Id AVP to send, as a list: empty when the identity sends none. */
export function originStateAvps(id: IdentityAvps): Avp[] {
  return id.originStateId ? [id.originStateId] : [];
}

const RESULT_CODES_KEPT = 64;

/** The identity AVPs of every answer, encoded once. */
export class IdentityAvps {
  readonly originHost: Avp;
  readonly originRealm: Avp;
  /** Undefined when the identity has none to send (Identity.originStateId null). */
  readonly originStateId: Avp | undefined;
  readonly resultSuccess: Avp;

  constructor(readonly identity: Identity) {
    this.originHost = preEncoded(utf8Avp(Code.ORIGIN_HOST, identity.originHost));
    this.originRealm = preEncoded(utf8Avp(Code.ORIGIN_REALM, identity.originRealm));
    this.originStateId =
      identity.originStateId === null ? undefined : preEncoded(u32Avp(Code.ORIGIN_STATE_ID, identity.originStateId));
    this.resultSuccess = preEncoded(u32Avp(Code.RESULT_CODE, 2001));
  }

  /** Result-Code AVPs other than 2001, encoded once each: the few codes a node answers with. */
  private readonly resultCodes = new Map<number, Avp>();

  resultCode(code: number): Avp {
    if (code === 2001) return this.resultSuccess;
    let avp = this.resultCodes.get(code);
    if (avp === undefined) {
      avp = u32Avp(Code.RESULT_CODE, code);
      // Only a valid Unsigned32 is kept encoded (anything else must still fail where it is encoded), and
      // only so many distinct codes, so a handler inventing codes cannot grow the map.
      if (Number.isInteger(code) && code >= 0 && code <= 0xffffffff && this.resultCodes.size < RESULT_CODES_KEPT) {
        avp = preEncoded(avp);
        this.resultCodes.set(code, avp);
      }
    }
    return avp;
  }
}
