/**
 * The node's watchdog over a real (in-memory) connection, in fake time: Tw cannot be shorter than 6 s
 * (RFC 3539 §3.4.1), so the node's peers get a hand-driven clock through the `watchdogClock` option. A
 * peer that answers DWRs stays open; one that stops answering is closed after about 3 Tw
 * (base-protocol.md §12).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { DiameterNode } from '../../src/node/node.js';
import { AVP, CMD, acr, answerTo, cer, resultCode, u32Of } from '../helpers/raw-peer.js';
import { SERVER, attach, testNode } from './fixture.js';
import { ManualClock } from './manual-clock.js';

const TW = 30_000;
const turn = () => new Promise<void>((r) => setImmediate(r));

describe('watchdog of a node’s peer (RFC 3539, hand-driven clock)', () => {
  let clock = new ManualClock();
  // Tw is TwInit ± 2 s: one step of TwInit + 2 s reaches the next expiry and, as the next Tw is counted
  // from that expiry and lasts at least TwInit − 2 s, never two.
  const step = () => clock.advance(TW + 2_000);
  let current: DiameterNode | undefined;
  afterEach(async () => {
    await current?.stop();
  });

  async function open() {
    clock = new ManualClock();
    const { node } = testNode({ watchdogMs: TW, watchdogClock: clock, shutdownTimeoutMs: 50 });
    current = node;
    const c = attach(node);
    assert.equal(resultCode(await c.exchange(cer())), 2001);
    const peer = node.peers.get('ctf.example.com')!;
    return { node, c, peer };
  }

  test('a silent link gets a DWR every Tw; answered DWRs keep the peer open', async () => {
    const { c, peer } = await open();
    for (let i = 0; i < 4; i++) {
      step();
      const d = await c.next();
      assert.equal(d.command, CMD.DWR);
      assert.equal(u32Of(d, AVP.ORIGIN_STATE_ID), SERVER.originStateId);
      c.send(answerTo(d));
      await turn();
    }
    assert.equal(peer.state, 'R-Open');
    assert.equal(peer.watchdog.state, 'OKAY');
    c.destroy();
  });

  test('a peer that stops answering DWRs is closed: SUSPECT after 2 Tw, connection closed after 3 Tw', async () => {
    const { c, peer } = await open();
    step();
    assert.equal((await c.next()).command, CMD.DWR);
    step();
    assert.equal(peer.watchdog.state, 'SUSPECT');
    assert.equal(c.closed, false);
    step();
    await c.expectClose(1000);
    await turn();
    assert.equal(peer.watchdog.state, 'DOWN');
    assert.equal(peer.state, 'Closed');
  });

  test('application traffic counts as liveness: no DWR while requests flow', async () => {
    const { c } = await open();
    for (let i = 1; i <= 6; i++) {
      clock.advance(TW / 2);
      const a = await c.exchange(acr({ hbh: i, e2e: i }));
      assert.equal(a.command, CMD.ACR, 'the answer, not a DWR');
      assert.equal(resultCode(a), 2001);
    }
    assert.equal(c.queued, 0);
    c.destroy();
  });
});
