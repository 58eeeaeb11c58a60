/**
 * diamkit against freeDiameter 1.2.1 (an independent C implementation of RFC 6733), issue 3:
 *  - freeDiameter connects to `diamkit serve`, reaches the open state, sends DWR with Tw = 6 s and gets
 *    our DWA; on SIGTERM our server sends DPR, freeDiameter answers DPA and `serve` exits 0;
 *  - diamkit as the initiator (DiameterNode.connect) opens to freeDiameter, its watchdog DWR is answered,
 *    and it leaves with DPR/DPA;
 *  - freeDiameter as a relay between a diamkit client and the diamkit CDF: an ACR crosses it and the
 *    CDF's ACA comes back (RFC 6733 §6.1.8-§6.1.9: relaying, Route-Record).
 * Every exchange is captured on the wire and read by tshark, which must flag nothing malformed.
 * freeDiameter and everything talking to it run in a private network namespace (helpers/peers.ts).
 */
import assert from 'node:assert/strict';
import { after, describe, test, type TestContext } from 'node:test';
import { inCi, requireTool } from './helpers/require-tool.js';
import {
  Netns,
  cleanupTempDirs,
  describeExit,
  parseLogLines,
  spawnChild,
  startCapture,
  startFreeDiameter,
  startServe,
  stopAllChildren,
  readCapture,
  trace,
  wireSequence,
  type Child,
  type LogLine,
  type WireMessage,
} from './helpers/peers.js';

const TOOLS = ['freeDiameterd', 'unshare', 'nsenter', 'ip', 'openssl', 'dumpcap', 'tshark'];

const R = 0x80;
const E = 0x20;
const CER = 257;
const ACR = 271;
const DPR = 282;

/** Each test stays well under this (issue 3: ~40 s at most), even on a busy machine. */
const PER_TEST_TIMEOUT_MS = 60_000;

after(async () => {
  await stopAllChildren();
  cleanupTempDirs();
});

/** One message line of `serve --trace` ("in  ADDR CER app=0 flags=R ..." / "out ADDR CEA ..."). */
interface TraceLine {
  dir: 'in' | 'out';
  name: string;
  text: string;
}

function traceLines(lines: LogLine[]): TraceLine[] {
  const out: TraceLine[] = [];
  for (const l of lines) {
    const m = typeof l.msg === 'string' ? /^(in|out)\s+\S+ (\S+) (.*)$/.exec(l.msg) : null;
    if (m) out.push({ dir: m[1] as 'in' | 'out', name: m[2]!, text: m[3]! });
  }
  return out;
}

interface ProbeEvent {
  event: string;
  [k: string]: unknown;
}

function probeEvents(c: Child): ProbeEvent[] {
  return c.stdout
    .split('\n')
    .filter((l) => l.startsWith('EVENT '))
    .map((l) => JSON.parse(l.slice(6)) as ProbeEvent);
}

/**
 * The diamkit initiator (fixtures/initiator.ts) run inside `ns`; resolves with its events once it exited.
 */
async function runInitiator(
  ns: Netns,
  script: Record<string, unknown>,
  timeoutMs: number,
): Promise<ProbeEvent[]> {
  const child = spawnChild(
    'diamkit initiator',
    process.execPath,
    ['--import', 'tsx', 'test/interop/fixtures/initiator.ts', JSON.stringify(script)],
    {
      netns: ns,
    },
  );
  const timer = setTimeout(() => void child.stop('SIGKILL', 100), timeoutMs);
  const status = await child.exited;
  clearTimeout(timer);
  assert.equal(status.code, 0, `initiator failed (${describeExit(status)}):\n${child.output}`);
  return probeEvents(child);
}

/** tshark must read the capture with no malformed message and no warning or error expert item. */
async function readCleanCapture(pcap: string, port: number): Promise<WireMessage[]> {
  const r = await readCapture(pcap, port);
  trace(`tshark expert items:\n${r.decode.expertLines.join('\n')}`);
  assert.equal(r.decode.malformedCount, 0, `tshark found malformed packets:\n${r.decode.text}`);
  assert.deepEqual(r.serious, [], `tshark expert items:\n${r.decode.expertLines.join('\n')}`);
  return r.messages;
}

function requireTools(t: TestContext): boolean {
  if (!requireTool(t, ...TOOLS)) return false;
  // A network namespace needs root (CI runs as root); elsewhere say why rather than fail.
  if (process.getuid?.() !== 0) {
    if (inCi()) throw new Error('CI=true but not root: unshare -n needs root');
    t.skip('needs root for a private network namespace (unshare -n)');
    return false;
  }
  return true;
}

describe('freeDiameter 1.2.1 interop', () => {
  test(
    'freeDiameter opens to `diamkit serve`, watchdog with Tw = 6 s, DPR/DPA when diamkit stops',
    { timeout: PER_TEST_TIMEOUT_MS },
    async (t) => {
      if (!requireTools(t)) return;
      const ns = await Netns.create();
      t.after(() => ns.close());
      // Our Tw stays at its 30 s default so that freeDiameter's Tw of 6 s fires first: its DWR, our DWA.
      const serve = await startServe({ originHost: 'diamkit.fd.test', originRealm: 'fd.test', netns: ns });
      const capture = await startCapture(serve.port, { netns: ns });
      const fd = await startFreeDiameter({
        identity: 'peer.fd.test',
        realm: 'fd.test',
        netns: ns,
        twTimer: 6,
        connectPeers: [{ identity: 'diamkit.fd.test', port: serve.port }],
      });

      await fd.waitOpen('diamkit.fd.test', 15_000);
      const opened = Date.now();
      await serve.child.waitFor(
        /"peer":"peer\.fd\.test","from":"Closed","to":"R-Open"/,
        5000,
        'our peer state R-Open',
      );

      // RFC 3539 §3.4.1: with Tw = 6 s and jitter of ±2 s the first DWR comes 4–8 s after the open.
      await serve.child.waitFor(/"msg":"out \S+ DWA /, 15_000, 'our DWA to freeDiameter');
      const waited = Date.now() - opened;
      assert.ok(waited < 12_000, `first DWR/DWA only after ${waited} ms`);
      const beforeStop = traceLines(serve.logLines());
      const dwr = beforeStop.find((l) => l.dir === 'in' && l.name === 'DWR');
      assert.ok(dwr, 'freeDiameter sent the DWR');
      assert.match(dwr.text, /Origin-Host=peer\.fd\.test/);
      const dwa = beforeStop.find((l) => l.dir === 'out' && l.name === 'DWA');
      assert.match(dwa!.text, /Result-Code=2001 Origin-Host=diamkit\.fd\.test Origin-Realm=fd\.test/);
      const cer = beforeStop.find((l) => l.dir === 'in' && l.name === 'CER');
      assert.match(cer!.text, /Product-Name=freeDiameter/);
      const cea = beforeStop.find((l) => l.dir === 'out' && l.name === 'CEA');
      assert.match(cea!.text, /Result-Code=2001/);

      // SIGTERM: DPR to freeDiameter, its DPA, exit 0 (RFC 6733 §5.4).
      const status = await serve.child.stop('SIGTERM', 15_000);
      assert.equal(status.code, 0, `serve exit: ${describeExit(status)}\n${serve.child.output}`);
      const all = traceLines(parseLogLines(serve.child.stdout));
      const dpr = all.find((l) => l.dir === 'out' && l.name === 'DPR');
      assert.ok(dpr, `no DPR sent:\n${serve.child.stdout}`);
      assert.match(dpr.text, /Disconnect-Cause=REBOOTING/);
      const dpa = all.find((l) => l.dir === 'in' && l.name === 'DPA');
      assert.ok(dpa, `no DPA received:\n${serve.child.stdout}`);
      assert.match(dpa.text, /Origin-Host=peer\.fd\.test .*Result-Code=2001/);
      assert.match(serve.child.stdout, /"from":"Closing","to":"Closed"/);
      assert.match(serve.child.stdout, /"msg":"stopped"/);
      await fd.child.waitFor(/Peer 'diamkit\.fd\.test' sent a DPR with cause: REBOOTING/, 5000);

      const pcap = await capture.stop();
      await fd.child.stop('SIGTERM', 3000);
      const rows = await readCleanCapture(pcap, serve.port);
      const seq = wireSequence(rows, serve.port, 'us', 'fd');
      assert.deepEqual(
        seq.slice(0, 4),
        ['fd:257R', 'us:257A', 'fd:280R', 'us:280A'],
        `wire: ${seq.join(' ')}`,
      );
      assert.deepEqual(seq.slice(-2), ['us:282R', 'fd:282A'], `wire: ${seq.join(' ')}`);
      for (const r of rows.filter((x) => !(x.flags & R)))
        assert.deepEqual(r.resultCodes, ['2001'], `answer ${r.cmd}`);
    },
  );

  test(
    'a bare diamkit initiator opens to freeDiameter, its DWR is answered, DPR/DPA on stop',
    { timeout: PER_TEST_TIMEOUT_MS },
    async (t) => {
      if (!requireTools(t)) return;
      const ns = await Netns.create();
      t.after(() => ns.close());
      const fd = await startFreeDiameter({
        identity: 'peer.fd.test',
        realm: 'fd.test',
        netns: ns,
        // freeDiameter's own Tw is long, so the DWR on the wire is ours (Tw = 6 s).
        twTimer: 30,
        allowPeers: ['client.fd.test'],
      });
      trace('freeDiameter started');
      const capture = await startCapture(fd.port, { netns: ns });
      trace('capturing');
      const events = await runInitiator(
        ns,
        {
          host: '127.0.0.1',
          port: fd.port,
          originHost: 'client.fd.test',
          originRealm: 'fd.test',
          peerOriginHost: 'peer.fd.test',
          // No application: a base-protocol probe (CER, DWR, DPR) must open as well.
          bare: true,
          watchdogMs: 6000,
          watchdogAnswers: 1,
          timeoutMs: 20_000,
        },
        35_000,
      );
      trace('initiator done');
      const open = events.find((e) => e.event === 'open');
      assert.ok(open, JSON.stringify(events));
      assert.equal(open.state, 'I-Open');
      assert.equal(open.peerOriginHost, 'peer.fd.test');
      // freeDiameter without application extensions advertises the relay application (RFC 6733 §2.4).
      assert.deepEqual(open.peerAppIds, [0xffffffff]);
      const wd = events.find((e) => e.event === 'watchdog-answers');
      assert.ok(wd && (wd.count as number) >= 1, `no DWA from freeDiameter: ${JSON.stringify(events)}`);
      assert.equal(wd.watchdogState, 'OKAY');
      const stopped = events.find((e) => e.event === 'stopped');
      assert.equal(stopped?.state, 'Closed');
      const dpa = events.find((e) => e.event === 'received' && e.cmd === DPR && !((e.flags as number) & R));
      assert.ok(dpa, `no DPA: ${JSON.stringify(events)}`);
      assert.equal(dpa.resultCode, 2001);
      assert.equal(
        events.filter((e) => e.event === 'peer-error').length,
        0,
        `peer errors: ${JSON.stringify(events.filter((e) => e.event === 'peer-error'))}`,
      );
      await fd.waitOpen('client.fd.test', 1000);
      await fd.child.waitFor(/Peer 'client\.fd\.test' sent a DPR with cause: REBOOTING/, 3000);

      const pcap = await capture.stop();
      trace('capture stopped');
      await fd.child.stop('SIGTERM', 3000);
      trace('freeDiameter stopped');
      const rows = await readCleanCapture(pcap, fd.port);
      trace('tshark done');
      const seq = wireSequence(rows, fd.port, 'fd', 'us');
      assert.deepEqual(seq.slice(0, 2), ['us:257R', 'fd:257A'], `wire: ${seq.join(' ')}`);
      assert.ok(seq.includes('us:280R') && seq.includes('fd:280A'), `wire: ${seq.join(' ')}`);
      assert.deepEqual(seq.slice(-2), ['us:282R', 'fd:282A'], `wire: ${seq.join(' ')}`);
    },
  );

  test(
    'an ACR relayed by freeDiameter reaches the diamkit CDF and its ACA comes back',
    { timeout: PER_TEST_TIMEOUT_MS },
    async (t) => {
      if (!requireTools(t)) return;
      const ns = await Netns.create();
      t.after(() => ns.close());
      const serve = await startServe({ originHost: 'cdf.cdf.test', originRealm: 'cdf.test', netns: ns });
      const capture = await startCapture(serve.port, { netns: ns });
      const fd = await startFreeDiameter({
        identity: 'relay.fd.test',
        realm: 'fd.test',
        netns: ns,
        twTimer: 30,
        connectPeers: [{ identity: 'cdf.cdf.test', port: serve.port }],
        allowPeers: ['ctf.fd.test'],
      });
      await fd.waitOpen('cdf.cdf.test', 15_000);
      const events = await runInitiator(
        ns,
        {
          host: '127.0.0.1',
          port: fd.port,
          originHost: 'ctf.fd.test',
          originRealm: 'fd.test',
          peerOriginHost: 'relay.fd.test',
          acrDestinationRealm: 'cdf.test',
          timeoutMs: 20_000,
        },
        30_000,
      );
      const answer = events.find((e) => e.event === 'answer');
      assert.ok(answer, JSON.stringify(events));
      assert.equal(answer.cmd, ACR);
      assert.equal(answer.flags, 0x40, 'ACA: P copied from the ACR, not an error');
      assert.equal(answer.resultCode, 2001, JSON.stringify(answer));
      assert.equal(answer.originHost, 'cdf.cdf.test', 'the CDF answered, not the relay');
      assert.equal(answer.sessionId, answer.requestSessionId);
      assert.equal(answer.recordNumber, 0);

      await serve.child.waitFor(/"msg":"out \S+ ACA /, 5000, 'our ACA in the trace log');
      // The CDF saw the request relayed: a relay appends a Route-Record naming the peer it received the
      // request from (RFC 6733 §6.1.9), here our client; the CDF answered it.
      const lines = traceLines(serve.logLines());
      const acr = lines.find((l) => l.dir === 'in' && l.name === 'ACR');
      assert.ok(acr, serve.child.stdout);
      assert.match(acr.text, /Origin-Host=ctf\.fd\.test/);
      assert.match(acr.text, /Route-Record=ctf\.fd\.test/);
      const aca = lines.find((l) => l.dir === 'out' && l.name === 'ACA');
      assert.match(aca!.text, /Result-Code=2001/);

      const pcap = await capture.stop();
      const status = await serve.child.stop('SIGTERM', 15_000);
      assert.equal(status.code, 0, describeExit(status));
      await fd.child.stop('SIGTERM', 3000);
      const rows = await readCleanCapture(pcap, serve.port);
      const acrRow = rows.find((r) => r.cmd === ACR && r.flags & R);
      const acaRow = rows.find((r) => r.cmd === ACR && !(r.flags & R));
      assert.ok(acrRow && acaRow, JSON.stringify(rows));
      assert.equal(acaRow.flags & E, 0);
      assert.deepEqual(acaRow.resultCodes, ['2001']);
      assert.ok(rows.some((r) => r.cmd === CER));
    },
  );
});
