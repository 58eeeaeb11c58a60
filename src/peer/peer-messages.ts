/**
 * The base-protocol messages a Peer sends for the link itself: CER/CEA (RFC 6733 §5.3; base-protocol.md
 * §11), DWR/DWA (§5.5; base-protocol.md §12) and DPR/DPA (§5.4; base-protocol.md §13). The Peer decides
 * when, on which connection and with which End-to-End id or Result-Code; these only build the message.
 */
import type { Duplex } from 'node:stream';
import { FLAG_R, type Message } from '../codec/types.js';
import { Cmd, Code } from '../dictionary/codes.js';
import { buildAnswer } from '../node/answers.js';
import { i32Avp, originStateAvps, type IdentityAvps } from '../node/identity.js';
import { capabilityAvps, normaliseAddress, type AdvertisedApplications } from './capabilities.js';

/** Our Host-IP-Address for a connection: its local address, or 127.0.0.1 when the stream has none. */
function localAddresses(stream: Duplex): string[] {
  const s = stream as Duplex & { localAddress?: string };
  const a = normaliseAddress(s.localAddress);
  return a ? [a] : ['127.0.0.1'];
}

export function buildCer(
  id: IdentityAvps,
  endToEndId: number,
  stream: Duplex,
  apps: AdvertisedApplications,
): Message {
  return {
    version: 1,
    flags: FLAG_R,
    commandCode: Cmd.CAPABILITIES_EXCHANGE,
    applicationId: 0,
    hopByHopId: 0,
    endToEndId,
    avps: [id.originHost, id.originRealm, ...capabilityAvps(id, localAddresses(stream), apps)],
  };
}

export function buildCea(
  cer: Message,
  id: IdentityAvps,
  verdict: { resultCode: number; errorMessage?: string },
  stream: Duplex,
  apps: AdvertisedApplications,
): Message {
  return buildAnswer(cer, id, verdict.resultCode, {
    avps: capabilityAvps(id, localAddresses(stream), apps),
    errorMessage: verdict.errorMessage,
    error: verdict.resultCode >= 3000 && verdict.resultCode < 4000,
  });
}

export function buildDwr(id: IdentityAvps, endToEndId: number): Message {
  return {
    version: 1,
    flags: FLAG_R,
    commandCode: Cmd.DEVICE_WATCHDOG,
    applicationId: 0,
    hopByHopId: 0,
    endToEndId,
    avps: [id.originHost, id.originRealm, ...originStateAvps(id)],
  };
}

export function buildDwa(dwr: Message, id: IdentityAvps): Message {
  return buildAnswer(dwr, id, 2001, { avps: originStateAvps(id) });
}

export function buildDpr(id: IdentityAvps, endToEndId: number, cause: number): Message {
  return {
    version: 1,
    flags: FLAG_R,
    commandCode: Cmd.DISCONNECT_PEER,
    applicationId: 0,
    hopByHopId: 0,
    endToEndId,
    avps: [id.originHost, id.originRealm, i32Avp(Code.DISCONNECT_CAUSE, cause)],
  };
}

export function buildDpa(dpr: Message, id: IdentityAvps): Message {
  return buildAnswer(dpr, id, 2001);
}
