/**
 * The Peer's side of the RFC 6733 §5.6 table (state-machine.ts): what an event carries to the actions it
 * triggers, the receive event of each connection side, and the transitions looked up once and kept.
 */
import type { Message } from '../codec/types.js';
import type { PeerCapabilities } from './capabilities.js';
import type { Connection } from './connection.js';
import {
  transition,
  type PeerEvent,
  type PeerState,
  type TransitionContext,
  type TransitionResult,
} from './state-machine.js';

export interface EventArgs {
  conn?: Connection;
  msg?: Message;
  caps?: PeerCapabilities;
  verdict?: { resultCode: number; errorMessage?: string };
}

/** The receive events of each connection side, spelled out so that dispatching a message builds no string. */
export const RECEIVE_EVENTS = {
  'I-': { cer: 'I-Rcv-CER', dwr: 'I-Rcv-DWR', dpr: 'I-Rcv-DPR', message: 'I-Rcv-Message' },
  'R-': { cer: 'R-Rcv-CER', dwr: 'R-Rcv-DWR', dpr: 'R-Rcv-DPR', message: 'R-Rcv-Message' },
} as const satisfies Record<'I-' | 'R-', Record<string, PeerEvent>>;

/**
 * Transitions that need no context (no guard), looked up once per (state, event): the table is constant,
 * and every application message would otherwise look its row up again by a string key.
 */
const unguarded = new Map<PeerState, Map<PeerEvent, TransitionResult>>();

export function transitionFor(state: PeerState, event: PeerEvent, ctx: TransitionContext): TransitionResult {
  let byEvent = unguarded.get(state);
  const known = byEvent?.get(event);
  if (known !== undefined) return known;
  const t = transition(state, event, ctx);
  if (t.row === undefined || t.row.guard === undefined) {
    if (!byEvent) unguarded.set(state, (byEvent = new Map()));
    byEvent.set(event, t);
  }
  return t;
}
