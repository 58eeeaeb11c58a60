/**
 * Shared by the peer state machine tests (state-machine-*.test.ts): a run of events through transition()
 * (RFC 6733 §5.6), each of which must have a row in the table.
 */
import assert from 'node:assert/strict';
import { transition } from '../../src/peer/state-machine.js';
import type { PeerAction, PeerEvent, PeerState, TransitionContext } from '../../src/peer/state-machine.js';

/** Runs events through transition() from `start`, returning the states visited and all actions. */
export function run(
  start: PeerState,
  steps: Array<[PeerEvent, TransitionContext?]>,
): { states: PeerState[]; actions: PeerAction[] } {
  let state = start;
  const states: PeerState[] = [state];
  const actions: PeerAction[] = [];
  for (const [event, ctx] of steps) {
    const r = transition(state, event, ctx);
    assert.ok(r.defined, `${state} + ${event} is not in the table`);
    state = r.next;
    states.push(state);
    actions.push(...r.actions);
  }
  return { states, actions };
}
