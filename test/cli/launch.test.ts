/**
 * The Node flags a server is started with (src/cli/main.ts header): the `diamkit` bin's shebang, `npm start`
 * and the server benchmark must give the same ones, or the benchmark measures a process users never run.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SERVE_NODE_FLAGS } from '../../bench/server.js';

const root = new URL('../../', import.meta.url);

test('the bin, npm start and the server bench start Node with the same flags', () => {
  assert.ok(SERVE_NODE_FLAGS.length > 0);
  const shebang = readFileSync(new URL('src/cli/main.ts', root), 'utf8').split('\n')[0]!;
  assert.equal(shebang, `#!/usr/bin/env -S node ${SERVE_NODE_FLAGS.join(' ')}`, 'src/cli/main.ts shebang');
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: { start: string } };
  assert.equal(pkg.scripts.start, `node ${SERVE_NODE_FLAGS.join(' ')} dist/src/cli/main.js serve`, 'npm start');
});

test('this Node accepts the flags and they size the young generation', () => {
  // V8 grows the new space (up to twice the semi-space) while many young objects survive a collection.
  const script = `const v8 = require('node:v8'); let k = []; for (let i = 0; i < 3e6; i++) { k.push({ i, s: 'x' + i }); if (k.length > 20000) k = []; }
    console.log(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size)`;
  const size = (flags: string[]) => Number(execFileSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' }).trim());
  const semi = Number(/--max-semi-space-size=(\d+)/.exec(SERVE_NODE_FLAGS.join(' '))?.[1]);
  assert.ok(semi > 16, `the flags set a semi-space above V8's default (${SERVE_NODE_FLAGS.join(' ')})`);
  const withFlags = size(SERVE_NODE_FLAGS);
  const without = size([]);
  assert.ok(withFlags > without, `new space ${withFlags} B with the flags, ${without} B without`);
  assert.ok(withFlags <= 2 * semi * 1024 * 1024, `new space ${withFlags} B is at most two semi-spaces`);
});
