/**
 * The admin flags of `diamkit serve`: a bad --admin-port is refused before anything is opened, a port
 * asked for that is taken ends serve with status 2, --no-admin starts no HTTP server, and a token from
 * DIAMKIT_ADMIN_TOKEN guards the API while the probes stay open.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ROOT, startServeProcess, type ServeProcess } from './serve-process.js';

const tmp = mkdtempSync(join(tmpdir(), 'diamkit-admin-flags-'));
const running: ServeProcess[] = [];
after(async () => {
  for (const s of running) await s.stop(2000);
  rmSync(tmp, { recursive: true, force: true });
});

function runServe(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', ...args],
      {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(kill);
      resolve({ code, stdout: out, stderr: err });
    });
  });
}

describe('diamkit serve admin flags', () => {
  test('--admin-port out of range: one line naming the flag, exit 2, no store created', async () => {
    const db = join(tmp, 'never.db');
    const r = await runServe(['--admin-port', '70000', '--store', db]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--admin-port: expected a port number/);
    assert.equal(existsSync(db), false);
  });

  test('--admin-port that is taken: exit 2 naming the flag, no Diameter listener announced', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await runServe(['--admin-port', String(port), '--store', join(tmp, 'busy.db')]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`--admin-port: cannot listen on 127\\.0\\.0\\.1:${port}`));
      assert.doesNotMatch(r.stdout, /diamkit listening on/);
    } finally {
      blocker.close();
    }
  });

  test('--no-admin: the Diameter listener only', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'serve',
        '--port',
        '0',
        '--no-admin',
        '--store',
        join(tmp, 'noadmin.db'),
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!/^diamkit listening on /m.test(out) && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    assert.equal(await exit, 0);
    assert.match(out, /^diamkit listening on 127\.0\.0\.1:\d+$/m);
    assert.doesNotMatch(out, /diamkit admin on/);
  });

  test('DIAMKIT_ADMIN_TOKEN: the API wants it, the probes do not', async () => {
    process.env.DIAMKIT_ADMIN_TOKEN = 'tok-123';
    let s: ServeProcess;
    try {
      s = await startServeProcess(['--store', join(tmp, 'token.db')]);
    } finally {
      delete process.env.DIAMKIT_ADMIN_TOKEN;
    }
    running.push(s);
    assert.equal((await fetch(`${s.admin}/metrics`)).status, 401);
    assert.equal(
      (await fetch(`${s.admin}/metrics`, { headers: { authorization: 'Bearer tok-123' } })).status,
      200,
    );
    assert.equal((await fetch(`${s.admin}/api/peers?access_token=tok-123`)).status, 200);
    assert.equal((await fetch(`${s.admin}/healthz`)).status, 200);
    const ready = await fetch(`${s.admin}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ready: true, checks: { listening: true, store: 'ok' } });
    await s.stop();
    assert.deepEqual(await s.exit, { code: 0, signal: null });
  });
});
