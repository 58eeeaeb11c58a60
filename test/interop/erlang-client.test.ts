/**
 * diamkit's client commands — `send`, `run` and `load`, spawned as a user runs them — against an
 * independent server: Erlang/OTP's diameter application (fixtures/erlang-acr-server.escript, one per
 * test, on 127.0.0.1). The escript answers ACR with ACA 2001 and prints each request as OTP decoded it,
 * so every test checks what arrived there, not only what the client says: the Session-Id, identity,
 * Destination-Realm, record type and number the client sent, no decode errors, the CER's application,
 * DPR at the end (OTP reports peer_down), and for `load` the escript's own count of ACRs by record type
 * and of distinct Session-Ids against the report's.
 *
 * OTP drops a request that comes within ~150 ms of its CEA (shared/DESIGN.md): every command runs with
 * `--start-delay`, as a user's would. Each client uses its own Origin-Host (OTP remembers vanished peers).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LoadReport } from '../../src/client/load/report.js';
import type { MessageJson } from '../../src/dictionary/message-format.js';
import { requireTool } from './helpers/require-tool.js';

const ESCRIPT = fileURLToPath(new URL('./fixtures/erlang-acr-server.escript', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OTP_HOST = 'otp.server.test';
const OTP_REALM = 'server.test';
const REALM = 'client.test';
/** Comfortably above OTP's ~150 ms window, also on a loaded machine. */
const START_DELAY = '400ms';
const TEST_TIMEOUT_MS = 120_000;

/** Every escript started, so that one left behind by a timed-out test is still ended. */
const started = new Set<OtpServer>();
after(async () => {
  await Promise.all([...started].map((s) => s.stop()));
});

let hosts = 0;
/** A new Origin-Host for each client: OTP ignores a peer that vanished for a while. */
function freshHost(label: string): string {
  return `${label}-${process.pid}-${Date.now().toString(36)}-${++hosts}.${REALM}`;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One ACR as the escript printed it (fields as OTP decoded them). */
interface SeenAcr {
  sessionId: string;
  originHost: string;
  originRealm: string;
  destinationRealm: string;
  type: number;
  number: number;
  acctAppIds: string;
  decodeErrors: number;
}

/** The escript, its output, and the diamkit commands run against it (all killed by stop()). */
class OtpServer {
  out = '';
  err = '';
  port = 0;
  readonly dir = mkdtempSync(join(tmpdir(), 'diamkit-erlang-client-'));
  private readonly children = new Set<ChildProcess>();
  private readonly proc: ChildProcess;
  private readonly exited: Promise<number | null>;

  private constructor() {
    this.proc = spawn('escript', [ESCRIPT, OTP_HOST, OTP_REALM, '110'], {
      cwd: this.dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc.stdout!.on('data', (c: Buffer) => (this.out += c.toString()));
    this.proc.stderr!.on('data', (c: Buffer) => (this.err += c.toString()));
    this.exited = new Promise((r) => this.proc.on('exit', (code) => r(code)));
  }

  /** Starts the escript; resolves once it printed its port (it kills it on failure). */
  static async start(): Promise<OtpServer> {
    const s = new OtpServer();
    started.add(s);
    try {
      s.port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no LISTENING line within 30 s:\n${s.out}\n${s.err}`)),
          30_000,
        );
        s.proc.stdout!.on('data', () => {
          const m = /^LISTENING (\d+)$/m.exec(s.out);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
        void s.exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`escript exited ${code}:\n${s.out}\n${s.err}`));
        });
      });
    } catch (e) {
      await s.stop();
      throw e;
    }
    return s;
  }

  get peer(): string {
    return `127.0.0.1:${this.port}`;
  }

  file(name: string, text: string): string {
    const f = join(this.dir, name);
    writeFileSync(f, text);
    return f;
  }

  /** Runs `diamkit ARGS` to completion (killed after 90 s). */
  diamkit(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.children.add(child);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const t = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(t);
        this.children.delete(child);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** The RESULT lines so far, without the prefix. */
  results(): string[] {
    return this.out
      .split('\n')
      .filter((l) => l.startsWith('RESULT '))
      .map((l) => l.slice(7));
  }

  acrs(): SeenAcr[] {
    return this.results()
      .filter((l) => l.startsWith('acr '))
      .map((l) => {
        const f = l.slice(4).split('|');
        assert.equal(f.length, 8, l);
        return {
          sessionId: f[0]!,
          originHost: f[1]!,
          originRealm: f[2]!,
          destinationRealm: f[3]!,
          type: Number(f[4]),
          number: Number(f[5]),
          acctAppIds: f[6]!,
          decodeErrors: Number(f[7]),
        };
      });
  }

  /** Everything but the ACR lines: peer_up, peer_down, decode_errors, other. */
  events(): string[] {
    return this.results().filter((l) => !l.startsWith('acr ') && !l.startsWith('summary '));
  }

  /** Waits (at most 10 s) until the escript printed `RESULT line`: OTP reports peer_down after our DPR. */
  async waitFor(line: string): Promise<void> {
    for (let i = 0; i < 100 && !this.results().includes(line); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.ok(this.results().includes(line), `no "RESULT ${line}" from the escript:\n${this.out}`);
  }

  /** The escript's exit code, once stop() has resolved. */
  exitCode: number | null | undefined;

  /**
   * Ends the commands still running, then the escript (stdin closed: it prints its summary and halts;
   * killed after 15 s), and removes the temp directory. Safe to call twice.
   */
  async stop(): Promise<void> {
    started.delete(this);
    for (const c of this.children) c.kill('SIGKILL');
    this.proc.stdin!.end();
    const kill = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
    this.exitCode = await this.exited;
    clearTimeout(kill);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** After stop(): it exited by itself, with status 0. */
  assertStoppedCleanly(): void {
    assert.equal(this.exitCode, 0, `escript exit status ${this.exitCode}:\n${this.err}`);
  }

  /** The escript's closing counts (after stop()). */
  summary(): Record<string, number> {
    const line = this.results().find((l) => l.startsWith('summary '));
    assert.ok(line, `no summary from the escript:\n${this.out}\n${this.err}`);
    return Object.fromEntries(
      line
        .slice(8)
        .split(' ')
        .map((kv) => [kv.split('=')[0]!, Number(kv.split('=')[1])] as const),
    );
  }
}


/**
 * What OTP saw from one client: `sessions` Session-Ids of RFC 6733 §8.8 form (`me` then `tail`), each with
 * `records` ([type, number]) in order, our identity and OTP's realm, application 3, no decode errors; and
 * one connection that advertised application 3 and ended with DPR.
 */
function assertSessionsAtOtp(otp: OtpServer, me: string, sessions: number, tail: RegExp, records: [number, number][]): void {
  const bySession = new Map<string, SeenAcr[]>();
  for (const a of otp.acrs()) bySession.set(a.sessionId, [...(bySession.get(a.sessionId) ?? []), a]);
  assert.equal(bySession.size, sessions, otp.out);
  for (const [sid, recs] of bySession) {
    assert.match(sid, new RegExp(`^${escapeRe(me)}${tail.source}`), 'RFC 6733 §8.8 form');
    assert.deepEqual(
      recs.map((a) => [a.type, a.number]),
      records,
      sid,
    );
    for (const a of recs) {
      assert.deepEqual(
        [a.originHost, a.originRealm, a.destinationRealm, a.acctAppIds, a.decodeErrors],
        [me, REALM, OTP_REALM, '[3]', 0],
        sid,
      );
    }
  }
  assert.deepEqual(otp.events(), [`peer_up ${me} [3]`, `peer_down ${me}`], 'CER advertised 3; DPR at the end');
}

/** `{Name: value}` AVPs of a message in the JSON form, by name (the first of each). */
function avpsByName(m: MessageJson): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of m.avps) {
    const [k, v] = Object.entries(a as Record<string, unknown>)[0]!;
    if (!(k in out)) out[k] = v;
  }
  return out;
}

test('diamkit send against an Erlang/OTP diameter server', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!requireTool(t, 'escript')) return;
  const otp = await OtpServer.start();
  const me = freshHost('send');
  const unknownA = freshHost('send-unknown');
  const unknownB = freshHost('send-expect');
  try {
    const acr = otp.file(
      'acr-start.yaml',
      'command: ACR\navps:\n  - Accounting-Record-Type: START_RECORD\n  - Accounting-Record-Number: 0\n  - Acct-Application-Id: 3\n',
    );
    const common = ['--peer', otp.peer, '--origin-realm', REALM, '--start-delay', START_DELAY];
    const r = await otp.diamkit(['send', acr, ...common, '--origin-host', me, '--format', 'json', '-v']);
    assert.equal(r.code, 0, r.stderr);
    const answer = JSON.parse(r.stdout) as MessageJson;
    const got = avpsByName(answer);
    assert.equal(answer.command, 'ACA');
    assert.equal(got['Result-Code'], 2001);
    assert.equal(got['Origin-Host'], OTP_HOST);
    assert.equal(got['Origin-Realm'], OTP_REALM);
    assert.equal(got['Accounting-Record-Type'], 'START_RECORD');
    assert.equal(got['Accounting-Record-Number'], 0);
    // -v: the request as sent (JSON), then one line with the Result-Code and the peer.
    const cut = r.stderr.lastIndexOf('\ndiamkit: ');
    assert.ok(cut > 0, r.stderr);
    assert.match(r.stderr.slice(cut), /2001 DIAMETER_SUCCESS from otp\.server\.test in [\d.]+ ms/);
    const sent = avpsByName(JSON.parse(r.stderr.slice(0, cut)) as MessageJson);
    assert.match(
      String(sent['Session-Id']),
      new RegExp(`^${escapeRe(me)};\\d+;\\d+;[0-9a-f]{6}$`),
      'filled in: a Session-Id of RFC 6733 §8.8 form',
    );
    assert.equal(got['Session-Id'], sent['Session-Id'], 'echoed by OTP');
    await otp.waitFor(`peer_down ${me}`);
    assert.deepEqual(otp.acrs(), [
      {
        sessionId: sent['Session-Id'],
        originHost: me,
        originRealm: REALM,
        destinationRealm: OTP_REALM, // filled in from the CEA
        type: 2,
        number: 0,
        acctAppIds: '[3]',
        decodeErrors: 0,
      },
    ]);

    // A command OTP does not know in application 3: OTP answers 3001 itself (E bit); exit 1 unless expected.
    const unknown = otp.file('unknown.yaml', 'command: 9999\napplication: 3\nflags: RP\navps: []\n');
    const u = await otp.diamkit(['send', unknown, ...common, '--origin-host', unknownA]);
    assert.equal(u.code, 1, `${u.stdout}\n${u.stderr}`);
    assert.match(u.stdout, /^Command 9999 Answer code 9999, flags PE, application 3 /);
    assert.match(u.stdout, /Result-Code \(268\) -M-: 3001/);
    assert.match(u.stdout, /Origin-Host \(264\) -M-: otp\.server\.test/);
    assert.match(
      u.stderr,
      /3001 DIAMETER_COMMAND_UNSUPPORTED from otp\.server\.test in [\d.]+ ms; expected a success Result-Code/,
    );
    const e = await otp.diamkit(['send', unknown, ...common, '--origin-host', unknownB, '--expect', '3001']);
    assert.equal(e.code, 0, `${e.stdout}\n${e.stderr}`);
    assert.equal(e.stderr, '');
    await otp.waitFor(`peer_down ${unknownB}`);
    assert.deepEqual(otp.events(), [
      `peer_up ${me} [3]`,
      `peer_down ${me}`,
      `peer_up ${unknownA} [3]`,
      `peer_down ${unknownA}`,
      `peer_up ${unknownB} [3]`,
      `peer_down ${unknownB}`,
    ]);
  } finally {
    await otp.stop();
  }
  otp.assertStoppedCleanly();
  // The unknown commands never reached the application: one ACR in all.
  assert.deepEqual(otp.summary(), {
    acr: 1,
    start: 1,
    interim: 0,
    stop: 0,
    event: 0,
    sessions: 1,
    decode_errors: 0,
  });
});

test('diamkit run against an Erlang/OTP diameter server', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!requireTool(t, 'escript')) return;
  const otp = await OtpServer.start();
  const me = freshHost('run');
  const sessions = 3;
  try {
    const file = otp.file(
      'otp.yaml',
      `name: Rf session to OTP
identity: { originHost: ${me}, originRealm: ${REALM} }
templates:
  acr:
    command: ACR
    avps:
      - Accounting-Record-Type: \${type}
      - Accounting-Record-Number: \${seq}
      - Acct-Application-Id: 3
steps:
  - send: acr
    with: { type: START_RECORD }
    expect: { result: 2001, avps: { Origin-Host: ${OTP_HOST}, Accounting-Record-Type: START_RECORD, Accounting-Record-Number: 0 } }
  - send: acr
    with: { type: INTERIM_RECORD }
    expect: { result: 2001, avps: { Accounting-Record-Number: 1 } }
  - send: acr
    with: { type: STOP_RECORD }
    expect: { result: 2001, avps: { Accounting-Record-Number: 2, Session-Id: '\${session}' } }
`,
    );
    const junit = join(otp.dir, 'junit.xml');
    const r = await otp.diamkit([
      'run',
      file,
      '--peer',
      otp.peer,
      '--start-delay',
      START_DELAY,
      '--sessions',
      String(sessions),
      '--parallel',
      String(sessions),
      '--junit',
      junit,
      '--no-color',
    ]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(
      r.stdout,
      new RegExp(
        `: ${sessions} sessions → 127\\.0\\.0\\.1:${otp.port} \\(otp\\.server\\.test, realm server\\.test\\)`,
      ),
    );
    assert.match(
      r.stdout,
      new RegExp(
        `PASSED: ${3 * sessions} steps passed, 0 failed, 0 skipped; ${sessions} of ${sessions} sessions passed; ${3 * sessions} requests, ${3 * sessions} answers`,
      ),
    );
    await otp.waitFor(`peer_down ${me}`);
    // Each session's three records arrived in order, as the client numbered them, under its own Session-Id.
    assertSessionsAtOtp(otp, me, sessions, /;\d+;\d+;[0-9a-f]{6}$/, [
      [2, 0],
      [3, 1],
      [4, 2],
    ]);
  } finally {
    await otp.stop();
  }
  otp.assertStoppedCleanly();
  assert.equal(otp.summary().acr, 3 * sessions);
});

test('diamkit load against an Erlang/OTP diameter server', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!requireTool(t, 'escript')) return;
  const otp = await OtpServer.start();
  const me = freshHost('load');
  const count = 100;
  let rep: LoadReport | undefined;
  try {
    // RFC 6733 accounting AVPs only: OTP's dictionary here is RFC 6733's, and the built-in IMS template's
    // 3GPP AVPs (M bit set) would be decode errors (5001) there.
    const template = otp.file(
      'acr-template.yaml',
      `command: ACR
avps:
  - Session-Id: \${session}
  - Origin-Host: \${originHost}
  - Origin-Realm: \${originRealm}
  - Destination-Realm: \${destinationRealm}
  - Accounting-Record-Type: START_RECORD
  - Accounting-Record-Number: 0
  - Acct-Application-Id: 3
  - User-Name: 'user-\${sessionNumber}'
  - Event-Timestamp: \${now}
`,
    );
    const r = await otp.diamkit([
      'load',
      '--peer',
      otp.peer,
      '--origin-host',
      me,
      '--origin-realm',
      REALM,
      '--template',
      template,
      '--concurrency',
      '10',
      '--count',
      String(count),
      // START, an INTERIM at 100 and 200 ms, STOP at 250 ms (intended times, so always two INTERIMs).
      '--holding',
      '250ms',
      '--interim',
      '100ms',
      '--timeout',
      '10s',
      '--start-delay',
      START_DELAY,
      '--json',
      '--no-progress',
    ]);
    assert.equal(r.code, 0, r.stderr);
    rep = JSON.parse(r.stdout) as LoadReport;
    assert.equal(rep.peer.originHost, OTP_HOST);
    assert.equal(rep.run.startDelayMs, 400);
    assert.deepEqual(rep.errors, []);
    assert.deepEqual(rep.sessions, { started: count, ended: count });
    assert.deepEqual(rep.requests.byRecordType, { START: count, INTERIM: 2 * count, STOP: count });
    assert.equal(rep.requests.sent, 4 * count);
    assert.equal(rep.requests.answered, rep.requests.sent);
    assert.deepEqual(
      [rep.requests.timeouts, rep.requests.lost, rep.requests.lateAnswers],
      [0, 0, 0],
      'no timeouts, nothing lost or late',
    );
    assert.deepEqual(rep.resultCodes, { '2001': rep.requests.sent });
    await otp.waitFor(`peer_down ${me}`);
    // What OTP saw, record by record: per session START 0, INTERIM 1, INTERIM 2, STOP 3, in order.
    assertSessionsAtOtp(otp, me, count, /;\d+;\d{10}$/, [
      [2, 0],
      [3, 1],
      [3, 2],
      [4, 3],
    ]);
  } finally {
    await otp.stop();
  }
  otp.assertStoppedCleanly();
  // The escript's own counts are the report's.
  const sent: Record<string, number> = rep.requests.byRecordType;
  assert.deepEqual(otp.summary(), {
    acr: rep.requests.sent,
    start: sent.START,
    interim: sent.INTERIM,
    stop: sent.STOP,
    event: sent.EVENT ?? 0,
    sessions: rep.sessions.started,
    decode_errors: 0,
  });
});
