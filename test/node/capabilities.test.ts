/**
 * The base commands as a DiameterNode answers them over an in-memory connection: CER/CEA (RFC 6733 §5.3),
 * DWR/DWA (§5.5), DPR/DPA (§5.4), and the connections it refuses or closes (base-protocol.md §10–§11).
 * Expected octets are the Erlang-made vectors (02-cea, 04-dwa, 08-dpa) or hand-built in raw-peer.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadVector, loadVectorTables } from '../helpers/vectors.js';
import {
  AVP,
  E,
  P,
  answerTo,
  avp,
  cer,
  dpr,
  dwr,
  find,
  findAll,
  grouped,
  message,
  R,
  resultCode,
  strOf,
  u32Of,
} from '../helpers/raw-peer.js';
import { SERVER, attach, openClient, testNode, until } from './fixture.js';

const vec = (name: string) => Buffer.from(loadVector(name).bytes);
const tables = loadVectorTables();

describe('CER/CEA (RFC 6733 §5.3)', () => {
  test('vector 01 CER gets exactly vector 02 CEA from a node with the vectors’ CDF identity', async () => {
    const { node } = testNode();
    const c = attach(node);
    const cea = await c.exchange(vec('01-cer'));
    assert.equal(cea.bytes.toString('hex'), loadVector('02-cea').hex);
    const peer = node.peers.get('ctf.example.com');
    assert.ok(peer, 'the node keeps a peer under the CER Origin-Host');
    assert.equal(peer.state, 'R-Open');
    assert.equal(peer.capabilities?.originStateId, 1700000000);
    c.destroy();
  });

  test('the CEA carries our identity, Host-IP-Address, applications and vendors, in vector 02’s order', async () => {
    const identity = {
      originHost: 'node-7.test.example',
      originRealm: 'test.example',
      vendorId: 4242,
      productName: 'diamkit-under-test',
      originStateId: 99,
      firmwareRevision: 12,
    };
    const { node } = testNode({ identity });
    const c = attach(node, '127.0.0.9');
    const cea = await c.exchange(cer({ hbh: 0x11, e2e: 0x22 }));
    assert.equal(cea.flags, 0, 'answer to a CER: R, P, E clear');
    assert.equal(cea.command, 257);
    assert.equal(cea.appId, 0);
    assert.equal(cea.hbh, 0x11);
    assert.equal(cea.e2e, 0x22);
    assert.equal(resultCode(cea), 2001);
    assert.equal(strOf(cea, AVP.ORIGIN_HOST), identity.originHost);
    assert.equal(strOf(cea, AVP.ORIGIN_REALM), identity.originRealm);
    assert.equal(find(cea, AVP.HOST_IP_ADDRESS)?.data.toString('hex'), '00017f000009', 'family 1, 127.0.0.9');
    assert.equal(u32Of(cea, AVP.VENDOR_ID), 4242);
    assert.equal(strOf(cea, AVP.PRODUCT_NAME), 'diamkit-under-test');
    assert.equal(u32Of(cea, AVP.ORIGIN_STATE_ID), 99);
    assert.deepEqual(
      findAll(cea, AVP.ACCT_APPLICATION_ID).map((a) => a.data.readUInt32BE(0)),
      [3],
    );
    assert.deepEqual(findAll(cea, AVP.AUTH_APPLICATION_ID), []);
    assert.deepEqual(
      findAll(cea, AVP.SUPPORTED_VENDOR_ID).map((a) => a.data.readUInt32BE(0)),
      [10415],
    );
    assert.equal(u32Of(cea, AVP.FIRMWARE_REVISION), 12);
    // Same AVPs in the same order and with the same flags as vector 02 (Firmware-Revision, M clear, last).
    const expected = tables.get('02-cea')!.avps.map((r) => [r.code, r.flags]);
    assert.deepEqual(
      cea.avps.map((a) => [a.code, a.flags]),
      [...expected, [AVP.FIRMWARE_REVISION, 0]],
    );
    c.destroy();
  });

  test('a CER advertising the application only inside Vendor-Specific-Application-Id, or Relay, is accepted', async () => {
    const { node } = testNode();
    const vsai = attach(node);
    const base = cer({ acct: [] });
    const withVsai = message({ flags: R, command: 257, hbh: 1, e2e: 1 }, [
      base.subarray(20),
      grouped(AVP.VENDOR_SPECIFIC_APPLICATION_ID, [
        avp(AVP.VENDOR_ID, 10415),
        avp(AVP.ACCT_APPLICATION_ID, 3),
      ]),
    ]);
    assert.equal(resultCode(await vsai.exchange(withVsai)), 2001);
    const relay = attach(node);
    assert.equal(
      resultCode(
        await relay.exchange(cer({ originHost: 'relay.example.com', acct: [], auth: [0xffffffff] })),
      ),
      2001,
    );
    vsai.destroy();
    relay.destroy();
  });

  test('no common application: CEA 5010 (E clear), then the connection closes', async () => {
    const { node } = testNode();
    const c = attach(node);
    const cea = await c.exchange(cer({ acct: [], auth: [4] }));
    assert.equal(resultCode(cea), 5010);
    assert.equal(cea.flags & E, 0, '5xxx in the CEA itself, not the E-bit form');
    assert.ok(strOf(cea, AVP.ERROR_MESSAGE), 'Error-Message says why');
    await c.expectClose(3000);
    assert.equal(node.peers.has('ctf.example.com'), false, 'a refused peer is not kept in the peer table');
  });

  test('allow-list set and the peer not in it: 3010 with the E bit, then close', async () => {
    const { node } = testNode({ allowPeers: ['friend.example.com'] });
    const c = attach(node);
    const cea = await c.exchange(cer());
    assert.equal(resultCode(cea), 3010);
    assert.equal(cea.flags & E, E);
    await c.expectClose(3000);
    assert.equal(node.peers.size, 0);
    // The allowed peer (any case) gets in.
    const ok = attach(node);
    assert.equal(resultCode(await ok.exchange(cer({ originHost: 'Friend.Example.COM' }))), 2001);
    ok.destroy();
  });

  test('a first message other than a CER is not answered: the connection closes', async () => {
    const { node } = testNode();
    const c = attach(node);
    c.send(vec('03-dwr'));
    await c.expectClose(2000);
    assert.equal(c.received.length, 0);
  });

  test('an application request before the CER closes the connection too', async () => {
    const { node, calls } = testNode();
    const c = attach(node);
    c.send(vec('05-acr-start'));
    await c.expectClose(2000);
    assert.equal(c.received.length, 0);
    assert.equal(calls.length, 0);
  });

  test('no CER within cerTimeoutMs: the connection closes', async () => {
    const { node } = testNode({ cerTimeoutMs: 100 });
    const c = attach(node);
    const t0 = Date.now();
    await c.expectClose(2000);
    assert.ok(Date.now() - t0 >= 90, `closed after ${Date.now() - t0} ms, before the timeout`);
    assert.equal(c.received.length, 0);
  });

  test('a CER within cerTimeoutMs keeps the connection past the timeout', async () => {
    const { node } = testNode({ cerTimeoutMs: 100 });
    const c = await openClient(node);
    assert.ok(await c.staysOpen(250));
    c.destroy();
  });

  test('a second connection from a peer that is already open is refused and closed; the first stays', async () => {
    const { node } = testNode();
    const first = await openClient(node);
    const second = attach(node);
    const ans = await second.exchange(cer());
    assert.notEqual(resultCode(ans), 2001);
    await second.expectClose(3000);
    const dwa = await first.exchange(dwr(5, 5));
    assert.equal(resultCode(dwa), 2001);
    assert.equal(node.peers.get('ctf.example.com')?.state, 'R-Open');
    first.destroy();
  });

  test('multipleConnections: several connections with one Origin-Host are all open; refused ones leave nothing', async () => {
    const { node } = testNode({ multipleConnections: true, allowPeers: ['ctf.example.com'] });
    const a = await openClient(node);
    const b = await openClient(node);
    assert.equal(node.peers.size, 2);
    assert.equal(resultCode(await a.exchange(dwr(1, 1))), 2001);
    assert.equal(resultCode(await b.exchange(dwr(2, 2))), 2001);
    for (let i = 0; i < 5; i++) {
      const stranger = attach(node);
      assert.equal(
        resultCode(await stranger.exchange(cer({ originHost: `stranger-${i}.example.com` }))),
        3010,
      );
      await stranger.expectClose(3000);
    }
    assert.equal(node.peers.size, 2, 'refused connections leave no peer behind');
    a.destroy();
    await until(() => node.peers.size === 1, 'a closed connection leaves the table');
    b.destroy();
  });

  test('a CER on an open connection is refused, the connection stays usable', async () => {
    const { node } = testNode();
    const c = await openClient(node);
    const again = await c.exchange(cer({ hbh: 77, e2e: 77 }));
    assert.equal(again.hbh, 77);
    assert.notEqual(resultCode(again), 2001);
    assert.equal(resultCode(await c.exchange(dwr(78, 78))), 2001);
    c.destroy();
  });
});

describe('DWR/DWA (RFC 6733 §5.5)', () => {
  test('vector 03 DWR gets exactly vector 04 DWA (2001 and Origin-State-Id)', async () => {
    const { node } = testNode();
    const c = await openClient(node);
    const dwa = await c.exchange(vec('03-dwr'));
    assert.equal(dwa.bytes.toString('hex'), loadVector('04-dwa').hex);
    c.destroy();
  });

  test('a DWA answers any DWR with its ids and our Origin-State-Id', async () => {
    const { node } = testNode({ identity: { ...SERVER, originStateId: 31337 } });
    const c = await openClient(node);
    const dwa = await c.exchange(dwr(0xdead, 0xbeef));
    assert.equal(dwa.flags, 0);
    assert.equal(dwa.command, 280);
    assert.equal(dwa.hbh, 0xdead);
    assert.equal(dwa.e2e, 0xbeef);
    assert.equal(resultCode(dwa), 2001);
    assert.equal(u32Of(dwa, AVP.ORIGIN_STATE_ID), 31337);
    c.destroy();
  });
});

describe('DPR/DPA (RFC 6733 §5.4)', () => {
  test('vector 07 DPR gets exactly vector 08 DPA, then the connection closes and the peer is Closed', async () => {
    const { node } = testNode();
    const c = await openClient(node);
    const peer = node.peers.get('ctf.example.com')!;
    const dpa = await c.exchange(vec('07-dpr'));
    assert.equal(dpa.bytes.toString('hex'), loadVector('08-dpa').hex);
    // RFC 6733: the DPR sender closes; the node closes its side too if the sender does not.
    await c.expectClose(3000);
    await until(() => peer.state === 'Closed', 'peer Closed');
  });

  test('the DPR sender closing right after the DPA closes the peer at once', async () => {
    const { node } = testNode();
    const c = await openClient(node);
    const peer = node.peers.get('ctf.example.com')!;
    const dpa = await c.exchange(dpr(9, 9, 1));
    assert.equal(resultCode(dpa), 2001);
    c.destroy();
    await until(() => peer.state === 'Closed', 'peer Closed', 1000);
  });

  test('after a DPR the peer can connect again', async () => {
    const { node } = testNode();
    const c = await openClient(node);
    await c.exchange(dpr(9, 9));
    c.destroy();
    await until(() => node.peers.get('ctf.example.com')?.state === 'Closed', 'peer Closed');
    const again = await openClient(node);
    assert.equal(node.peers.get('ctf.example.com')?.state, 'R-Open');
    again.destroy();
  });
});

describe('requests we send to the peer', () => {
  test('an answer with an unknown Hop-by-Hop id is discarded and counted; the connection stays usable', async () => {
    const { node } = testNode();
    const c = await openClient(node);
    const peer = node.peers.get('ctf.example.com')!;
    const conn = peer.rConn!;
    // An answer nobody asked for: dropped, counted, never answered.
    c.send(
      message({ flags: P, command: 271, appId: 3, hbh: 0x0badf00d, e2e: 1 }, [
        avp(AVP.SESSION_ID, 'ctf.example.com;1;1'),
        avp(AVP.RESULT_CODE, 2001),
        avp(AVP.ORIGIN_HOST, 'ctf.example.com'),
        avp(AVP.ORIGIN_REALM, 'example.com'),
      ]),
    );
    await until(() => conn.stats.unknownAnswers === 1, 'unknown answer counted');
    assert.equal(c.queued, 0);
    // The connection is still fine.
    assert.equal(resultCode(await c.exchange(dwr(1, 2))), 2001);
    assert.equal(conn.stats.unknownAnswers, 1);
    c.destroy();
  });

  test('Peer.request resolves with the matching answer; a request nobody answers fails with REQUEST_TIMEOUT', async () => {
    const { node } = testNode();
    const c = await openClient(node);
    const peer = node.peers.get('ctf.example.com')!;
    const req = {
      version: 1,
      flags: R | P,
      commandCode: 258, // RAR: any request the client answers by hand
      applicationId: 3,
      hopByHopId: 0,
      endToEndId: 0,
      avps: [node.identity.originHost, node.identity.originRealm],
    };
    const answered = peer.request({ ...req, avps: [...req.avps] });
    const seen = await c.next();
    assert.equal(seen.command, 258);
    assert.equal(seen.flags & R, R);
    c.send(answerTo(seen));
    const ans = await answered;
    assert.equal(ans.hopByHopId, seen.hbh);
    assert.equal(ans.endToEndId, seen.e2e);

    const t0 = Date.now();
    const lost = peer.request({ ...req, avps: [...req.avps] }, { timeoutMs: 100 });
    const unanswered = await c.next();
    // The sweep timer is unref'd (a connection alone must not keep a process alive) and an in-memory
    // stream holds no handle: a ref'd timer keeps the test's event loop running meanwhile.
    const hold = setTimeout(() => undefined, 5000);
    await assert.rejects(lost, (e: Error & { code?: string; resultCode?: number }) => {
      assert.equal(e.code, 'REQUEST_TIMEOUT');
      assert.match(e.message, /100 ms/);
      return true;
    });
    clearTimeout(hold);
    assert.ok(Date.now() - t0 >= 95, 'not before the timeout');
    // The late answer is an answer with an unknown Hop-by-Hop id now.
    c.send(answerTo(unanswered));
    await until(() => peer.rConn!.stats.unknownAnswers === 1, 'late answer discarded');
    c.destroy();
  });

  test('pending requests fail with CONNECTION_CLOSED when the connection drops', async () => {
    const { node } = testNode();
    const c = await openClient(node);
    const peer = node.peers.get('ctf.example.com')!;
    const p = peer.request({
      version: 1,
      flags: R | P,
      commandCode: 258,
      applicationId: 3,
      hopByHopId: 0,
      endToEndId: 0,
      avps: [node.identity.originHost, node.identity.originRealm],
    });
    await c.next();
    c.destroy();
    await assert.rejects(p, (e: Error & { code?: string }) => e.code === 'CONNECTION_CLOSED');
    await until(() => peer.state === 'Closed', 'peer Closed');
    await assert.rejects(
      peer.request({
        version: 1,
        flags: R,
        commandCode: 258,
        applicationId: 3,
        hopByHopId: 0,
        endToEndId: 0,
        avps: [],
      }),
      (e: Error & { code?: string }) => e.code === 'PEER_NOT_OPEN',
    );
  });
});
