/**
 * Interop tests drive real external programs. Outside CI a missing program skips the test with a
 * printed reason; inside CI (`CI=true`, where .ci/run installs them) a missing program is a failure,
 * so a broken install step can never turn into a quietly green run.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';

export function inCi(): boolean {
  return process.env.CI === 'true';
}

/** The absolute path of executable `tool` on PATH, or undefined. */
export function findTool(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * True when every `tool` is on PATH. Otherwise: inside CI throws; outside CI marks `t` skipped, prints
 * the reason, and returns false, so a test starts with `if (!requireTool(t, 'tshark')) return;`.
 */
export function requireTool(t: TestContext, ...tools: string[]): boolean {
  const missing = tools.filter((tool) => findTool(tool) === undefined);
  if (missing.length === 0) return true;
  const reason = `needs ${missing.join(', ')} on PATH (installed by .ci/run)`;
  if (inCi()) throw new Error(`CI=true but ${reason}`);
  t.skip(reason); // the reporter prints the reason next to the test name
  return false;
}
