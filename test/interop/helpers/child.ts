/**
 * Child processes of the interop tests: output kept (bounded) to wait for a line and to print on
 * failure, and every child tracked so that `stopAllChildren` stops what a test started. Re-exported by
 * peers.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from './dirs.js';
import type { Netns } from './netns.js';

/** Keep at most this much of a child's output (a chatty peer cannot grow the test's memory). */
const MAX_OUTPUT = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------------
// child processes

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A child process whose stdout and stderr are kept (bounded) so that a test can wait for a line and
 * print everything when it fails.
 */
export class Child {
  stdout = '';
  stderr = '';
  readonly exited: Promise<ExitStatus>;
  exitStatus: ExitStatus | undefined;
  private readonly watchers = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    proc.stdout?.setEncoding('utf8');
    proc.stderr?.setEncoding('utf8');
    proc.stdout?.on('data', (s: string) => {
      if (this.stdout.length < MAX_OUTPUT) this.stdout += s;
      this.notify();
    });
    proc.stderr?.on('data', (s: string) => {
      if (this.stderr.length < MAX_OUTPUT) this.stderr += s;
      this.notify();
    });
    this.exited = new Promise((resolve) => {
      proc.once('error', (err) => {
        this.stderr += `\n[spawn error: ${err.message}]`;
        this.exitStatus ??= { code: null, signal: null };
        this.notify();
        resolve(this.exitStatus);
      });
      // 'close' (not 'exit'): stdout and stderr are fully read by then.
      proc.once('close', (code, signal) => {
        this.exitStatus ??= { code, signal };
        this.notify();
        resolve(this.exitStatus);
      });
    });
    children.add(this);
    void this.exited.then(() => children.delete(this));
  }

  get pid(): number {
    if (this.proc.pid === undefined) throw new Error(`${this.name} did not start: ${this.stderr}`);
    return this.proc.pid;
  }

  get output(): string {
    return `${this.stdout}${this.stderr ? `\n--- stderr ---\n${this.stderr}` : ''}`;
  }

  private notify(): void {
    for (const w of [...this.watchers]) w();
  }

  /**
   * Resolves with the first match of `re` in stdout+stderr (searching what was already printed too);
   * rejects after `timeoutMs` or when the process exits without printing it.
   */
  waitFor(re: RegExp, timeoutMs: number, what = re.source): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const m = this.stdout.match(re) ?? this.stderr.match(re);
        if (m) {
          done();
          resolve(m);
          return true;
        }
        if (this.exitStatus) {
          done();
          reject(
            new Error(
              `${this.name} exited (${describeExit(this.exitStatus)}) before printing ${what}\n${this.output}`,
            ),
          );
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms\n${this.output}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.watchers.delete(watcher);
      };
      const watcher = () => void check();
      if (!check()) this.watchers.add(watcher);
    });
  }

  /** Sends `signal`; if the process is still there after `graceMs`, SIGKILL. Resolves with its exit status. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<ExitStatus> {
    if (this.exitStatus) return this.exitStatus;
    this.proc.kill(signal);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export function describeExit(s: ExitStatus): string {
  return s.signal ? `signal ${s.signal}` : `code ${s.code}`;
}

const children = new Set<Child>();

/** Stops every child still running (SIGTERM, then SIGKILL after a short grace). For `after` hooks. */
export async function stopAllChildren(graceMs = 3000): Promise<void> {
  await Promise.all([...children].map((c) => c.stop('SIGTERM', graceMs)));
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run inside this network namespace (see `Netns`). */
  netns?: Netns;
  /** Give the child a stdin pipe (closed with `child.proc.stdin.end()`); default: /dev/null. */
  stdinPipe?: boolean;
}

export function spawnChild(name: string, command: string, args: string[], opts: SpawnOptions = {}): Child {
  const [cmd, argv] = opts.netns ? opts.netns.wrap(command, args) : [command, args];
  const proc = spawn(cmd, argv, {
    cwd: opts.cwd ?? REPO_ROOT,
    env: opts.env ?? process.env,
    stdio: [opts.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  return new Child(name, proc);
}
