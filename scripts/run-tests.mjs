#!/usr/bin/env node
// Runs the test suite with node:test. Node 20 does not expand globs given to --test, so this script
// lists the files itself: every test/**/*.test.ts, sorted, or only those under the paths given.
//
//   node scripts/run-tests.mjs                    # everything
//   node scripts/run-tests.mjs test/codec test/peer/framer.test.ts
//
// Environment: DIAMKIT_TEST_CONCURRENCY (test files run at once; default 2, sized for a 2-core machine
// where many tests wait on sockets or child processes), DIAMKIT_TEST_TIMEOUT_MS (per test; default 300000).
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git']);

function collect(path, out) {
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const entry of readdirSync(path)) {
      if (!SKIP_DIRS.has(entry)) collect(join(path, entry), out);
    }
  } else if (path.endsWith('.test.ts')) {
    out.push(path);
  }
}

const targets = process.argv.slice(2);
const files = [];
for (const target of targets.length > 0 ? targets : ['test']) {
  const abs = resolve(root, target);
  try {
    collect(abs, files);
  } catch (err) {
    console.error(`run-tests: cannot read ${target}: ${err.message}`);
    process.exit(2);
  }
}
const unique = [...new Set(files.map((f) => relative(root, f)))].sort();
if (unique.length === 0) {
  console.error(`run-tests: no *.test.ts files under ${targets.join(', ') || 'test/'}`);
  process.exit(1);
}

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`run-tests: ${name} must be a positive integer, got ${raw}`);
    process.exit(2);
  }
  return n;
}

const args = [
  '--import',
  'tsx',
  // Keeps --test-force-exit from losing results (see the file).
  '--import',
  pathToFileURL(join(root, 'scripts', 'test-child-stdout.mjs')).href,
  '--test',
  `--test-concurrency=${positiveInt('DIAMKIT_TEST_CONCURRENCY', 2)}`,
  `--test-timeout=${positiveInt('DIAMKIT_TEST_TIMEOUT_MS', 300_000)}`,
  // A test file that leaves a socket or timer open would otherwise keep its process, and CI, waiting
  // forever once its tests are done.
  '--test-force-exit',
  ...unique,
];
console.log(`run-tests: ${unique.length} file(s)`);
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => {
  if (signal) {
    console.error(`run-tests: node --test ended by ${signal}`);
    process.exit(1);
  }
  process.exit(code ?? 1);
});
