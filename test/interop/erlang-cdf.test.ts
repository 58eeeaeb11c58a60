/**
 * The CDF against an independent CTF (issue 4): Erlang/OTP's diameter application (OTP 25, diameter
 * 2.2.7) as the client, with OTP's own RFC 6733 accounting dictionary (application 3), runs 200 accounting
 * sessions at once against `diamkit serve` (a child process on 127.0.0.1, port 0, a fresh SQLite store):
 * START → INTERIM → STOP each (RFC 6733 §9.8.3 record numbers 0, 1, 2).
 *  - The escript (fixtures/erlang_rf_client.escript) checks every answer: OTP must decode it as an ACA
 *    without errors, R and E clear, echoing Session-Id, Accounting-Record-Type and -Number (RFC 6733
 *    §9.7.2), Result-Code 2001; it prints counts by Result-Code, which this test reads.
 *  - Then `diamkit cdrs export --format jsonl` must hold exactly one closed CDR per session (200), each
 *    closed by its STOP with no anomaly (accounting-rf.md §5.2: causeForRecordClosing normal, no
 *    aCRStartLost/aCRStopLost, not a partial record), and `diamkit sessions` must show none open.
 * shared/DESIGN.md "Real peers for tests": Erlang is the client here, so its server-side quirk (dropping a
 * request just after its CEA) does not apply; the escript still uses a fresh Origin-Host per run and
 * leaves with DPR (remove_transport).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { requireTool } from './helpers/require-tool.js';
import {
  cleanupTempDirs,
  closeStdin,
  describeExit,
  escriptResults,
  makeTempDir,
  spawnChild,
  startEscript,
  startServe,
  stopAllChildren,
  type Child,
} from './helpers/peers.js';

const SESSIONS = 200;
const RUN = `${process.pid}-${Date.now().toString(36)}`;
const REALM = 'erl.test';

after(async () => {
  await stopAllChildren();
  cleanupTempDirs();
});

/** Waits for `c` to exit, killing it after `timeoutMs`. */
async function finish(c: Child, timeoutMs: number): Promise<void> {
  const timer = setTimeout(() => void c.stop('SIGKILL', 100), timeoutMs);
  await c.exited;
  clearTimeout(timer);
}

/** Runs `diamkit ARGS…` from the sources to completion; asserts exit 0 and returns stdout. */
async function diamkit(args: string[]): Promise<string> {
  const c = spawnChild(`diamkit ${args[0]}`, process.execPath, [
    '--import',
    'tsx',
    'src/cli/main.ts',
    ...args,
  ]);
  await finish(c, 60_000);
  assert.equal(
    c.exitStatus?.code,
    0,
    `diamkit ${args.join(' ')} failed (${describeExit(c.exitStatus!)}):\n${c.output}`,
  );
  return c.stdout;
}

/** "key=value key=value" → record. */
function fields(line: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of line.matchAll(/(\w+)=(\d+)/g)) out[m[1]!] = Number(m[2]);
  return out;
}

interface CdrLine {
  sessionId: string;
  originHost: string;
  anomalies: string[];
  causeForRecordClosing: number;
  recordSequenceNumber?: number;
  recordOpeningTime: string;
  recordClosingTime: string;
  rawAvps: { first?: Record<string, unknown>[]; last?: Record<string, unknown>[] };
}

test(
  `an Erlang/OTP CTF runs ${SESSIONS} concurrent START/INTERIM/STOP sessions: all ACA 2001, ${SESSIONS} closed CDRs, none open`,
  { timeout: 180_000 },
  async (t) => {
    if (!requireTool(t, 'escript')) return;
    const dir = makeTempDir('erlang-cdf');
    const storePath = join(dir, 'cdr.db');
    const serve = await startServe({
      originHost: `cdf-${RUN}.${REALM}`,
      originRealm: REALM,
      dataDir: dir,
      trace: false,
    });
    const clientHost = `ctf-${RUN}.${REALM}`;
    const client = startEscript('erlang_rf_client.escript', [
      String(serve.port),
      clientHost,
      REALM,
      REALM,
      String(SESSIONS),
    ]);
    closeStdin(client);
    await finish(client, 120_000);

    const results = escriptResults(client);
    assert.deepEqual(results.get('fail'), undefined, client.output);
    const summaryLine = results.get('summary')?.[0];
    assert.ok(summaryLine, `no summary line from the Erlang client:\n${client.output}`);
    const summary = fields(summaryLine);
    const byRc = new Map((results.get('rc') ?? []).map((l) => l.split(' ') as [string, string]));
    const detail = `\n${summaryLine}\n${(results.get('bad') ?? []).join('\n')}\n--- diamkit serve ---\n${serve.child.output.slice(-4000)}`;
    assert.equal(summary.sessions, SESSIONS, detail);
    assert.equal(summary.requests, 3 * SESSIONS, `every session must have sent all three records${detail}`);
    assert.equal(summary.errors, 0, `requests without an answer (timeouts, transport errors)${detail}`);
    assert.equal(summary.invalid, 0, `answers that are not a valid ACA for their request${detail}`);
    assert.equal(summary.valid2001, 3 * SESSIONS, detail);
    assert.deepEqual([...byRc], [['2001', String(3 * SESSIONS)]], `answers by Result-Code${detail}`);
    assert.equal(
      client.exitStatus?.code,
      0,
      `Erlang client exit (${describeExit(client.exitStatus!)})${detail}`,
    );
    assert.ok(results.get('peer_down'), 'the Erlang client left with DPR/DPA');

    const sessionLines = results.get('session') ?? [];
    assert.equal(sessionLines.length, SESSIONS);
    for (const l of sessionLines)
      assert.match(l, /^ok /, 'every session got 2001 for START, INTERIM and STOP');
    const sessionIds = new Set(sessionLines.map((l) => l.slice('ok '.length)));
    assert.equal(sessionIds.size, SESSIONS, 'distinct Session-Ids');
    for (const id of sessionIds) assert.ok(id.startsWith(`${clientHost};`), id);

    // The CDRs as a user exports them. The server still runs: each ACA 2001 promised a committed record.
    const jsonl = await diamkit(['cdrs', 'export', '--format', 'jsonl', '--store', storePath]);
    const lines = jsonl.split('\n').filter((l) => l !== '');
    const cdrs = lines.map((l) => JSON.parse(l) as CdrLine);
    assert.equal(cdrs.length, SESSIONS, `the fresh store holds one CDR per session, nothing else`);
    const perSession = new Map<string, CdrLine[]>();
    for (const c of cdrs) perSession.set(c.sessionId, [...(perSession.get(c.sessionId) ?? []), c]);
    assert.deepEqual([...perSession.keys()].sort(), [...sessionIds].sort(), 'exactly the Erlang sessions');
    for (const [id, list] of perSession) {
      assert.equal(list.length, 1, `one CDR for ${id}`);
      const c = list[0]!;
      assert.equal(c.originHost, clientHost);
      // Closed by its own STOP: nothing lost, normal closing (accounting-rf.md §5.2, §6.4), not partial.
      assert.deepEqual(c.anomalies, [], `${id}: anomalies ${c.anomalies.join(',')}`);
      assert.equal(c.causeForRecordClosing, 0, id);
      assert.equal(c.recordSequenceNumber, undefined, `${id} is a whole-session record, not a partial one`);
      assert.ok(Date.parse(c.recordOpeningTime) <= Date.parse(c.recordClosingTime), id);
      // Opened by the START (record 0) and last updated by the STOP (record 2) that Erlang sent.
      assert.deepEqual(
        [c.rawAvps.first, c.rawAvps.last].map((avps) => [
          avps?.find((a) => 'Accounting-Record-Type' in a)?.['Accounting-Record-Type'],
          avps?.find((a) => 'Accounting-Record-Number' in a)?.['Accounting-Record-Number'],
        ]),
        [
          ['START_RECORD', 0],
          ['STOP_RECORD', 2],
        ],
        id,
      );
    }

    const open = JSON.parse(
      await diamkit(['sessions', '--store', storePath, '--format', 'json']),
    ) as unknown[];
    assert.deepEqual(open, [], 'no accounting session left open');
    // The table form a person reads: the header line alone.
    const table = await diamkit(['sessions', '--store', storePath]);
    assert.equal(table.trimEnd().split('\n').length, 1, table);
    assert.match(table, /^SESSION-ID\s/);

    const status = await serve.child.stop('SIGTERM', 10_000);
    assert.equal(status.code, 0, `diamkit serve stopped cleanly on SIGTERM (${describeExit(status)})`);
  },
);
