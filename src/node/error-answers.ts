/**
 * Error answers as an event: every answer the node (or an application on it) sends to a request with a
 * Result-Code outside 2xxx — E-bit protocol errors (RFC 6733 §7.1.3), 4xxx/5xxx in the command's own
 * answer (§7.1.4, §7.1.5), answers to requests that did not decode — is published on
 * `diamkit:answer:error`, so that `diamkit serve` can tell its user at once what is wrong with their
 * traffic. The library itself does not log (DESIGN.md example 9).
 *
 * Only error paths call this: a 2001 answer builds no event and makes no call.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import type { DiameterError } from '../codec/errors.js';
import { avpUnsigned32 } from '../codec/raw-values.js';
import type { Message } from '../codec/types.js';
import { findAvp } from '../dictionary/accessors.js';
import { Code } from '../dictionary/codes.js';
import type { Connection } from '../peer/connection.js';
import type { Peer } from '../peer/peer.js';

export const errorAnswerChannel = diagnostics_channel.channel('diamkit:answer:error');

/**
 * What `diamkit:answer:error` carries. The messages are the live objects: a subscriber reads them while it
 * is called (diagnostics_channel calls it synchronously) and copies what it keeps.
 */
export interface ErrorAnswerEvent {
  /** The Result-Code (or Experimental-Result-Code) the answer carries. */
  resultCode: number;
  /** The request answered (for a request that did not decode: what could be read of it). */
  request: Message;
  /** The answer as built: Error-Message and Failed-AVP are in it when it has them. */
  answer: Message;
  /** The error behind the answer, when there is one (its stable code, RFC 6733 §7.5 Failed-AVP). */
  error?: DiameterError;
  /** Who sent the request, when the code that answers knows (an application handler may not). */
  peer?: Peer;
  connection?: Connection;
  /** The behaviour rule (rules.ts) that answered, when a rule did. */
  rule?: string;
}

/** Whether a Result-Code is an error for this event: anything but 2xxx (RFC 6733 §7.1.2 success). */
export function isErrorResult(resultCode: number): boolean {
  return !(resultCode >= 2000 && resultCode < 3000);
}

/**
 * The Result-Code an answer carries, else its Experimental-Result-Code (RFC 6733 §7.6); 0 when it has
 * neither. For error paths that take an answer built elsewhere (an application's own error answer).
 */
export function answerResultCode(m: Message): number {
  const rc = findAvp(m.avps, Code.RESULT_CODE);
  if (rc) return avpUnsigned32(rc) ?? 0;
  const exp = findAvp(m.avps, Code.EXPERIMENTAL_RESULT)?.avps;
  const code = exp && findAvp(exp, Code.EXPERIMENTAL_RESULT_CODE);
  return (code && avpUnsigned32(code)) ?? 0;
}

/** Publishes `e` if anyone listens; returns the answer, so a caller can write `return published(…)`. */
export function publishErrorAnswer(e: ErrorAnswerEvent): Message {
  if (errorAnswerChannel.hasSubscribers) errorAnswerChannel.publish(e);
  return e.answer;
}
