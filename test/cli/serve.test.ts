/**
 * `diamkit serve` as a user runs it: a child process (`node --import tsx src/cli/main.ts serve --port 0`)
 * that prints "diamkit listening on 127.0.0.1:PORT", driven by a raw-byte client: CER/CEA, then SIGTERM
 * in the middle of traffic — every request is answered, the client gets a DPR (RFC 6733 §5.4), answers it
 * with a DPA, and the process exits 0. Bad arguments: one line naming the flag, exit status 2.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  AVP,
  CMD,
  M,
  R,
  RawPeer,
  acr,
  answerTo,
  avp,
  cer,
  dwr,
  resultCode,
  strOf,
  u32Of,
  type RawMessage,
} from '../helpers/raw-peer.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'diamkit-serve-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

interface Server {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `diamkit serve --port 0 …` and resolves once it prints its listening line. */
function startServe(args: string[]): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'serve',
      '--port',
      '0',
      '--store',
      join(tmp, `cdr-${children.length}.db`),
      ...args,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`no listening line within 90 s; stdout: ${out}\nstderr: ${err}`)),
      90_000,
    );
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^diamkit listening on 127\.0\.0\.1:(\d+)$/m.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ child, port: Number(m[1]), stdout: () => out, stderr: () => err, exit });
      }
    });
    void exit.then(({ code }) => {
      clearTimeout(t);
      reject(new Error(`diamkit serve exited (${code}) before listening; stderr: ${err}`));
    });
  });
}

/** Runs `diamkit serve` to completion (bad arguments). */
function runServe(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout: out, stderr: err }));
  });
}

describe('diamkit serve', () => {
  test('prints its address; a raw client completes CER/CEA and DWR/DWA; SIGTERM with no traffic exits 0', async () => {
    const s = await startServe(['--origin-host', 'cdf.example.net', '--origin-realm', 'example.net']);
    const c = await RawPeer.connect(s.port);
    const cea = await c.exchange(cer());
    assert.equal(resultCode(cea), 2001);
    assert.equal(strOf(cea, AVP.ORIGIN_HOST), 'cdf.example.net');
    assert.equal(strOf(cea, AVP.ORIGIN_REALM), 'example.net');
    assert.equal(u32Of(cea, AVP.ACCT_APPLICATION_ID), 3, 'the CDF advertises Rf');
    assert.equal(resultCode(await c.exchange(dwr(2, 2))), 2001);
    c.answerWatchdogs = true;
    s.child.kill('SIGTERM');
    const d = await c.next(5000);
    assert.equal(d.command, CMD.DPR);
    c.send(answerTo(d));
    await c.expectClose(5000);
    assert.deepEqual(await s.exit, { code: 0, signal: null });
  });

  test('--allow-unknown-mandatory: an ACR with an unknown vendor AVP carrying the M bit is stored, not refused with 5001', async () => {
    const vendorAvp = avp(0x00fedcba, 'mystery', { vendorId: 99999, flags: M });
    for (const [flags, want] of [[[], 5001], [['--allow-unknown-mandatory'], 2001]] as const) {
      const s = await startServe([...flags, '--no-admin']);
      const c = await RawPeer.connect(s.port);
      try {
        c.answerWatchdogs = true;
        assert.equal(resultCode(await c.exchange(cer())), 2001);
        const ans = await c.exchange(acr({ hbh: 1, e2e: 1, sessionId: 'ctf;lenient;1', recordType: 1, extra: [vendorAvp] }));
        assert.equal(resultCode(ans), want, `with flags [${flags.join(' ')}]`);
      } finally {
        c.destroy();
        s.child.kill('SIGTERM');
        await s.exit;
      }
    }
  });

  test('SIGTERM during traffic: every request is answered, then a DPR; after the DPA the process exits 0', async () => {
    const s = await startServe(['--origin-host', 'cdf.example.net', '--origin-realm', 'example.net']);
    const c = await RawPeer.connect(s.port);
    c.answerWatchdogs = true;
    assert.equal(resultCode(await c.exchange(cer())), 2001);

    // Keep WINDOW EVENT ACRs (one Session-Id each) in flight until the DPR arrives.
    const WINDOW = 8;
    const sent = new Map<number, string>(); // Hop-by-Hop → Session-Id
    const answers = new Map<number, RawMessage>();
    let dpr: RawMessage | undefined;
    let answersBeforeDpr = 0;
    let sentBeforeSigterm = -1;
    let n = 0;
    const sendOne = () => {
      n++;
      const sid = `ctf.example.com;${Date.now()};${n}`;
      sent.set(n, sid);
      c.send(acr({ hbh: n, e2e: 0x5000 + n, sessionId: sid, recordType: 1 }));
    };
    for (let i = 0; i < WINDOW; i++) sendOne();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const m = await c.next(5000);
      if (m.command === CMD.DPR && m.flags & R) {
        dpr = m;
        answersBeforeDpr = answers.size;
        break;
      }
      assert.equal(answers.has(m.hbh), false, `one answer per request (hbh ${m.hbh})`);
      answers.set(m.hbh, m);
      if (answers.size === 40) {
        sentBeforeSigterm = n;
        s.child.kill('SIGTERM');
      }
      sendOne();
    }
    assert.ok(dpr, 'a DPR arrived');
    assert.ok(sentBeforeSigterm > 0);
    assert.equal(u32Of(dpr, AVP.DISCONNECT_CAUSE), 0, 'REBOOTING');
    assert.ok(
      answersBeforeDpr >= sentBeforeSigterm,
      `requests sent before SIGTERM answered before the DPR (${answersBeforeDpr} of ${sentBeforeSigterm})`,
    );
    // Requests still in flight when the DPR crossed them are answered too; then the DPA.
    while (answers.size < sent.size) {
      const m = await c.next(5000);
      answers.set(m.hbh, m);
    }
    c.send(answerTo(dpr));
    for (const [hbh, sid] of sent) {
      const a = answers.get(hbh)!;
      assert.equal(a.command, CMD.ACR);
      assert.equal(a.flags & R, 0);
      assert.equal(a.appId, 3);
      assert.equal(a.e2e, 0x5000 + hbh);
      assert.equal(strOf(a, AVP.SESSION_ID), sid);
      assert.equal(strOf(a, AVP.ORIGIN_HOST), 'cdf.example.net');
      assert.equal(resultCode(a), 2001, `ACA ${hbh}`);
      assert.equal(u32Of(a, AVP.ACCOUNTING_RECORD_TYPE), 1);
    }
    await c.expectClose(5000);
    assert.deepEqual(await s.exit, { code: 0, signal: null });
    assert.match(s.stdout(), /stopping: DPR to every peer/);
  });

  test('--port abc: one line naming the flag, exit status 2, nothing opened', async () => {
    const store = join(tmp, 'never.db');
    const r = await runServe(['--port', 'abc', '--store', store]);
    assert.equal(r.code, 2);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /--port/);
    assert.match(lines[0]!, /abc/);
    assert.equal(r.stdout, '');
    assert.equal(existsSync(store), false, 'the CDR store is not created for a bad argument');
  });
});
