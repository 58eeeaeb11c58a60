/**
 * Whole paths through the peer state machine (RFC 6733 §5.6): initiator and responder from connect to
 * disconnect, DPR, rejected second connections, connect failures and timeouts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PEER_STATE_TABLE, transition } from '../../src/peer/state-machine.js';
import { run } from './state-machine-helpers.js';

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
