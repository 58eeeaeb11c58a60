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
import type { PeerAction, PeerEvent, PeerState, TransitionContext } from '../../src/peer/state-machine.js';
import { elect } from '../../src/peer/election.js';

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

/** Runs events through transition() from `start`, returning the states visited and all actions. */
function run(
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

describe('peer state machine paths', () => {
  it('initiator: connect, CER, CEA, then DWR, a message, Stop and the DPA', () => {
    const { states, actions } = run('Closed', [
      ['Start'],
      ['I-Rcv-Conn-Ack'],
      ['I-Rcv-CEA', { ceaAcceptable: true }],
      ['I-Rcv-DWR'],
      ['Send-Message'],
      ['Stop'],
      ['I-Rcv-DPA'],
    ]);
    assert.deepEqual(states, [
      'Closed',
      'Wait-Conn-Ack',
      'Wait-I-CEA',
      'I-Open',
      'I-Open',
      'I-Open',
      'Closing',
      'Closed',
    ]);
    assert.deepEqual(actions, [
      'I-Snd-Conn-Req',
      'I-Snd-CER',
      'Process-CEA',
      'Process-DWR',
      'I-Snd-DWA',
      'I-Snd-Message',
      'I-Snd-DPR',
      'I-Disc',
    ]);
  });

  it('responder: inbound CER opens at once; the peer DPRs and then disconnects', () => {
    const { states, actions } = run('Closed', [
      ['R-Conn-CER', { cerAcceptable: true }],
      ['R-Rcv-Message'],
      ['R-Rcv-DPR'],
      ['R-Peer-Disc'],
    ]);
    assert.deepEqual(states, ['Closed', 'R-Open', 'R-Open', 'Closing', 'Closed']);
    assert.deepEqual(actions, ['R-Accept', 'Process-CER', 'R-Snd-CEA', 'Process', 'R-Snd-DPA', 'R-Disc']);
  });

  it('DPR in I-Open: answer, wait in Closing, close when the peer disconnects', () => {
    const { states, actions } = run('I-Open', [['I-Rcv-DPR'], ['I-Peer-Disc']]);
    assert.deepEqual(states, ['I-Open', 'Closing', 'Closed']);
    assert.deepEqual(actions, ['I-Snd-DPA', 'I-Disc']);
    // If the DPR sender never closes, our timer does.
    assert.deepEqual(run('I-Open', [['I-Rcv-DPR'], ['Timeout']]).actions, ['I-Snd-DPA', 'Error']);
  });

  it('a second inbound connection is rejected while open', () => {
    for (const open of ['I-Open', 'R-Open'] as const) {
      assert.deepEqual(transition(open, 'R-Conn-CER'), {
        next: open,
        actions: ['R-Reject'],
        defined: true,
        row: PEER_STATE_TABLE.find((r) => r.state === open && r.event === 'R-Conn-CER'),
      });
    }
  });

  it('connect failure and CEA timeout return to Closed', () => {
    assert.deepEqual(run('Closed', [['Start'], ['I-Rcv-Conn-Nack']]).states.at(-1), 'Closed');
    assert.deepEqual(run('Closed', [['Start'], ['I-Rcv-Conn-Ack'], ['Timeout']]).actions, [
      'I-Snd-Conn-Req',
      'I-Snd-CER',
      'Error',
    ]);
    assert.deepEqual(
      run('Closed', [['Start'], ['I-Rcv-Conn-Ack'], ['I-Rcv-Non-CEA']]).states.at(-1),
      'Closed',
    );
  });

  it('Wait-Conn-Ack/Elect: our connect fails, so the inbound connection is answered', () => {
    const { states, actions } = run('Closed', [
      ['Start'],
      ['R-Conn-CER', { cerAcceptable: true }],
      ['I-Rcv-Conn-Nack'],
    ]);
    assert.deepEqual(states, ['Closed', 'Wait-Conn-Ack', 'Wait-Conn-Ack/Elect', 'R-Open']);
    assert.deepEqual(actions, ['I-Snd-Conn-Req', 'R-Accept', 'Process-CER', 'R-Snd-CEA']);
  });
});

/**
 * Election both ways: two nodes run the table against each other over simulated connections, with
 * every interleaving of deliveries a seeded random scheduler picks. Whatever the order, exactly one
 * connection must survive, with one side in I-Open and the other in R-Open on it; when both started
 * before any CER arrived, the winner (higher Origin-Host) is the R-Open side (RFC 6733 §5.6.4).
 */
describe('simultaneous open (RFC 6733 §5.6.4)', () => {
  interface Conn {
    id: number;
    initiator: Node;
    responder: Node;
    open: boolean;
  }
  interface Node {
    name: string;
    state: PeerState;
    I?: Conn;
    R?: Conn;
    peer?: Node;
    inbox: PeerEvent[]; // local events (Start, Conn-Ack, Win-Election)
    startedAt?: number;
  }
  interface Delivery {
    to: Node;
    conn: Conn;
    what: 'CER' | 'CEA' | 'DISC';
  }

  function mulberry32(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function simulate(seed: number, aName: string, bName: string) {
    const rand = mulberry32(seed);
    const a: Node = { name: aName, state: 'Closed', inbox: ['Start'] };
    const b: Node = { name: bName, state: 'Closed', inbox: ['Start'] };
    a.peer = b;
    b.peer = a;
    // One FIFO per direction of each connection, as TCP gives.
    const wires = new Map<string, Delivery[]>();
    let nextId = 1;
    let step = 0;
    let firstCerDelivery = Infinity;

    const send = (from: Node, conn: Conn, what: Delivery['what']) => {
      const to = conn.initiator === from ? conn.responder : conn.initiator;
      const k = `${conn.id}>${to.name}`;
      if (!wires.has(k)) wires.set(k, []);
      wires.get(k)!.push({ to, conn, what });
    };

    const apply = (node: Node, event: PeerEvent, conn: Conn | undefined) => {
      const r = transition(node.state, event, { cerAcceptable: true, ceaAcceptable: true });
      if (!r.defined) return; // e.g. Start after the peer already opened us
      node.state = r.next;
      for (const action of r.actions) {
        switch (action) {
          case 'I-Snd-Conn-Req': {
            assert.equal(node.I, undefined);
            node.I = { id: nextId++, initiator: node, responder: node.peer!, open: true };
            node.inbox.push('I-Rcv-Conn-Ack'); // connects succeed in this simulation
            break;
          }
          case 'I-Snd-CER':
            assert.ok(node.I, `${node.name}: I-Snd-CER without an I connection`);
            send(node, node.I, 'CER');
            break;
          case 'R-Accept':
            assert.equal(node.R, undefined, `${node.name}: R-Accept over an existing R`);
            node.R = conn;
            break;
          case 'R-Reject':
            send(node, conn!, 'DISC');
            break;
          case 'R-Snd-CEA':
            assert.ok(node.R?.open, `${node.name}: R-Snd-CEA without an open R connection`);
            send(node, node.R, 'CEA');
            break;
          case 'Elect':
            if (elect(node.name, node.peer!.name) === 'win') node.inbox.unshift('Win-Election');
            break;
          case 'I-Disc':
            assert.ok(node.I, `${node.name}: I-Disc without an I connection`);
            if (node.I.open) {
              node.I.open = false;
              send(node, node.I, 'DISC');
            }
            node.I = undefined;
            break;
          case 'R-Disc':
            assert.ok(node.R, `${node.name}: R-Disc without an R connection`);
            if (node.R.open) {
              node.R.open = false;
              send(node, node.R, 'DISC');
            }
            node.R = undefined;
            break;
          case 'Process-CER':
          case 'Process-CEA':
            break;
          default:
            assert.fail(`unexpected action ${action} in ${node.name}`);
        }
      }
    };

    const deliver = (d: Delivery) => {
      const node = d.to;
      const mine = node.I === d.conn ? 'I' : node.R === d.conn ? 'R' : undefined;
      if (d.what === 'CER') {
        if (firstCerDelivery === Infinity) firstCerDelivery = step;
        apply(node, 'R-Conn-CER', d.conn);
      } else if (d.what === 'CEA') {
        assert.equal(mine, 'I', `${node.name}: CEA on a connection it did not initiate`);
        apply(node, 'I-Rcv-CEA', d.conn);
      } else {
        d.conn.open = false;
        if (mine === 'I') apply(node, 'I-Peer-Disc', d.conn);
        else if (mine === 'R') apply(node, 'R-Peer-Disc', d.conn);
        // else: we already dropped it
      }
    };

    for (; step < 200; step++) {
      const ready: Array<() => void> = [];
      for (const n of [a, b]) {
        if (n.inbox.length > 0)
          ready.push(() => {
            const e = n.inbox.shift()!;
            if (e === 'Start') n.startedAt = step;
            apply(n, e, undefined);
          });
      }
      for (const q of wires.values()) if (q.length > 0) ready.push(() => deliver(q.shift()!));
      if (ready.length === 0) break;
      ready[Math.floor(rand() * ready.length)]!();
    }
    assert.ok(step < 200, 'simulation did not settle');
    const bothStartedBeforeCer =
      Math.max(a.startedAt ?? Infinity, b.startedAt ?? Infinity) < firstCerDelivery;
    return { a, b, bothStartedBeforeCer };
  }

  for (const [aName, bName] of [
    ['alpha.example.net', 'bravo.example.net'],
    ['Zulu.example.net', 'alpha.example.net'], // case-insensitive: zulu > alpha
  ] as const) {
    it(`${aName} and ${bName} end on one connection, the winner as responder`, () => {
      const winner = elect(aName, bName) === 'win' ? aName : bName;
      let raced = 0;
      for (let seed = 1; seed <= 400; seed++) {
        const { a, b, bothStartedBeforeCer } = simulate(seed, aName, bName);
        const open = [a, b].filter((n) => isOpen(n.state));
        assert.equal(open.length, 2, `seed ${seed}: ${a.state} / ${b.state}`);
        const iSide = a.state === 'I-Open' ? a : b;
        const rSide = iSide === a ? b : a;
        assert.equal(iSide.state, 'I-Open', `seed ${seed}`);
        assert.equal(rSide.state, 'R-Open', `seed ${seed}`);
        assert.ok(
          iSide.I && rSide.R && iSide.I === rSide.R && iSide.I.open,
          `seed ${seed}: not the same live connection`,
        );
        assert.equal(iSide.R, undefined, `seed ${seed}`);
        assert.equal(rSide.I, undefined, `seed ${seed}`);
        if (bothStartedBeforeCer) {
          raced++;
          assert.equal(
            rSide.name,
            winner,
            `seed ${seed}: the election winner keeps the peer-initiated connection`,
          );
        }
      }
      assert.ok(raced > 50, `only ${raced} seeds exercised the election`);
    });
  }

  it('the loser may see the CEA before the winner closes its connection', () => {
    // bravo > alpha: bravo wins. alpha's view: its CER went out, bravo's CER arrived, it lost.
    const { states } = run('Wait-I-CEA', [['R-Conn-CER', { cerAcceptable: true }]]);
    assert.equal(states.at(-1), 'Wait-Returns');
    assert.equal(elect('alpha.example.net', 'bravo.example.net'), 'lose');
    const r = transition('Wait-Returns', 'I-Rcv-CEA', { ceaAcceptable: true });
    assert.deepEqual([r.next, r.actions], ['I-Open', ['R-Disc']]);
    // We closed R ourselves; the winner's late disconnect of it is an undefined, harmless event.
    assert.equal(transition('I-Open', 'R-Peer-Disc').defined, false);
  });
});
