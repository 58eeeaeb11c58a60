/**
 * What the client fills in when a request leaves it out: Session-Id, Origin-Host, Origin-Realm and
 * Destination-Realm — the AVPs that name the session and route the request, which a person writing a
 * test message should not have to invent each time. Nothing else is added (a scenario that leaves out
 * Accounting-Record-Number wants the CDF's 5005). Hop-by-Hop and End-to-End ids come from the peer layer.
 */
import { randomBytes } from 'node:crypto';
import { AVP_M, type Avp, type Message } from '../codec/types.js';
import { Code } from '../dictionary/codes.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import type { Grammar } from '../dictionary/types.js';

/** Our identity when the command line gives none: not the server's default, so the two never clash. */
export const CLIENT_ORIGIN_HOST = 'diamkit-client.localdomain';
export const CLIENT_ORIGIN_REALM = 'localdomain';
/** How long a request waits for its answer unless told otherwise. */
export const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Session-Ids of the form RFC 6733 §8.8 recommends, `<DiameterIdentity>;<high 32 bits>;<low 32 bits>;<optional>`:
 * the high part is the start time in seconds, the low part counts sessions from 1, and the optional part
 * is random per client, so two clients started in the same second with the same Origin-Host (parallel
 * CI jobs on the default identity) still never share a Session-Id — a CDF would take the second one's
 * records for duplicates.
 */
export class SessionIds {
  private low = 0;
  private readonly high: number;
  constructor(
    private readonly originHost: string,
    startSeconds = Math.floor(Date.now() / 1000),
    private readonly tag = randomBytes(3).toString('hex'),
  ) {
    this.high = startSeconds >>> 0;
  }
  next(): string {
    this.low = (this.low + 1) >>> 0;
    return `${this.originHost};${this.high};${this.low};${this.tag}`;
  }
}

export interface RequestDefaults {
  originHost: string;
  originRealm: string;
  /** The realm to send to; usually the peer's Origin-Realm from its CEA. */
  destinationRealm?: string;
  /** The Session-Id to use when the request has none. */
  sessionId: () => string;
}

function mentions(g: Grammar, name: string): boolean {
  return [...g.fixed, ...g.required, ...g.optional].some((r) => r.avp === name && r.max > 0);
}

function has(avps: readonly Avp[], code: number): boolean {
  return avps.some((a) => a.code === code && a.vendorId === 0);
}

function utf8(code: number, value: string): Avp {
  return {
    code,
    flags: AVP_M,
    vendorId: 0,
    type: code === Code.SESSION_ID ? 'UTF8String' : 'DiameterIdentity',
    value,
  };
}

/**
 * Adds the missing routing AVPs the command's request grammar has (all four for a command the dictionary
 * does not know). Session-Id goes first (RFC 6733 §8.8: "immediately following the Diameter header"), the
 * others right after it; the AVPs already there keep their order. Returns the names it added.
 */
export function fillRequest(msg: Message, d: RequestDefaults, dict: Dictionary): string[] {
  const cmd = dict.command(msg.commandCode, msg.applicationId);
  const wants = (name: string) => (cmd ? mentions(cmd.request, name) : true);
  const added: string[] = [];
  const head: Avp[] = [];
  let avps = msg.avps;
  if (wants('Session-Id') && !has(avps, Code.SESSION_ID)) {
    head.push(utf8(Code.SESSION_ID, d.sessionId()));
    added.push('Session-Id');
  } else if (avps[0] && avps[0].code === Code.SESSION_ID && avps[0].vendorId === 0) {
    head.push(avps[0]);
    avps = avps.slice(1);
  }
  const add = (name: string, code: number, value: string | undefined) => {
    if (value === undefined || !wants(name) || has(msg.avps, code)) return;
    head.push(utf8(code, value));
    added.push(name);
  };
  add('Origin-Host', Code.ORIGIN_HOST, d.originHost);
  add('Origin-Realm', Code.ORIGIN_REALM, d.originRealm);
  add('Destination-Realm', Code.DESTINATION_REALM, d.destinationRealm);
  if (added.length) msg.avps = [...head, ...avps];
  return added;
}
