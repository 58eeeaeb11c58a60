/**
 * diamkit against Erlang/OTP's diameter application (OTP 25, diameter 2.2.7), issue 3:
 *  - diamkit as the initiator (DiameterNode.connect) opens to an Erlang server advertising base
 *    accounting (application 3), an ACR gets the Erlang server's ACA, and stop() leaves with DPR/DPA;
 *  - an Erlang client on application 3 gets, from `diamkit serve`, an ACA 2001 for an ACR, 5012 for a
 *    command it does not implement (our default) and 3001 with `--unsupported-command 3001`, each an
 *    answer Erlang decodes without errors, and leaves with DPR/DPA.
 * Known behaviour (shared/DESIGN.md): an Erlang server drops a request that arrives within ~150 ms of
 * its CEA, and ignores an Origin-Host that vanished without DPR for a while: each test uses a fresh
 * Origin-Host, waits after the CEA, and always leaves with DPR.
 * Every exchange is captured on 127.0.0.1 and read by tshark, which must flag nothing malformed.
 */
import assert from 'node:assert/strict';
import { after, describe, test, type TestContext } from 'node:test';
import type { Message } from '../../src/codec/types.js';
import { App, Cmd, Code } from '../../src/dictionary/codes.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { buildAnswer } from '../../src/node/answers.js';
import { DiameterNode } from '../../src/node/node.js';
import { requireTool } from './helpers/require-tool.js';
import {
  acrStart,
  avpNumber,
  avpStrings,
  cleanupTempDirs,
  closeStdin,
  describeExit,
  escapeRegExp,
  escriptResults,
  sleep,
  startCapture,
  startEscript,
  startServe,
  stopAllChildren,
  readCapture,
  until,
  wireSequence,
  type Child,
  type WireMessage,
} from './helpers/peers.js';

const TOOLS = ['escript', 'dumpcap', 'tshark'];
const R = 0x80;
const E = 0x20;

/** A distinct Origin-Host suffix per run, so a rerun never meets an Erlang peer's memory of the last. */
const RUN = `${process.pid}-${Date.now().toString(36)}`;

/** Each test stays well under this (issue 3: ~40 s at most), even on a busy machine. */
const PER_TEST_TIMEOUT_MS = 60_000;

after(async () => {
  await stopAllChildren();
  cleanupTempDirs();
});

function requireTools(t: TestContext): boolean {
  return requireTool(t, ...TOOLS);
}

/** tshark must read the capture with no malformed message and no warning or error expert item. */
async function readCleanCapture(pcap: string, port: number, allow: RegExp[] = []): Promise<WireMessage[]> {
  const r = await readCapture(pcap, port, allow);
  assert.equal(r.decode.malformedCount, 0, `tshark found malformed packets:\n${r.decode.text}`);
  assert.deepEqual(r.serious, [], `tshark expert items:\n${r.decode.expertLines.join('\n')}`);
  return r.messages;
}

/** Runs the client escript to completion (bounded) and returns its RESULT lines. */
async function runClient(
  port: number,
  originHost: string,
  requests: string[],
): Promise<{ child: Child; results: Map<string, string[]> }> {
  const child = startEscript('erlang-client.escript', [
    String(port),
    originHost,
    'erl.test',
    'erl.test',
    ...requests,
  ]);
  closeStdin(child);
  const timer = setTimeout(() => void child.stop('SIGKILL', 100), 30_000);
  const status = await child.exited;
  clearTimeout(timer);
  assert.equal(status.code, 0, `Erlang client failed (${describeExit(status)}):\n${child.output}`);
  return { child, results: escriptResults(child) };
}

/** Parses "REQ cmd=C flags=F rc=N errors=[...] failed_avp=N error_message=..." from the client. */
function answerOf(results: Map<string, string[]>, request: string): Record<string, string> {
  const line = (results.get('answer') ?? []).find((l) => l.startsWith(`${request} `));
  assert.ok(line, `no answer to ${request}: ${JSON.stringify([...results])}`);
  const fields: Record<string, string> = {};
  for (const m of line.slice(request.length + 1).matchAll(/(\w+)=("[^"]*"|\[[^\]]*\]|\S+)/g))
    fields[m[1]!] = m[2]!;
  return fields;
}

describe('Erlang/OTP diameter interop', () => {
  test(
    'diamkit initiator opens to an Erlang server on application 3: ACR/ACA, then DPR/DPA',
    { timeout: PER_TEST_TIMEOUT_MS },
    async (t) => {
      if (!requireTools(t)) return;
      const serverHost = `server-${RUN}.erl.test`;
      const clientHost = `client-${RUN}.erl.test`;
      const server = startEscript('erlang-server.escript', [serverHost, 'erl.test', '60']);
      const port = Number((await server.waitFor(/LISTENING (\d+)/, 20_000))[1]);
      const capture = await startCapture(port);

      const node = new DiameterNode({
        dictionary: builtinDictionary(),
        identity: { originHost: clientHost, originRealm: 'erl.test' },
        shutdownTimeoutMs: 5000,
      });
      t.after(() => node.stop());
      node.register({
        id: App.BASE_ACCOUNTING,
        name: 'acct',
        kind: 'acct',
        commands: new Map([[Cmd.ACCOUNTING, (req: Message) => buildAnswer(req, node.identity, 2001)]]),
      });
      const peer = await node.connect(
        { host: '127.0.0.1', port, originHost: serverHost },
        { timeoutMs: 10_000 },
      );
      assert.equal(peer.state, 'I-Open');
      assert.equal(peer.capabilities?.originHost, serverHost);
      assert.ok(
        peer.capabilities?.appIds.has(App.BASE_ACCOUNTING),
        `Erlang advertised ${[...(peer.capabilities?.appIds ?? [])]}`,
      );
      await server.waitFor(new RegExp(`RESULT peer_up ${escapeRegExp(clientHost)} \\[3\\]`), 5000);

      // The Erlang server registers the peer shortly after its CEA and drops a request sent before.
      await sleep(200);
      const sessionId = `${clientHost};1;42`;
      const aca = await peer.request(
        acrStart({
          sessionId,
          originHost: clientHost,
          originRealm: 'erl.test',
          destinationRealm: 'erl.test',
          recordNumber: 0,
        }),
        { timeoutMs: 5000 },
      );
      assert.equal(aca.commandCode, Cmd.ACCOUNTING);
      assert.equal(aca.flags & (R | E), 0);
      assert.equal(avpNumber(aca, Code.RESULT_CODE), 2001);
      assert.deepEqual(avpStrings(aca, Code.SESSION_ID), [sessionId]);
      assert.deepEqual(avpStrings(aca, Code.ORIGIN_HOST), [serverHost]);
      assert.equal(avpNumber(aca, Code.ACCOUNTING_RECORD_TYPE), 2);
      assert.equal(avpNumber(aca, Code.ACCOUNTING_RECORD_NUMBER), 0);
      // Erlang decoded our ACR against its RFC 6733 accounting dictionary without a single error.
      // (Its output line may reach us after its ACA did: wait for it.)
      const request = await server.waitFor(/RESULT request (.*)/, 5000, 'the request line');
      assert.equal(request[1], `ACR ${sessionId} ${clientHost} 2 0 errors=[]`);

      const closed = new Promise<void>((resolve) => peer.once('closed', () => resolve()));
      await node.stop();
      await closed;
      assert.equal(peer.state, 'Closed');
      await server.waitFor(new RegExp(`RESULT peer_down ${escapeRegExp(clientHost)}`), 5000);

      const pcap = await capture.stop();
      closeStdin(server);
      const status = await server.stop('SIGTERM', 10_000);
      assert.equal(status.code, 0, `Erlang server: ${describeExit(status)}\n${server.output}`);
      const rows = await readCleanCapture(pcap, port);
      const seq = wireSequence(rows, port, 'erl', 'us');
      assert.deepEqual(seq, ['us:257R', 'erl:257A', 'us:271R', 'erl:271A', 'us:282R', 'erl:282A']);
      for (const r of rows.filter((x) => !(x.flags & R))) assert.deepEqual(r.resultCodes, ['2001']);
    },
  );

  for (const c of [
    { name: 'default: 5012 DIAMETER_UNABLE_TO_COMPLY', args: [] as string[], rc: '5012' },
    {
      name: '--unsupported-command 3001: DIAMETER_COMMAND_UNSUPPORTED',
      args: ['--unsupported-command', '3001'],
      rc: '3001',
    },
  ]) {
    test(
      `an Erlang client on application 3 gets ACA 2001, and for an unknown command ${c.name}`,
      { timeout: PER_TEST_TIMEOUT_MS },
      async (t) => {
        if (!requireTools(t)) return;
        const serve = await startServe({ originHost: 'cdf.erl.test', originRealm: 'erl.test', args: c.args });
        const capture = await startCapture(serve.port);
        const clientHost = `client-${c.rc}-${RUN}.erl.test`;
        const { child, results } = await runClient(serve.port, clientHost, ['acr:0', 'raw:272', 'raw:9999']);
        assert.deepEqual(results.get('peer_up'), ['cdf.erl.test [3]'], child.output);

        const aca = answerOf(results, 'acr:0');
        assert.equal(aca.cmd, '271');
        assert.equal(aca.flags, 'P-', 'ACA: P copied, no E');
        assert.equal(aca.rc, '2001');
        assert.equal(aca.errors, '[]', 'Erlang found errors in our ACA');

        for (const [request, cmd] of [
          ['raw:272', '272'], // Credit-Control's code, not part of application 3
          ['raw:9999', '9999'], // a code no dictionary defines
        ] as const) {
          const a = answerOf(results, request);
          assert.equal(a.cmd, cmd);
          // A protocol-error style answer: answer-message grammar with E set (RFC 6733 §7.2), P copied.
          assert.equal(a.flags, 'PE-', `${request}: ${JSON.stringify(a)}`);
          assert.equal(a.rc, c.rc, `${request}: ${JSON.stringify(a)}`);
          assert.equal(a.errors, '[]', `Erlang found errors in our answer to ${request}: ${a.errors}`);
          assert.match(a.error_message!, new RegExp(`command ${cmd}`));
        }
        assert.deepEqual(results.get('peer_down'), ['cdf.erl.test'], 'Erlang left with DPR/DPA');
        await until(() => /"to":"Closed"/.test(serve.child.stdout), 5000, 'our side of the peer to close');

        const pcap = await capture.stop();
        const status = await serve.child.stop('SIGTERM', 10_000);
        assert.equal(status.code, 0, describeExit(status));
        // Command 9999 is unknown to Wireshark too: it says so, and that is all it may say.
        const rows = await readCleanCapture(pcap, serve.port, [
          /^Warn: \d+ Undecoded Diameter Unknown command/,
        ]);
        const seq = wireSequence(rows, serve.port, 'us', 'erl');
        assert.deepEqual(seq, [
          'erl:257R',
          'us:257A',
          'erl:271R',
          'us:271A',
          'erl:272R',
          'us:272A',
          'erl:9999R',
          'us:9999A',
          'erl:282R',
          'us:282A',
        ]);
        const unknown = rows.filter((r) => (r.cmd === 272 || r.cmd === 9999) && !(r.flags & R));
        for (const r of unknown) {
          assert.ok(r.flags & E, 'E bit on the wire');
          assert.deepEqual(r.resultCodes, [c.rc]);
        }
      },
    );
  }
});
