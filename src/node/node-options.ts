/**
 * What a DiameterNode (node.ts) is configured with: its identity, dictionary, the peers and realms it
 * serves, its timers and limits, and where it listens and connects (TCP, or TLS with these certificates).
 */
import type { Dictionary } from '../dictionary/dictionary.js';
import type { Clock } from '../peer/timers.js';
import type { Identity } from './identity.js';
import type { RuleSpec } from './rules.js';

export interface TlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  ca?: string | Buffer;
  /** Require and verify a client certificate. */
  requestCert?: boolean;
}

export interface NodeOptions {
  identity?: Partial<Identity>;
  dictionary: Dictionary;
  /** Peers allowed to connect (Origin-Host, case-insensitive); unset = anyone (RFC 6733 §5.3: 3010). */
  allowPeers?: string[];
  /** Realms we answer for; unset = any realm (a test terminator). Others get 3003. */
  realms?: string[];
  /** What an unimplemented command gets: 5012 (default, what our users asked for) or RFC 6733's 3001. */
  unsupportedCommand?: 5012 | 3001;
  duplicateWindowMs?: number;
  duplicateMaxEntries?: number;
  /** Close an inbound connection that sends no CER within this time. */
  cerTimeoutMs?: number;
  watchdogMs?: number;
  /** Time and timers for the peers' watchdogs; default the system clock (tests drive a fake one). */
  watchdogClock?: Clock;
  requestTimeoutMs?: number;
  maxMessageLength?: number;
  /** Accept several connections with the same Origin-Host (load generators); default false (RFC 6733). */
  multipleConnections?: boolean;
  /** Validate requests against the command grammar (5005/5008/5009/5001). Default true. */
  validate?: boolean;
  /**
   * Accept AVPs the dictionary does not know even when they carry the M bit, instead of answering 5001
   * DIAMETER_AVP_UNSUPPORTED: the CDF's lenient mode (accounting-rf.md §5.1), because real CTFs send their
   * vendors' AVPs with M set. The application gets them undecoded (and a CDF keeps them, as hex, in the
   * CDR's raw AVPs). Default false (RFC 6733 §4.1).
   */
  allowUnknownMandatory?: boolean;
  /** Tc for configured peers. */
  reconnectMs?: number;
  /** How long stop() waits for DPA and in-flight answers. */
  shutdownTimeoutMs?: number;
  /** Behaviour rules applied to application requests (rules.ts); more can be added at run time. */
  rules?: RuleSpec[];
}

export interface ListenOptions {
  host?: string;
  port?: number;
  tls?: TlsOptions;
}

export interface PeerTarget {
  host: string;
  port: number;
  originHost?: string;
  tls?: TlsOptions & { servername?: string; rejectUnauthorized?: boolean };
}
