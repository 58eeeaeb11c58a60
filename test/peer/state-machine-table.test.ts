/**
 * The peer state table (RFC 6733 §5.6) against a copy typed in by hand from the RFC, the failure rows
 * diamkit adds, and transition() on every row and on pairs without one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  PEER_ACTIONS,
  PEER_EVENTS,
  PEER_STATES,
  PEER_STATE_TABLE,
  eventsFor,
  isOpen,
  transition,
} from '../../src/peer/state-machine.js';
import type { PeerAction, PeerState, TransitionContext } from '../../src/peer/state-machine.js';

/**
 * RFC 6733 §5.6, typed in by hand from the RFC table (base-protocol.md §10 gives the same rows with
 * R-Open and I-Open folded together). "state | event | actions | next". The guarded rows of the source
 * are the success branch of the RFC row.
 */
const RFC_TABLE = `
Closed              | Start           | I-Snd-Conn-Req                  | Wait-Conn-Ack
Closed              | R-Conn-CER      | R-Accept, Process-CER, R-Snd-CEA | R-Open
Wait-Conn-Ack       | I-Rcv-Conn-Ack  | I-Snd-CER                       | Wait-I-CEA
Wait-Conn-Ack       | I-Rcv-Conn-Nack | Cleanup                         | Closed
Wait-Conn-Ack       | R-Conn-CER      | R-Accept, Process-CER           | Wait-Conn-Ack/Elect
Wait-Conn-Ack       | Timeout         | Error                           | Closed
Wait-I-CEA          | I-Rcv-CEA       | Process-CEA                     | I-Open
Wait-I-CEA          | R-Conn-CER      | R-Accept, Process-CER, Elect    | Wait-Returns
Wait-I-CEA          | I-Peer-Disc     | I-Disc                          | Closed
Wait-I-CEA          | I-Rcv-Non-CEA   | Error                           | Closed
Wait-I-CEA          | Timeout         | Error                           | Closed
Wait-Conn-Ack/Elect | I-Rcv-Conn-Ack  | I-Snd-CER, Elect                | Wait-Returns
Wait-Conn-Ack/Elect | I-Rcv-Conn-Nack | R-Snd-CEA                       | R-Open
Wait-Conn-Ack/Elect | R-Peer-Disc     | R-Disc                          | Wait-Conn-Ack
Wait-Conn-Ack/Elect | R-Conn-CER      | R-Reject                        | Wait-Conn-Ack/Elect
Wait-Conn-Ack/Elect | Timeout         | Error                           | Closed
Wait-Returns        | Win-Election    | I-Disc, R-Snd-CEA               | R-Open
Wait-Returns        | I-Peer-Disc     | I-Disc, R-Snd-CEA               | R-Open
Wait-Returns        | I-Rcv-CEA       | R-Disc                          | I-Open
Wait-Returns        | R-Peer-Disc     | R-Disc                          | Wait-I-CEA
Wait-Returns        | R-Conn-CER      | R-Reject                        | Wait-Returns
Wait-Returns        | Timeout         | Error                           | Closed
R-Open              | Send-Message    | R-Snd-Message                   | R-Open
R-Open              | R-Rcv-Message   | Process                         | R-Open
R-Open              | R-Rcv-DWR       | Process-DWR, R-Snd-DWA          | R-Open
R-Open              | R-Rcv-DWA       | Process-DWA                     | R-Open
R-Open              | R-Conn-CER      | R-Reject                        | R-Open
R-Open              | Stop            | R-Snd-DPR                       | Closing
R-Open              | R-Rcv-DPR       | R-Snd-DPA                       | Closing
R-Open              | R-Peer-Disc     | R-Disc                          | Closed
I-Open              | Send-Message    | I-Snd-Message                   | I-Open
I-Open              | I-Rcv-Message   | Process                         | I-Open
I-Open              | I-Rcv-DWR       | Process-DWR, I-Snd-DWA          | I-Open
I-Open              | I-Rcv-DWA       | Process-DWA                     | I-Open
I-Open              | R-Conn-CER      | R-Reject                        | I-Open
I-Open              | Stop            | I-Snd-DPR                       | Closing
I-Open              | I-Rcv-DPR       | I-Snd-DPA                       | Closing
I-Open              | I-Peer-Disc     | I-Disc                          | Closed
Closing             | I-Rcv-DPA       | I-Disc                          | Closed
Closing             | R-Rcv-DPA       | R-Disc                          | Closed
Closing             | Timeout         | Error                           | Closed
Closing             | I-Peer-Disc     | I-Disc                          | Closed
Closing             | R-Peer-Disc     | R-Disc                          | Closed
`;

interface Expected {
  state: string;
  event: string;
  actions: string[];
  next: string;
}

const expectedRfcRows: Expected[] = RFC_TABLE.trim()
  .split('\n')
  .map((line) => {
    const [state, event, actions, next] = line.split('|').map((s) => s.trim());
    return { state: state!, event: event!, actions: actions!.split(',').map((a) => a.trim()), next: next! };
  });

/** The ctx that selects a guarded row. */
function ctxFor(guard: string | undefined): TransitionContext {
  switch (guard) {
    case undefined:
      return {};
    case 'CER acceptable':
      return { cerAcceptable: true };
    case 'CER not acceptable':
      return { cerAcceptable: false };
    case 'CEA acceptable':
      return { ceaAcceptable: true };
    case 'CEA not acceptable':
      return { ceaAcceptable: false };
    default:
      throw new Error(`unknown guard ${guard}`);
  }
}

describe('peer state table (RFC 6733 §5.6)', () => {
  it('holds exactly the RFC rows, in the RFC order', () => {
    const rfcRows = PEER_STATE_TABLE.filter((r) => r.source === 'RFC 6733 §5.6').map((r) => ({
      state: r.state,
      event: r.event,
      actions: [...r.actions],
      next: r.next,
    }));
    assert.deepEqual(rfcRows, expectedRfcRows);
  });

  it('adds only failure branches of Process-CER / Process-CEA, each paired with an RFC row', () => {
    const ours = PEER_STATE_TABLE.filter((r) => r.source === 'diamkit');
    assert.equal(ours.length, 5);
    for (const row of ours) {
      assert.ok(
        row.guard === 'CER not acceptable' || row.guard === 'CEA not acceptable',
        `${row.state} ${row.event}`,
      );
      assert.ok(row.note && row.note.length > 0);
      const twin = PEER_STATE_TABLE.find(
        (r) => r.source === 'RFC 6733 §5.6' && r.state === row.state && r.event === row.event,
      );
      assert.ok(twin, `no RFC row for ${row.state} + ${row.event}`);
      assert.equal(twin.guard, row.guard === 'CER not acceptable' ? 'CER acceptable' : 'CEA acceptable');
    }
  });

  it('a refused CER is answered and its connection closed without leaving the state', () => {
    for (const state of ['Closed', 'Wait-Conn-Ack', 'Wait-I-CEA'] as const) {
      const r = transition(state, 'R-Conn-CER', { cerAcceptable: false });
      assert.equal(r.next, state);
      assert.deepEqual(r.actions, ['R-Accept', 'Process-CER', 'R-Snd-CEA', 'R-Disc']);
    }
  });

  it('a refused CEA closes the initiated connection', () => {
    assert.deepEqual(transition('Wait-I-CEA', 'I-Rcv-CEA', { ceaAcceptable: false }), {
      next: 'Closed',
      actions: ['Process-CEA', 'Error'],
      defined: true,
      row: PEER_STATE_TABLE.find((r) => r.state === 'Wait-I-CEA' && r.guard === 'CEA not acceptable'),
    });
    const r = transition('Wait-Returns', 'I-Rcv-CEA', { ceaAcceptable: false });
    assert.equal(r.next, 'R-Open');
    assert.ok(r.actions.includes('I-Disc') && r.actions.includes('R-Snd-CEA'));
  });

  it('transition() follows every row of the table', () => {
    for (const row of PEER_STATE_TABLE) {
      const r = transition(row.state, row.event, ctxFor(row.guard));
      assert.equal(r.defined, true);
      assert.equal(r.next, row.next, `${row.state} + ${row.event} [${row.guard ?? ''}]`);
      assert.deepEqual(r.actions, row.actions, `${row.state} + ${row.event} [${row.guard ?? ''}]`);
      assert.equal(r.row, row);
    }
  });

  it('every state and action name in the table is declared, and every declared action is used', () => {
    const used = new Set<PeerAction>();
    for (const row of PEER_STATE_TABLE) {
      assert.ok((PEER_STATES as readonly string[]).includes(row.state));
      assert.ok((PEER_STATES as readonly string[]).includes(row.next));
      assert.ok((PEER_EVENTS as readonly string[]).includes(row.event));
      for (const a of row.actions) {
        assert.ok((PEER_ACTIONS as readonly string[]).includes(a), a);
        used.add(a);
      }
    }
    assert.deepEqual(
      PEER_ACTIONS.filter((a) => !used.has(a)),
      [],
    );
    const usedEvents = new Set(PEER_STATE_TABLE.map((r) => r.event));
    // RFC 6733 dropped the RFC 3588 rows for CER/CEA on an open connection; the events remain.
    assert.deepEqual(
      PEER_EVENTS.filter((e) => !usedEvents.has(e)),
      ['I-Rcv-CER', 'R-Rcv-CER', 'R-Rcv-CEA'],
    );
  });

  it('a pair without a row changes nothing and says so', () => {
    const listed = new Set(PEER_STATE_TABLE.map((r) => `${r.state}|${r.event}`));
    let undefinedPairs = 0;
    for (const state of PEER_STATES) {
      for (const event of PEER_EVENTS) {
        if (listed.has(`${state}|${event}`)) continue;
        undefinedPairs++;
        const r = transition(state, event);
        assert.equal(r.defined, false, `${state} + ${event}`);
        assert.equal(r.next, state);
        assert.deepEqual(r.actions, []);
        assert.equal(r.row, undefined);
      }
    }
    assert.equal(undefinedPairs, PEER_STATES.length * PEER_EVENTS.length - listed.size);
    // Some that matter to the caller:
    assert.equal(transition('Closed', 'Send-Message').defined, false);
    assert.equal(transition('Closed', 'Stop').defined, false);
    assert.equal(transition('Closing', 'I-Rcv-Message').defined, false);
    assert.equal(transition('I-Open', 'I-Rcv-CER').defined, false);
  });

  it('a guarded pair without the verdict is a caller bug', () => {
    assert.throws(() => transition('Closed', 'R-Conn-CER'), { name: 'TypeError', message: /cerAcceptable/ });
    assert.throws(() => transition('Wait-I-CEA', 'I-Rcv-CEA', { cerAcceptable: true }), {
      name: 'TypeError',
      message: /ceaAcceptable/,
    });
    // Unguarded pairs ignore ctx.
    assert.equal(transition('Closed', 'Start', { cerAcceptable: false }).next, 'Wait-Conn-Ack');
  });

  it('matches the legal transitions documented in state-machine.ts', () => {
    const documented: Record<PeerState, PeerState[]> = {
      Closed: ['Wait-Conn-Ack', 'R-Open', 'Closed'],
      'Wait-Conn-Ack': ['Wait-I-CEA', 'Closed', 'Wait-Conn-Ack/Elect', 'Wait-Conn-Ack'],
      'Wait-I-CEA': ['I-Open', 'Wait-Returns', 'Closed', 'Wait-I-CEA'],
      'Wait-Conn-Ack/Elect': ['Wait-Returns', 'R-Open', 'Wait-Conn-Ack', 'Wait-Conn-Ack/Elect', 'Closed'],
      'Wait-Returns': ['R-Open', 'I-Open', 'Wait-I-CEA', 'Wait-Returns', 'Closed'],
      'R-Open': ['R-Open', 'Closing', 'Closed'],
      'I-Open': ['I-Open', 'Closing', 'Closed'],
      Closing: ['Closed'],
    };
    for (const state of PEER_STATES) {
      const nexts = new Set(PEER_STATE_TABLE.filter((r) => r.state === state).map((r) => r.next));
      assert.deepEqual([...nexts].sort(), [...documented[state]].sort(), state);
    }
  });

  it('eventsFor and isOpen', () => {
    assert.deepEqual(eventsFor('Closing'), [
      'I-Rcv-DPA',
      'R-Rcv-DPA',
      'Timeout',
      'I-Peer-Disc',
      'R-Peer-Disc',
    ]);
    assert.deepEqual(eventsFor('Closed'), ['Start', 'R-Conn-CER']);
    assert.deepEqual(
      PEER_STATES.filter((s) => isOpen(s)),
      ['R-Open', 'I-Open'],
    );
  });
});
