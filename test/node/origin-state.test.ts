/**
 * A peer's Origin-State-Id reaches the applications (RFC 6733 §8.6, §8.16): from the CER of a connection
 * that opens and from each DWR, with the peer's Origin-Host; a CER that is refused tells nothing; an
 * application that throws does not stop the peer (the node reports it as an 'error' event).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AVP, avp, cer, dwr, resultCode } from '../helpers/raw-peer.js';
import { attach, testNode } from './fixture.js';

type Told = [string, number, string];

describe("a peer's Origin-State-Id", () => {
  test('told to every application from the CER and each DWR, with the peer’s Origin-Host', async () => {
    const { node } = testNode();
    const told: Told[] = [];
    node.registry.application(3)!.onOriginStateId = (host, osi, from) => told.push([host, osi, from]);
    const events: Told[] = [];
    node.on('origin-state-id', (_peer, host: string, osi: number, from: string) => events.push([host, osi, from]));
    const c = attach(node);
    assert.equal(resultCode(await c.exchange(cer({ originHost: 'ctf.example.com', originStateId: 41 }))), 2001);
    assert.deepEqual(told, [['ctf.example.com', 41, 'CER']]);
    assert.equal(resultCode(await c.exchange(dwr(2, 2, 'ctf.example.com', [avp(AVP.ORIGIN_STATE_ID, 42)]))), 2001);
    assert.equal(resultCode(await c.exchange(dwr(3, 3, 'ctf.example.com'))), 2001); // none in it: nothing told
    assert.deepEqual(told, [
      ['ctf.example.com', 41, 'CER'],
      ['ctf.example.com', 42, 'DWR'],
    ]);
    assert.deepEqual(events, told);
    c.destroy();
  });

  test('a refused CER tells nothing', async () => {
    const { node } = testNode({ allowPeers: ['someone.else.example'] });
    const told: Told[] = [];
    node.registry.application(3)!.onOriginStateId = (host, osi, from) => told.push([host, osi, from]);
    const c = attach(node);
    assert.equal(resultCode(await c.exchange(cer({ originStateId: 7 }))), 3010);
    assert.deepEqual(told, []);
    c.destroy();
  });

  test('an application that throws does not stop the peer; the node emits error', async () => {
    const { node } = testNode();
    node.registry.application(3)!.onOriginStateId = () => {
      throw new Error('boom');
    };
    const errors: unknown[] = [];
    node.on('error', (e) => errors.push(e));
    const c = attach(node);
    assert.equal(resultCode(await c.exchange(cer({ originStateId: 9 }))), 2001);
    assert.equal(resultCode(await c.exchange(dwr(2, 2))), 2001, 'the peer is open and answers');
    assert.equal((errors[0] as Error | undefined)?.message, 'boom');
    c.destroy();
  });
});
