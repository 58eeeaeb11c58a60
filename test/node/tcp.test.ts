/**
 * Two DiameterNodes over real TCP on 127.0.0.1 port 0: the initiator reaches I-Open and the responder
 * R-Open (RFC 6733 §5.6), requests flow both ways, stop() sends DPR and both sides reach Closed (§5.4),
 * and when both connect to each other at once exactly one connection survives, the one the §5.6.4 election
 * keeps. Also lost framing over a socket (base-protocol.md §1) and a refused CEA.
 */
import assert from 'node:assert/strict';
import type net from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { FLAG_P, FLAG_R, type Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { DiameterNode } from '../../src/node/node.js';
import type { Peer } from '../../src/peer/peer.js';
import { RawPeer, acr, cer, resultCode } from '../helpers/raw-peer.js';
import { testNode, until } from './fixture.js';

const nodes: DiameterNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

function make(originHost: string, opts: Parameters<typeof testNode>[0] = {}) {
  const t = testNode({
    identity: { originHost, originRealm: 'example.net' },
    shutdownTimeoutMs: 2000,
    ...opts,
  });
  nodes.push(t.node);
  return t;
}

/** An ACR built as a library user builds one (the message objects go through our encoder). */
function acrMessage(node: DiameterNode, n: number): Message {
  return {
    version: 1,
    flags: FLAG_R | FLAG_P,
    commandCode: 271,
    applicationId: 3,
    hopByHopId: 0,
    endToEndId: 0,
    avps: [
      {
        code: 263,
        flags: 0x40,
        vendorId: 0,
        type: 'UTF8String',
        value: `${node.identity.identity.originHost};1;${n}`,
      },
      node.identity.originHost,
      node.identity.originRealm,
      { code: 283, flags: 0x40, vendorId: 0, type: 'DiameterIdentity', value: 'example.net' },
      { code: 480, flags: 0x40, vendorId: 0, type: 'Enumerated', value: 2 },
      { code: 485, flags: 0x40, vendorId: 0, type: 'Unsigned32', value: n },
    ],
  };
}

const u32 = (m: Message, code: number) => {
  const a = m.avps.find((x) => x.code === code && x.vendorId === 0);
  return a?.data ? Buffer.from(a.data).readUInt32BE(0) : undefined;
};

/** Open connections a net.Server holds. */
const connections = (server: net.Server) =>
  new Promise<number>((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n))));

describe('two nodes over TCP', () => {
  test('initiator I-Open, responder R-Open; requests and answers both ways', async () => {
    const server = make('server.example.net');
    const client = make('client.example.net');
    const addr = await server.node.listen({ port: 0 });
    assert.equal(addr.address, '127.0.0.1');
    const peer = await client.node.connect({ host: '127.0.0.1', port: addr.port });
    assert.equal(peer.state, 'I-Open');
    assert.equal(peer.originHost, 'server.example.net', 'learnt from the CEA');
    const remote = server.node.peers.get('client.example.net');
    assert.equal(remote?.state, 'R-Open');
    assert.equal(peer.capabilities?.appIds.has(3), true);

    const aca = await peer.request(acrMessage(client.node, 1));
    assert.equal(u32(aca, 268), 2001);
    assert.equal(u32(aca, 485), 1);
    assert.equal(server.calls.length, 1);

    // The responder can send requests to the initiator as well.
    const back = await remote!.request(acrMessage(server.node, 2));
    assert.equal(u32(back, 268), 2001);
    assert.equal(client.calls.length, 1);
  });

  test('stop() on the initiator sends DPR; both sides reach Closed and the socket is gone', async () => {
    const server = make('server.example.net');
    const client = make('client.example.net');
    const { port } = await server.node.listen({ port: 0 });
    const peer = await client.node.connect({ host: '127.0.0.1', port });
    const remote = server.node.peers.get('client.example.net')!;
    const seen: string[] = [];
    remote.on('state', (_f: string, to: string) => seen.push(to));
    await client.node.stop();
    assert.equal(peer.state, 'Closed');
    await until(() => remote.state === 'Closed', 'responder Closed');
    assert.deepEqual(seen, ['Closing', 'Closed'], 'the responder went through Closing: it got a DPR');
  });

  test('stop() on the responder sends DPR to the initiator; both reach Closed', async () => {
    const server = make('server.example.net');
    const client = make('client.example.net');
    const { port } = await server.node.listen({ port: 0 });
    const peer = await client.node.connect({ host: '127.0.0.1', port });
    const remote = server.node.peers.get('client.example.net')!;
    const seen: string[] = [];
    peer.on('state', (_f: string, to: string) => seen.push(to));
    const t0 = Date.now();
    await server.node.stop();
    assert.equal(remote.state, 'Closed');
    await until(() => peer.state === 'Closed', 'initiator Closed');
    assert.deepEqual(seen, ['Closing', 'Closed']);
    assert.ok(Date.now() - t0 < 1500, 'the DPA came back: stop() did not wait for its timeout');
  });

  test('a peer that connected to us and left can later be connected to by us: one peer entry', async () => {
    const server = make('server.example.net');
    const client = make('client.example.net');
    const s = await server.node.listen({ port: 0 });
    const c = await client.node.listen({ port: 0 });
    const out = await client.node.connect({
      host: '127.0.0.1',
      port: s.port,
      originHost: 'server.example.net',
    });
    const inbound = server.node.peers.get('client.example.net')!;
    assert.equal(inbound.state, 'R-Open');
    await out.stop();
    await until(() => inbound.state === 'Closed', 'responder Closed');
    // Now the server dials the client: the same Peer (found by Origin-Host) learns the address.
    const back = await server.node.connect({
      host: '127.0.0.1',
      port: c.port,
      originHost: 'client.example.net',
    });
    assert.equal(back, inbound);
    assert.equal(back.state, 'I-Open');
    assert.equal(server.node.peers.size, 1);
    assert.equal(u32(await back.request(acrMessage(server.node, 5)), 268), 2001);
  });

  test('a CEA without a common application closes the initiator: connect() rejects', async () => {
    const server = make('server.example.net');
    const { port } = await server.node.listen({ port: 0 });
    // A client whose only application is 4 (credit control): the server answers 5010.
    const lonely = new DiameterNode({
      dictionary: builtinDictionary(),
      identity: { originHost: 'lonely.example.net' },
    });
    nodes.push(lonely);
    lonely.register({ id: 4, name: 'cc', kind: 'auth', commands: new Map() });
    await assert.rejects(lonely.connect({ host: '127.0.0.1', port }, { timeoutMs: 3000 }), /5010/);
    const peer = [...lonely.peers.values()][0]!;
    assert.equal(peer.state, 'Closed');
  });

  test('lost framing on a socket: the node resets the connection; a new connection works', async () => {
    const server = make('server.example.net');
    const { port } = await server.node.listen({ port: 0 });
    const c = await RawPeer.connect(port);
    assert.equal(resultCode(await c.exchange(cer())), 2001);
    c.send(Buffer.from('02000014800001010000000000000001000000001', 'hex'));
    await c.expectClose(2000);
    const again = await RawPeer.connect(port);
    again.answerWatchdogs = true;
    assert.equal(resultCode(await again.exchange(cer())), 2001);
    assert.equal(resultCode(await again.exchange(acr({ hbh: 2, e2e: 2 }))), 2001);
    again.destroy();
  });
});

describe('election (RFC 6733 §5.6.4)', () => {
  for (const order of ['lower first', 'higher first'] as const) {
    test(`both nodes connect to each other at once (${order}): one connection survives, the winner's responder one`, async () => {
      // 'bravo' > 'alpha': bravo wins, keeps the connection alpha initiated and closes its own.
      const alpha = make('alpha.example.net');
      const bravo = make('bravo.example.net');
      const a = await alpha.node.listen({ port: 0 });
      const b = await bravo.node.listen({ port: 0 });
      const both: Promise<Peer>[] =
        order === 'lower first'
          ? [
              alpha.node.connect({ host: '127.0.0.1', port: b.port, originHost: 'bravo.example.net' }),
              bravo.node.connect({ host: '127.0.0.1', port: a.port, originHost: 'alpha.example.net' }),
            ]
          : [
              bravo.node.connect({ host: '127.0.0.1', port: a.port, originHost: 'alpha.example.net' }),
              alpha.node.connect({ host: '127.0.0.1', port: b.port, originHost: 'bravo.example.net' }),
            ];
      const [pa, pb] =
        order === 'lower first' ? await Promise.all(both) : (await Promise.all(both)).reverse();
      // Let the losing connection finish closing.
      await until(
        () => pa!.iConn !== undefined && pa!.rConn === undefined && pb!.iConn === undefined,
        'one connection per side',
      );
      assert.equal(pa!.state, 'I-Open', 'the loser uses the connection it initiated');
      assert.equal(pb!.state, 'R-Open', 'the winner uses the connection the loser initiated');
      assert.equal(alpha.node.peers.size, 1);
      assert.equal(bravo.node.peers.size, 1);
      // Both sides use the same TCP connection: alpha's local port is bravo's remote port.
      const sa = pa!.iConn!.stream as net.Socket;
      const sb = pb!.rConn!.stream as net.Socket;
      assert.equal(sa.localPort, sb.remotePort);
      assert.equal(sa.remotePort, b.port);
      const listener = (n: DiameterNode) => (n as unknown as { servers: net.Server[] }).servers[0]!;
      let na = -1;
      let nb = -1;
      for (let i = 0; i < 100; i++) {
        na = await connections(listener(alpha.node));
        nb = await connections(listener(bravo.node));
        if (na === 0 && nb === 1) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(na, 0, "alpha's listener holds no connection: bravo's initiated one was closed");
      assert.equal(nb, 1, "bravo's listener holds the surviving connection");
      // And it works both ways.
      assert.equal(u32(await pa!.request(acrMessage(alpha.node, 1)), 268), 2001);
      assert.equal(u32(await pb!.request(acrMessage(bravo.node, 2)), 268), 2001);
    });
  }
});
