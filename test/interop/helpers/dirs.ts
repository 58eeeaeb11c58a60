/**
 * Directories of the interop tests: the repository root (children run from it), the fixtures folder,
 * and temporary directories removed by `cleanupTempDirs`. Re-exported by peers.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (src/cli/main.ts lives under it). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

// ---------------------------------------------------------------------------------------------------
// temporary directories

const tempDirs: string[] = [];

/** A fresh directory under the OS temp dir, removed by `cleanupTempDirs`. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `diamkit-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

export function cleanupTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
