/**
 * The library publishes what happens on `node:diagnostics_channel` (like undici's lib/core/diagnostics.js)
 * instead of depending on a logger: the server turns these into pino logs and metrics.
 */
import diagnostics_channel from 'node:diagnostics_channel';

export const channels = {
  /** {peer, from, to} — a peer state machine transition. */
  peerState: diagnostics_channel.channel('diamkit:peer:state'),
  /** {connection, message?, bytes} — a message was received. */
  messageReceived: diagnostics_channel.channel('diamkit:message:received'),
  /** {connection, message?, bytes} — a message was sent. */
  messageSent: diagnostics_channel.channel('diamkit:message:sent'),
  /** {peer?, connection?, error} — malformed input, framing lost, unexpected events. */
  peerError: diagnostics_channel.channel('diamkit:peer:error'),
  /** {peer, from, to} — watchdog state change (RFC 3539). */
  watchdog: diagnostics_channel.channel('diamkit:peer:watchdog'),
  /** {connection, message} — an answer with an unknown Hop-by-Hop id was discarded. */
  unknownAnswer: diagnostics_channel.channel('diamkit:message:unknown-answer'),
} as const;
