/**
 * Diameter over TLS from the first byte (RFC 6733 §2.1, base-protocol.md §16): throwaway certificates
 * made with openssl in a temporary folder; a Node TLS client completes CER/CEA; with requestCert and a CA,
 * a client whose certificate another CA signed (or that has none) is refused; two nodes connect over TLS.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DiameterNode } from '../../src/node/node.js';
import { RawPeer, acr, cer, resultCode } from '../helpers/raw-peer.js';
import { HAVE_OPENSSL, TestPki, type Pem } from '../helpers/test-pki.js';
import { testNode, until } from './fixture.js';

const skipReason =
  HAVE_OPENSSL || process.env.CI === 'true'
    ? false
    : 'openssl not installed (apt-get install openssl); CI runs this';

const pki: Record<'server' | 'ca1' | 'ca2' | 'client1' | 'client2', Pem> = {} as never;
let dir = '';

const nodes: DiameterNode[] = [];

before(() => {
  if (skipReason) return;
  dir = mkdtempSync(join(tmpdir(), 'diamkit-tls-'));
  const make = new TestPki(dir);
  pki.server = make.selfSigned('server', 'cdf.example.net', 'DNS:cdf.example.net,IP:127.0.0.1');
  pki.ca1 = make.selfSigned('ca1', 'diamkit test CA 1');
  pki.ca2 = make.selfSigned('ca2', 'diamkit test CA 2');
  pki.client1 = make.signedBy('client1', 'ctf.example.com', 'ca1');
  pki.client2 = make.signedBy('client2', 'ctf.example.com', 'ca2');
});

after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function tlsNode(requestCert: boolean) {
  const t = testNode({ shutdownTimeoutMs: 1000 });
  nodes.push(t.node);
  const addr = await t.node.listen({
    port: 0,
    tls: {
      cert: pki.server.cert,
      key: pki.server.key,
      ...(requestCert ? { ca: pki.ca1.cert, requestCert: true } : {}),
    },
  });
  return { ...t, port: addr.port };
}

/** Connects with TLS and tries CER/CEA: 'answered' with the CEA's Result-Code, or 'refused'. */
async function tryCer(port: number, client?: Pem): Promise<number | 'refused'> {
  let c: RawPeer;
  try {
    c = await RawPeer.connectTls({ host: '127.0.0.1', port, ca: pki.server.cert, ...(client ?? {}) });
  } catch {
    return 'refused'; // TLS 1.2: the handshake itself fails
  }
  try {
    // TLS 1.3: the client's handshake ends before the server has judged the client's certificate; the
    // refusal arrives as an alert and a close instead of a CEA.
    const cea = await c.exchange(cer(), 3000);
    return resultCode(cea) ?? 0;
  } catch {
    return 'refused';
  } finally {
    c.destroy();
  }
}

describe('TLS', { skip: skipReason }, () => {
  test('a Node TLS client completes CER/CEA and gets its ACR answered', async () => {
    const { port, node } = await tlsNode(false);
    const c = await RawPeer.connectTls({ host: '127.0.0.1', port, ca: pki.server.cert });
    assert.equal(resultCode(await c.exchange(cer())), 2001);
    assert.equal(resultCode(await c.exchange(acr({ hbh: 1, e2e: 1 }))), 2001);
    assert.equal(node.peers.get('ctf.example.com')?.state, 'R-Open');
    c.destroy();
  });

  test('with requestCert and a CA: a client certificate that CA signed is accepted', async () => {
    const { port } = await tlsNode(true);
    assert.equal(await tryCer(port, pki.client1), 2001);
  });

  test('with requestCert and a CA: a certificate signed by another CA, or none, is refused', async () => {
    const { port, node, calls } = await tlsNode(true);
    assert.equal(await tryCer(port, pki.client2), 'refused');
    assert.equal(await tryCer(port), 'refused');
    assert.equal(node.peers.size, 0, 'no CER got through');
    assert.equal(calls.length, 0);
  });

  test('two nodes over TLS: the initiator verifies the server and presents its certificate', async () => {
    const { port, node: server } = await tlsNode(true);
    const client = testNode({
      identity: { originHost: 'ctf.example.com', originRealm: 'example.com' },
      shutdownTimeoutMs: 1000,
    });
    nodes.push(client.node);
    const peer = await client.node.connect({
      host: '127.0.0.1',
      port,
      tls: { ca: pki.server.cert, cert: pki.client1.cert, key: pki.client1.key },
    });
    assert.equal(peer.state, 'I-Open');
    await until(() => server.peers.get('ctf.example.com')?.state === 'R-Open', 'R-Open on the server');
  });
});
