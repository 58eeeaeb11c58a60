/**
 * `diamkit` as a child process of src/cli/main.ts, for the config tests: config files written to a
 * temporary folder, a command run to its end, or `diamkit serve` known by the port it prints in its
 * listening line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The identity every test file starts with (the required `identity` mapping). */
export const HEAD = ['identity:', '  originHost: cdf.example.net', '  originRealm: example.net'];

export interface ServeProcesses {
  /** The temporary folder (removed by cleanup). */
  dir: string;
  /** Writes `lines` to a file of this name in the temporary folder; returns its path. */
  write(name: string, lines: string[]): string;
  /** Runs `diamkit …` to its end. */
  run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Starts `diamkit serve …`; resolves with its port once it prints its listening line. */
  start(args: string[]): Promise<{ child: ChildProcess; port: number }>;
  /** Kills what is still running and removes the folder (for `after`). */
  cleanup(): void;
}

export function serveProcesses(prefix: string): ServeProcesses {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  const children: ChildProcess[] = [];
  return {
    dir: tmp,
    write(name, lines) {
      const f = join(tmp, name);
      writeFileSync(f, `${lines.join('\n')}\n`);
      return f;
    },
    run(args) {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
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
    },
    start(args) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...args], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let out = '';
      let err = '';
      child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no listening line within 90 s; stderr: ${err}`)), 90_000);
        child.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /^diamkit listening on 127\.0\.0\.1:(\d+)$/m.exec(out);
          if (m) {
            clearTimeout(t);
            resolve({ child, port: Number(m[1]) });
          }
        });
        child.on('exit', (code) => {
          clearTimeout(t);
          reject(new Error(`serve exited (${code}) before listening; stderr: ${err}`));
        });
      });
    },
    cleanup() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
