/**
 * `diamkit serve` started from the sources as a child process, and its pino log lines. Re-exported by
 * peers.ts.
 */
import { join } from 'node:path';
import { spawnChild, type Child } from './child.js';
import { makeTempDir } from './dirs.js';
import type { Netns } from './netns.js';

// ---------------------------------------------------------------------------------------------------
// diamkit serve

export interface ServeOptions {
  originHost: string;
  originRealm: string;
  /** Extra command-line flags, e.g. ['--watchdog', '6', '--unsupported-command', '3001']. */
  args?: string[];
  netns?: Netns;
  /** Directory for the CDR store (a fresh temp dir by default); ignored with '--no-cdf' in args. */
  dataDir?: string;
  /** Log every message (--trace); default true. */
  trace?: boolean;
}

export interface Serve {
  child: Child;
  port: number;
  /** The pino log lines printed so far, parsed. */
  logLines(): LogLine[];
}

export interface LogLine {
  msg?: string;
  [key: string]: unknown;
}

/** Starts `diamkit serve --port 0` from the sources and waits for its "listening" line. */
export async function startServe(opts: ServeOptions): Promise<Serve> {
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--host', '127.0.0.1', '--port', '0'];
  args.push('--origin-host', opts.originHost, '--origin-realm', opts.originRealm);
  if (opts.trace !== false) args.push('--trace');
  const extra = opts.args ?? [];
  if (!extra.includes('--no-cdf') && !extra.includes('--store')) {
    args.push('--store', join(opts.dataDir ?? makeTempDir('store'), 'cdr.db'));
  }
  args.push(...extra);
  const child = spawnChild(`diamkit serve (${opts.originHost})`, process.execPath, args, {
    netns: opts.netns,
  });
  const m = await child.waitFor(/diamkit listening on [^\s:]+:(\d+)/, 90_000, 'the "diamkit listening" line');
  return { child, port: Number(m[1]), logLines: () => parseLogLines(child.stdout) };
}

export function parseLogLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      // a line cut at the output cap
    }
  }
  return out;
}
