/**
 * Messages diamkit sends in the interop tests, built as a library user would, and readers for AVPs of
 * the answers. Re-exported by peers.ts.
 */
import { FLAG_P, FLAG_R, type Message } from '../../../src/codec/types.js';
import { App, Cmd, Code } from '../../../src/dictionary/codes.js';
import { i32Avp, u32Avp, utf8Avp } from '../../../src/node/identity.js';

// ---------------------------------------------------------------------------------------------------
// messages diamkit sends as a library user would build them

/** An ACR START (RFC 6733 §9.7.1 grammar, Rf's required AVPs) as a `Message` for `peer.request`. */
export function acrStart(f: {
  sessionId: string;
  originHost: string;
  originRealm: string;
  destinationRealm: string;
  recordNumber?: number;
}): Message {
  return {
    version: 1,
    flags: FLAG_R | FLAG_P,
    commandCode: Cmd.ACCOUNTING,
    applicationId: App.BASE_ACCOUNTING,
    hopByHopId: 0,
    endToEndId: 0,
    avps: [
      utf8Avp(Code.SESSION_ID, f.sessionId),
      utf8Avp(Code.ORIGIN_HOST, f.originHost),
      utf8Avp(Code.ORIGIN_REALM, f.originRealm),
      utf8Avp(Code.DESTINATION_REALM, f.destinationRealm),
      i32Avp(Code.ACCOUNTING_RECORD_TYPE, 2), // START_RECORD
      u32Avp(Code.ACCOUNTING_RECORD_NUMBER, f.recordNumber ?? 0),
      u32Avp(Code.ACCT_APPLICATION_ID, App.BASE_ACCOUNTING),
    ],
  };
}

/** The first vendor-0 AVP `code` of `m` as a number (Unsigned32/Integer32/Enumerated), or undefined. */
export function avpNumber(m: Message, code: number): number | undefined {
  const a = m.avps.find((x) => x.code === code && x.vendorId === 0);
  if (!a) return undefined;
  if (typeof a.value === 'number') return a.value;
  return a.data && a.data.length >= 4 ? Buffer.from(a.data).readUInt32BE(0) : undefined;
}

/** Every vendor-0 AVP `code` of `m` as UTF-8 text. */
export function avpStrings(m: Message, code: number): string[] {
  return m.avps
    .filter((x) => x.code === code && x.vendorId === 0)
    .map((a) => (typeof a.value === 'string' ? a.value : a.data ? Buffer.from(a.data).toString('utf8') : ''));
}
