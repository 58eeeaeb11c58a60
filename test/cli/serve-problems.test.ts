/**
 * What `diamkit serve` prints when a tester's traffic is wrong: a real serve process, driven by a raw-byte
 * CTF, and its stdout read as pino JSON lines. Every error answer and every CDR anomaly is one `warn` line
 * (level 40) naming the peer, command, Session-Id, Result-Code and Failed-AVP, or the anomaly and its
 * record numbers; 2001 traffic prints none; a burst beyond 10 lines a second ends in one "not logged"
 * summary with the count. pino writes asynchronously, so lines are waited for, generously.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServeProcess, type ServeProcess } from '../admin/serve-process.js';
import { AVP, P, R, RawPeer, acr, avp, cer, message, resultCode } from '../helpers/raw-peer.js';

const WARN = 40;
const LINES_PER_SECOND = 10;

type Line = Record<string, unknown> & { level: number; msg: string };

/** stdout's pino lines (the plain "diamkit listening …" lines are skipped). */
function lines(s: ServeProcess): Line[] {
  const out: Line[] = [];
  for (const l of s.stdout().split('\n')) {
    if (!l.startsWith('{')) continue;
    out.push(JSON.parse(l) as Line);
  }
  return out;
}

/** The first line `pred` accepts, polled for up to `timeoutMs`. */
async function lineWhere(
  s: ServeProcess,
  pred: (l: Line) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<Line> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const l = lines(s).find(pred);
    if (l) return l;
    if (Date.now() > end)
      throw new Error(`no log line with ${what} within ${timeoutMs} ms; stdout:\n${s.stdout()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('diamkit serve: problems on the console', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'diamkit-problems-'));
  let s: ServeProcess;
  let c: RawPeer;
  let id = 100;
  /** The last time a request of these tests got an error answer (the burst waits for a fresh window). */
  let lastError = 0;

  before(async () => {
    s = await startServeProcess([
      '--store',
      join(tmp, 'cdr.db'),
      '--origin-host',
      'cdf.example.net',
      '--origin-realm',
      'example.net',
    ]);
    c = await RawPeer.connect(s.port);
    c.answerWatchdogs = true;
    assert.equal(resultCode(await c.exchange(cer())), 2001);
  });
  after(async () => {
    c?.destroy();
    await s?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** A request of command `command` on Rf with a Session-Id and the base identity AVPs. */
  function otherCommand(command: number, sessionId: string): Buffer {
    id++;
    return message({ flags: R | P, command, appId: 3, hbh: id, e2e: id }, [
      avp(AVP.SESSION_ID, sessionId),
      avp(AVP.ORIGIN_HOST, 'ctf.example.com'),
      avp(AVP.ORIGIN_REALM, 'example.com'),
      avp(AVP.DESTINATION_REALM, 'example.net'),
    ]);
  }

  test('2001 traffic (START, INTERIM, STOP) prints no warn line', async () => {
    const sid = 'ctf.example.com;good;1';
    for (const [type, n] of [
      [2, 0],
      [3, 1],
      [4, 2],
    ] as const) {
      id++;
      const a = await c.exchange(
        acr({ hbh: id, e2e: id, sessionId: sid, recordType: type, recordNumber: n }),
      );
      assert.equal(resultCode(a), 2001);
    }
    // A marker: an error after the good traffic. Any line the good traffic caused was written before its
    // ACA was sent (events are published before the answer goes out), so before the marker's line.
    const marker = 'ctf.example.com;marker;1';
    assert.equal(resultCode(await c.exchange(otherCommand(999, marker))), 5012);
    lastError = Date.now();
    await lineWhere(s, (l) => l.sessionId === marker, 'the marker');
    const all = lines(s);
    const before = all
      .slice(
        0,
        all.findIndex((l) => l.sessionId === marker),
      )
      .filter((l) => l.level >= WARN);
    assert.deepEqual(before, [], 'no warn line for 2001 traffic');
  });

  test('an unknown command: a warn line with 5012 DIAMETER_UNABLE_TO_COMPLY, the peer and the command code', async () => {
    const sid = 'ctf.example.com;unknown-command;1';
    assert.equal(resultCode(await c.exchange(otherCommand(999, sid))), 5012);
    lastError = Date.now();
    const l = await lineWhere(s, (x) => x.sessionId === sid, `Session-Id ${sid}`);
    assert.equal(l.level, WARN);
    assert.equal(l.event, 'error-answer');
    assert.equal(l.resultCode, 5012);
    assert.equal(l.resultName, 'DIAMETER_UNABLE_TO_COMPLY');
    assert.equal(l.commandCode, 999);
    assert.equal(l.applicationId, 3);
    assert.equal(l.peer, 'ctf.example.com');
    assert.match(String(l.errorMessage), /command 999 not supported/);
    assert.match(l.msg, /5012/);
  });

  test('an ACR without Accounting-Record-Number: a warn line with 5005 and the failed AVP by name', async () => {
    const sid = 'ctf.example.com;missing-avp;1';
    id++;
    const a = await c.exchange(
      acr({ hbh: id, e2e: id, sessionId: sid, recordType: 2, omit: [AVP.ACCOUNTING_RECORD_NUMBER] }),
    );
    assert.equal(resultCode(a), 5005);
    lastError = Date.now();
    const l = await lineWhere(s, (x) => x.sessionId === sid, `Session-Id ${sid}`);
    assert.equal(l.level, WARN);
    assert.equal(l.event, 'error-answer');
    assert.equal(l.resultCode, 5005);
    assert.equal(l.resultName, 'DIAMETER_MISSING_AVP');
    assert.deepEqual(l.failedAvp, ['Accounting-Record-Number']);
    assert.equal(l.command, 'Accounting-Request');
    assert.equal(l.commandCode, 271);
    assert.equal(l.errorCode, 'AVP_MISSING');
    assert.equal(l.peer, 'ctf.example.com');
    assert.match(l.msg, /Accounting-Record-Number/);
  });

  test('an INTERIM without START: a warn line naming the anomaly aCRStartLost and its record number', async () => {
    const sid = 'ctf.example.com;interim-only;1';
    id++;
    const a = await c.exchange(acr({ hbh: id, e2e: id, sessionId: sid, recordType: 3, recordNumber: 1 }));
    assert.equal(resultCode(a), 2001, 'the CDF accepts it (stateless rule) and notes the anomaly');
    const l = await lineWhere(
      s,
      (x) => x.event === 'anomaly' && x.sessionId === sid,
      `an anomaly for ${sid}`,
    );
    assert.equal(l.level, WARN);
    assert.equal(l.anomaly, 'aCRStartLost');
    assert.equal(l.recordNumber, 1);
    assert.equal(l.originHost, 'ctf.example.com');
    assert.match(l.msg, /aCRStartLost/);
  });

  test('a CER with no common application: a warn line with the CEA 5010', async () => {
    const other = await RawPeer.connect(s.port);
    try {
      const cea = await other.exchange(cer({ originHost: 'ctf-wrong-app.example.com', acct: [], auth: [4] }));
      assert.equal(resultCode(cea), 5010);
      lastError = Date.now();
    } finally {
      other.destroy();
    }
    const l = await lineWhere(
      s,
      (x) => x.event === 'error-answer' && x.peer === 'ctf-wrong-app.example.com',
      'the refused CER',
    );
    assert.equal(l.resultCode, 5010);
    assert.equal(l.resultName, 'DIAMETER_NO_COMMON_APPLICATION');
    assert.equal(l.command, 'Capabilities-Exchange-Request');
  });

  test(`a burst of errors beyond ${LINES_PER_SECOND} a second: the rest is summed up in a "not logged" line`, async () => {
    // A window of the limit opens with its first line: let the one of the tests above close.
    await sleep(Math.max(0, lastError + 1500 - Date.now()));
    const BURST = 35;
    const burst: Buffer[] = [];
    for (let i = 0; i < BURST; i++) {
      id++;
      burst.push(
        acr({
          hbh: id,
          e2e: id,
          sessionId: `ctf.example.com;burst;${i}`,
          omit: [AVP.ACCOUNTING_RECORD_NUMBER],
        }),
      );
    }
    const start = lines(s).length;
    c.send(Buffer.concat(burst));
    for (let i = 0; i < BURST; i++) assert.equal(resultCode(await c.next(5000)), 5005);
    const summary = await lineWhere(
      s,
      (l) => l.event === 'error-answer' && l.notLogged !== undefined,
      'a "not logged" summary',
    );
    // Give a late second window (a stalled machine) the time to close too.
    await sleep(1500);
    const after = lines(s).slice(start);
    const logged = after.filter(
      (l) => typeof l.sessionId === 'string' && l.sessionId.startsWith('ctf.example.com;burst;'),
    );
    const summaries = after.filter((l) => l.event === 'error-answer' && l.notLogged !== undefined);
    const notLogged = summaries.reduce((n, l) => n + (l.notLogged as number), 0);
    assert.equal(summary.level, WARN);
    assert.match(summary.msg, /not logged/);
    assert.ok(
      logged.length >= LINES_PER_SECOND && logged.length < BURST,
      `${logged.length} burst lines logged`,
    );
    assert.equal(logged.length + notLogged, BURST, 'every error is either logged or counted');
    assert.deepEqual(
      summaries.map((l) => l.byResultCode),
      summaries.map((l) => ({ 5005: l.notLogged })),
      'counted by Result-Code',
    );
  });
});
