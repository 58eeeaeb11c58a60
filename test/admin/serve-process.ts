/**
 * `diamkit serve` as a child process with its admin server on a free port: resolves once stdout has both
 * "diamkit admin on http://127.0.0.1:PORT" and "diamkit listening on 127.0.0.1:PORT".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServeProcess {
  child: ChildProcess;
  /** Diameter port. */
  port: number;
  /** Admin base URL, http://127.0.0.1:PORT. */
  admin: string;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL if it has not exited within `ms`. */
  stop: (ms?: number) => Promise<void>;
}

export function startServeProcess(args: string[], timeoutMs = 60_000): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--admin-port', '0', ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const stop = async (ms = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    await exit;
    clearTimeout(t);
  };
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `diamkit serve printed no admin/listening lines within ${timeoutMs} ms; stdout: ${out}\nstderr: ${err}`,
        ),
      );
    }, timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const a = /^diamkit admin on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
      const l = /^diamkit listening on 127\.0\.0\.1:(\d+)$/m.exec(out);
      if (a && l) {
        clearTimeout(t);
        resolve({
          child,
          port: Number(l[1]),
          admin: a[1]!,
          stdout: () => out,
          stderr: () => err,
          exit,
          stop,
        });
      }
    });
    void exit.then(({ code }) => {
      clearTimeout(t);
      reject(new Error(`diamkit serve exited (${code}) before listening; stderr: ${err}`));
    });
  });
}
