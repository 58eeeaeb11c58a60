/**
 * What a Peer (peer.ts) is given: the host interface through which the node that owns it supplies its
 * identity, applications and connection settings and receives the peer's requests and closure, and the
 * options of one configured peer.
 */
import type { Duplex } from 'node:stream';
import type { DiameterError } from '../codec/errors.js';
import type { Message } from '../codec/types.js';
import type { IdentityAvps } from '../node/identity.js';
import type { AdvertisedApplications, PeerCapabilities } from './capabilities.js';
import type { Connection, ConnectionOptions } from './connection.js';
import type { Peer } from './peer.js';
import type { Clock } from './timers.js';

/** What a Peer needs from the node that owns it. */
export interface PeerHost {
  readonly identity: IdentityAvps;
  readonly applications: AdvertisedApplications;
  readonly connectionOptions: ConnectionOptions;
  /** Tw in ms (RFC 3539); default 30 000. */
  readonly watchdogMs?: number;
  /** Time and timers for the watchdog; default the system clock (tests drive a fake one). */
  readonly watchdogClock?: Clock;
  /** Judges a CER or CEA: 2001 to accept, or the Result-Code to refuse with (5010, 3010, …). */
  judgeCapabilities(caps: PeerCapabilities): { resultCode: number; errorMessage?: string };
  /** An application request arrived on an open connection. */
  onRequest(peer: Peer, conn: Connection, msg: Message): void;
  /** A request that failed to decode arrived on an open connection. */
  onMalformed(peer: Peer, conn: Connection, msg: Message, err: DiameterError): void;
  /** Opens a transport to the peer (initiator role). */
  openTransport?(peer: Peer): Promise<Duplex>;
  /** The peer reached Closed with no connection left. */
  onPeerClosed?(peer: Peer): void;
  /**
   * The peer told its Origin-State-Id (RFC 6733 §8.16): in the CER or CEA of a connection that opened, or
   * in a DWR. A node that keeps state for the peer (sessions) compares it with the last one to learn of a
   * restart that lost the peer's state.
   */
  onOriginStateId?(peer: Peer, originHost: string, originStateId: number, from: 'CER' | 'CEA' | 'DWR'): void;
  newEndToEnd(): number;
}

export interface PeerOptions {
  /** The peer's Origin-Host when known in advance (configured peers). */
  originHost?: string;
  /** Tc, the reconnect timer (RFC 6733 §12), for configured peers. */
  reconnectMs?: number;
  /** Reconnect at all (initiator role). */
  reconnect?: boolean;
}
