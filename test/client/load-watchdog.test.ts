/**
 * The load generator's own watchdog (src/client/load/load-connection.ts; RFC 3539 §3.4.1): after Tw with
 * nothing from the peer, one DWR, with our Origin-Host and the run's Origin-State-Id; no second one while it
 * is unanswered; after the DWA, the next one Tw of silence later. Against a raw peer over TCP.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { LoadConnection, type LoadConnectionOwner } from '../../src/client/load/load-connection.js';
import { AVP, CMD, R, RawPeer, answerTo, avp, strOf, u32Of } from '../helpers/raw-peer.js';

const owner: LoadConnectionOwner<unknown> = {
  onAnswer: () => undefined,
  onTimeout: () => undefined,
  onLost: () => undefined,
  onClosed: () => undefined,
  onWritable: () => undefined,
};

test('a silent peer gets one DWR after Tw, none more while it is unanswered, the next Tw after its DWA', async () => {
  let peer!: RawPeer;
  const accepted = new Promise<RawPeer>((ok) => {
    const listener = net.createServer((sock) => {
      listener.close();
      ok((peer = new RawPeer(sock)));
    });
    listener.listen(0, '127.0.0.1', () => {
      const port = (listener.address() as net.AddressInfo).port;
      conn = new LoadConnection(
        { host: '127.0.0.1', port, originHost: 'load.localdomain', originRealm: 'localdomain', timeoutMs: 200, maxInFlight: 4, watchdogMs: 150, originStateId: 77 },
        owner,
      );
      connected = conn.connect();
    });
  });
  let conn!: LoadConnection<unknown>;
  let connected!: Promise<unknown>;
  try {
    await accepted;
    const cer = await peer.next(2000);
    assert.equal(cer.command, CMD.CER);
    peer.send(answerTo(cer, 'peer.example.com', [avp(AVP.ACCT_APPLICATION_ID, 3)]));
    await connected;
    const t0 = Date.now();

    const first = await peer.next(3000);
    const waited = Date.now() - t0;
    assert.equal(first.command, CMD.DWR);
    assert.ok(first.flags & R, 'a request');
    assert.ok(waited >= 120, `the DWR came ${waited} ms after the CEA, before Tw (150 ms)`);
    assert.equal(strOf(first, AVP.ORIGIN_HOST), 'load.localdomain');
    assert.equal(u32Of(first, AVP.ORIGIN_STATE_ID), 77);

    await assert.rejects(peer.next(500), /no message within/, 'no second DWR while the first is unanswered');
    peer.send(answerTo(first, 'peer.example.com'));
    const t1 = Date.now();
    const second = await peer.next(3000);
    assert.equal(second.command, CMD.DWR);
    assert.ok(Date.now() - t1 >= 120, 'Tw of silence after the DWA');
    assert.notEqual(second.hbh, first.hbh);
  } finally {
    conn?.destroy();
    peer?.destroy();
  }
});
