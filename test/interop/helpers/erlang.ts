/**
 * Erlang/OTP diameter as an interop peer: the escripts of fixtures/ run as children, and the RESULT
 * lines they print. Re-exported by peers.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnChild, type Child } from './child.js';
import { FIXTURES, makeTempDir } from './dirs.js';

// ---------------------------------------------------------------------------------------------------
// Erlang/OTP diameter

/**
 * Runs `fixtures/NAME` with escript; `args` are handed to its main/1. Its stdin is a pipe: the server
 * escript runs until that pipe closes (`closeStdin`).
 */
export function startEscript(name: string, args: string[]): Child {
  const path = join(FIXTURES, name);
  if (!existsSync(path)) throw new Error(`no escript ${path}`);
  return spawnChild(`escript ${name}`, 'escript', [path, ...args], {
    cwd: makeTempDir('erlang'),
    stdinPipe: true,
  });
}

/** Closes a child's stdin (the Erlang server escript then stops its service and exits 0). */
export function closeStdin(c: Child): void {
  c.proc.stdin?.end();
}

/** Parses the "RESULT key value" lines an escript prints (see fixtures/*.escript). */
export function escriptResults(c: Child): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of c.stdout.split('\n')) {
    const m = /^RESULT (\S+) ?(.*)$/.exec(line.trim());
    if (!m) continue;
    const list = out.get(m[1]!) ?? [];
    list.push(m[2]!);
    out.set(m[1]!, list);
  }
  return out;
}
