/**
 * Malformed input over a real socket to `diamkit serve` (issue 3; base-protocol.md §1, §3, §9.5):
 * every broken frame gets the right answer — or, where framing is lost, a closed connection — and the
 * server keeps serving: the same connection (when the stream is still in step) or a new one with the
 * same Origin-Host (when it was closed) then exchanges an ACR/ACA normally.
 *
 * The frames are written by hand (test/helpers/raw-peer.ts) and our answers are read by hand there, so
 * nothing here relies on the codec under test. The whole exchange is captured and read by tshark: the
 * frames we send on purpose are malformed, but nothing the server sends may be.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AVP,
  CMD,
  E,
  M,
  P,
  R,
  RawPeer,
  acr,
  avp,
  cer,
  children,
  dpr,
  find,
  message,
  resultCode,
  strOf,
  type RawMessage,
} from '../helpers/raw-peer.js';
import { inCi, findTool } from './helpers/require-tool.js';
import {
  cleanupTempDirs,
  startCapture,
  startServe,
  stopAllChildren,
  type Capture,
  type Serve,
} from './helpers/peers.js';
import { tsharkFields } from './helpers/tshark.js';

const REALM = 'malformed.test';
const SERVER_HOST = 'cdf.malformed.test';
const CAPTURE_TOOLS = ['dumpcap', 'tshark'];

let serve: Serve;
let capture: Capture | undefined;
let nextId = 0x1000;
const ids = () => {
  nextId += 1;
  return { hbh: 0x0d000000 + nextId, e2e: 0x0e000000 + nextId };
};

before(async () => {
  serve = await startServe({ originHost: SERVER_HOST, originRealm: REALM, args: ['--realm', REALM] });
  const missing = CAPTURE_TOOLS.filter((t) => findTool(t) === undefined);
  if (missing.length === 0) capture = await startCapture(serve.port);
  else if (inCi()) throw new Error(`CI=true but needs ${missing.join(', ')} on PATH (installed by .ci/run)`);
  else console.log(`# no capture: needs ${missing.join(', ')} on PATH`);
});

/** Each test stays well under this (issue 3: ~40 s at most), even on a busy machine. */
const PER_TEST_TIMEOUT_MS = 60_000;

after(async () => {
  await stopAllChildren();
  cleanupTempDirs();
});

/** A raw client that has done CER/CEA as `originHost`. */
async function openClient(originHost: string): Promise<RawPeer> {
  const c = await RawPeer.connect(serve.port);
  // As a real peer does: after a lost connection the server re-validates the peer with DWRs
  // (RFC 3539 §3.4.1 REOPEN), which this client answers by itself.
  c.answerWatchdogs = true;
  c.originHost = originHost;
  const cea = await c.exchange(cer({ originHost, originRealm: REALM, acct: [3], ...ids() }));
  assert.equal(cea.command, CMD.CER);
  assert.equal(resultCode(cea), 2001, `CEA for ${originHost}`);
  return c;
}

/** An ACR START as our CTF sends it (vector 05's required AVPs), to the CDF's realm. */
function goodAcr(originHost: string, sessionNo: number, id = ids()): Buffer {
  return acr({ ...id, originHost, sessionId: `${originHost};1;${sessionNo}`, destinationRealm: REALM });
}

/** The connection still works: an ACR gets ACA 2001 (so the stream is in step), then DPR/DPA. */
async function assertServes(c: RawPeer, originHost: string, sessionNo: number): Promise<void> {
  const id = ids();
  const aca = await c.exchange(goodAcr(originHost, sessionNo, id));
  assert.equal(aca.command, CMD.ACR);
  assert.equal(aca.hbh, id.hbh);
  assert.equal(resultCode(aca), 2001, `ACA after the malformed frame: ${JSON.stringify(summary(aca))}`);
  const d = ids();
  const dpa = await c.exchange(dpr(d.hbh, d.e2e, 0, originHost));
  assert.equal(dpa.command, CMD.DPR);
  assert.equal(resultCode(dpa), 2001);
  await c.expectClose(5000).catch(() => c.destroy());
}

function summary(m: RawMessage): Record<string, unknown> {
  return {
    command: m.command,
    flags: m.flags,
    resultCode: resultCode(m),
    errorMessage: strOf(m, AVP.ERROR_MESSAGE),
  };
}

/** The frames received before the server closed the connection (rejects if it stays open). */
async function expectClosed(c: RawPeer, timeoutMs = 3000): Promise<RawMessage[]> {
  await c.expectClose(timeoutMs);
  return c.received.slice(1); // after the CEA
}

/** An error answer to the request with `id`: ids copied, Result-Code `rc`, Failed-AVP holding `failedCode`. */
function assertErrorAnswer(
  a: RawMessage,
  id: { hbh: number; e2e: number },
  rc: number,
  failedCode?: number,
): void {
  assert.equal(a.flags & R, 0, 'an answer');
  assert.equal(a.hbh, id.hbh, 'Hop-by-Hop copied');
  assert.equal(a.e2e, id.e2e, 'End-to-End copied');
  assert.equal(resultCode(a), rc, JSON.stringify(summary(a)));
  assert.equal(strOf(a, AVP.ORIGIN_HOST), SERVER_HOST);
  if (failedCode !== undefined) {
    const failed = find(a, AVP.FAILED_AVP);
    assert.ok(failed, 'Failed-AVP present');
    assert.deepEqual(
      children(failed).map((x) => x.code),
      [failedCode],
      'Failed-AVP names the offending AVP',
    );
  }
}

/** A User-Name AVP (code 1, UTF8String) whose AVP Length field says `lengthField`, followed by `data`. */
function brokenAvp(lengthField: number, data: Buffer): Buffer {
  const out = Buffer.alloc((8 + data.length + 3) & ~3);
  out.writeUInt32BE(1, 0);
  out.writeUInt32BE(lengthField & 0xffffff, 4);
  out[4] = M;
  data.copy(out, 8);
  return out;
}

describe('malformed frames to `diamkit serve`', () => {
  test(
    'bad version: the connection is closed (framing lost), a new one then works',
    { timeout: PER_TEST_TIMEOUT_MS },
    async () => {
      const host = 'version.malformed.test';
      const c = await openClient(host);
      c.send(
        message({ version: 2, flags: R | P, command: CMD.ACR, appId: 3, ...ids() }, [
          avp(AVP.SESSION_ID, 'x;1'),
        ]),
      );
      const before = await expectClosed(c);
      // RFC 6733 §3 would allow 5011 before closing; a close alone is what base-protocol.md §1 asks for.
      for (const a of before) assert.equal(resultCode(a), 5011, JSON.stringify(summary(a)));
      await assertServes(await openClient(host), host, 1);
    },
  );

  test(
    'Message Length below the 20-octet header: closed, a new connection then works',
    { timeout: PER_TEST_TIMEOUT_MS },
    async () => {
      const host = 'short.malformed.test';
      const c = await openClient(host);
      c.send(message({ flags: R | P, command: CMD.ACR, appId: 3, length: 12, ...ids() }, []));
      const before = await expectClosed(c);
      for (const a of before) assert.equal(resultCode(a), 5015, JSON.stringify(summary(a)));
      await assertServes(await openClient(host), host, 2);
    },
  );

  test(
    'Message Length not a multiple of 4: closed, a new connection then works',
    { timeout: PER_TEST_TIMEOUT_MS },
    async () => {
      const host = 'unaligned.malformed.test';
      const c = await openClient(host);
      const bytes = goodAcr(host, 3);
      bytes.writeUIntBE(bytes.length + 2, 1, 3);
      c.send(Buffer.concat([bytes, Buffer.alloc(2)]));
      const before = await expectClosed(c);
      for (const a of before) assert.equal(resultCode(a), 5015, JSON.stringify(summary(a)));
      await assertServes(await openClient(host), host, 4);
    },
  );

  test(
    'an AVP overrunning the message: 5014 with the AVP in Failed-AVP, the connection stays usable',
    { timeout: PER_TEST_TIMEOUT_MS },
    async () => {
      const host = 'overrun.malformed.test';
      const c = await openClient(host);
      const id = ids();
      // Length field 100, but only 8 octets of data follow before the message ends.
      const bytes = acr({
        ...id,
        originHost: host,
        sessionId: `${host};1;5`,
        destinationRealm: REALM,
        extra: [brokenAvp(100, Buffer.from('abcdefgh'))],
      });
      const a = await c.exchange(bytes);
      assertErrorAnswer(a, id, 5014, 1);
      assert.equal(strOf(a, AVP.SESSION_ID), `${host};1;5`, 'Session-Id copied from the broken request');
      await assertServes(c, host, 6);
    },
  );

  test(
    'an AVP Length below the 8-octet AVP header: 5014, the connection stays usable',
    { timeout: PER_TEST_TIMEOUT_MS },
    async () => {
      const host = 'avplen.malformed.test';
      const c = await openClient(host);
      const id = ids();
      const bytes = acr({
        ...id,
        originHost: host,
        sessionId: `${host};1;7`,
        destinationRealm: REALM,
        extra: [brokenAvp(4, Buffer.alloc(0))],
      });
      const a = await c.exchange(bytes);
      assertErrorAnswer(a, id, 5014, 1);
      await assertServes(c, host, 8);
    },
  );

  test(
    'an unknown AVP with the M bit: 5001 with the AVP in Failed-AVP, the connection stays usable',
    { timeout: PER_TEST_TIMEOUT_MS },
    async () => {
      const host = 'mbit.malformed.test';
      const c = await openClient(host);
      const id = ids();
      const unknown = avp(0xfffff0, 'who knows', { flags: M });
      const bytes = acr({
        ...id,
        originHost: host,
        sessionId: `${host};1;9`,
        destinationRealm: REALM,
        extra: [unknown],
      });
      const a = await c.exchange(bytes);
      assertErrorAnswer(a, id, 5001, 0xfffff0);
      const failed = children(find(a, AVP.FAILED_AVP)!)[0]!;
      assert.equal(failed.data.toString('utf8'), 'who knows', 'the AVP as received');
      // The same AVP without M is ignored (RFC 6733 §4.1): the request succeeds.
      const id2 = ids();
      const ok = await c.exchange(
        acr({
          ...id2,
          originHost: host,
          sessionId: `${host};1;10`,
          destinationRealm: REALM,
          extra: [avp(0xfffff0, 'who knows', { flags: 0 })],
        }),
      );
      assert.equal(resultCode(ok), 2001, JSON.stringify(summary(ok)));
      await assertServes(c, host, 11);
    },
  );

  test(
    'the E bit on a request: 3008 DIAMETER_INVALID_HDR_BITS with E set, the connection stays usable',
    { timeout: PER_TEST_TIMEOUT_MS },
    async () => {
      const host = 'ebit.malformed.test';
      const c = await openClient(host);
      const id = ids();
      const a = await c.exchange(
        acr({
          ...id,
          originHost: host,
          sessionId: `${host};1;12`,
          destinationRealm: REALM,
          flags: R | P | E,
        }),
      );
      assertErrorAnswer(a, id, 3008);
      assert.ok(a.flags & E, 'a protocol error answer carries E (RFC 6733 §7.2)');
      assert.equal(a.flags & P, P, 'P copied');
      await assertServes(c, host, 13);
    },
  );

  test(
    'a request before CER gets no answer: the connection is closed, a CER then works',
    { timeout: PER_TEST_TIMEOUT_MS },
    async () => {
      const host = 'early.malformed.test';
      const c = await RawPeer.connect(serve.port);
      c.send(goodAcr(host, 14));
      await c.expectClose(3000);
      assert.deepEqual(c.received, [], 'nothing but a CEA may be sent before the capabilities exchange');
      await assertServes(await openClient(host), host, 15);
    },
  );

  test('tshark: nothing the server sent is malformed', { timeout: PER_TEST_TIMEOUT_MS }, async (t) => {
    if (!capture) {
      t.skip(`needs ${CAPTURE_TOOLS.join(', ')} on PATH (installed by .ci/run)`);
      return;
    }
    const pcap = await capture.stop();
    const rows = await tsharkFields(pcap, serve.port, [
      'tcp.srcport',
      '_ws.malformed',
      '_ws.expert.message',
      'diameter.cmd.code',
      'diameter.Result-Code',
    ]);
    const fromServer = rows.filter(([src]) => Number(src![0]) === serve.port);
    if (process.env.DIAMKIT_INTEROP_VERBOSE) for (const r of rows) console.log(JSON.stringify(r));
    const answers = fromServer.filter(([, , , cmd]) => (cmd ?? []).length > 0);
    // CEA, ACA, DPA per test and the three error answers at least.
    assert.ok(answers.length >= 20, `only ${answers.length} server frames with Diameter in the capture`);
    const bad = fromServer.filter(
      ([, malformed, expert]) =>
        (malformed ?? []).length > 0 || (expert ?? []).some((m) => /malformed|invalid|error/i.test(m)),
    );
    assert.deepEqual(bad, [], 'server frames tshark flags');
    const codes = answers.flatMap(([, , , , rc]) => rc ?? []);
    for (const rc of ['5014', '5001', '3008', '2001'])
      assert.ok(codes.includes(rc), `tshark saw Result-Code ${rc} in our answers: ${codes.join(',')}`);
  });
});
