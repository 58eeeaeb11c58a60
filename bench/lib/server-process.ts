/**
 * The server processes of the server benchmark (bench/server.ts): starting one and waiting for the port it
 * listens on, stopping it, and reading what it costs from /proc (CPU time of its whole process tree, RSS).
 * Linux only, as /proc is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository: servers run with it as their working directory. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux; /proc reports CPU time in these ticks

interface ProcStat {
  ppid: number;
  ticks: number;
}

function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
}

/** `pid` and every process below it (escript starts the Erlang VM as a child or by exec). */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = procStat(Number(name));
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(Number(name));
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

/** CPU time (user + system, all threads) of the process tree, µs. */
export function treeCpuMicros(pids: readonly number[]): number {
  let ticks = 0;
  for (const p of pids) ticks += procStat(p)?.ticks ?? 0;
  return (ticks * 1e6) / CLK_TCK;
}

/** VmRSS and VmHWM of one process, bytes. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/**
 * RSS once the server is idle and settled: after at least `minMs` (V8's memory reducer shrinks the heap
 * some seconds after allocation stops), polled each second until two readings differ by under 1 %, at
 * most `maxMs`.
 */
export async function settledRss(
  pid: number,
  minMs: number,
  maxMs: number,
): Promise<{ rss: number; ms: number }> {
  const t0 = Date.now();
  let last = memoryOf(pid).rss;
  while (Date.now() - t0 < maxMs) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = memoryOf(pid).rss;
    if (Date.now() - t0 >= minMs && Math.abs(now - last) < last * 0.01)
      return { rss: now, ms: Date.now() - t0 };
    last = now;
  }
  return { rss: last, ms: Date.now() - t0 };
}

export interface ServerSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** The line that gives the port. */
  listening: RegExp;
  /** Ask it to stop: SIGTERM, or close stdin (the escript). */
  stopByStdin?: boolean;
  settleMs?: number;
}

export class ServerProcess {
  readonly child: ChildProcess;
  readonly port: Promise<number>;
  private stderr = '';

  constructor(readonly spec: ServerSpec) {
    this.child = spawn(spec.command, spec.args, {
      cwd: ROOT,
      env: { ...process.env, ...spec.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      if (this.stderr.length < 8000) this.stderr += d.toString();
    });
    this.port = new Promise((resolvePort, reject) => {
      let out = '';
      const t = setTimeout(
        () => reject(new Error(`${spec.name}: not listening within 30 s\n${this.stderr}`)),
        30_000,
      );
      this.child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = spec.listening.exec(out);
        if (m) {
          clearTimeout(t);
          resolvePort(Number(m[1]));
        }
      });
      this.child.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`${spec.name} exited (${code}) before listening\n${this.stderr}`));
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The processes whose CPU counts: found once the server listens (the Erlang VM may be a child). */
  tree(): number[] {
    return processTree(this.pid);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    if (this.spec.stopByStdin) this.child.stdin!.end();
    else this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
}
