/**
 * Simultaneous open and the election (RFC 6733 §5.6.4): two nodes run the peer state table against each
 * other over simulated connections.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isOpen, transition } from '../../src/peer/state-machine.js';
import type { PeerEvent, PeerState } from '../../src/peer/state-machine.js';
import { elect } from '../../src/peer/election.js';
import { run } from './state-machine-helpers.js';

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
