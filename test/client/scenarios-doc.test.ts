/**
 * docs/scenarios.md stays true: every full scenario it shows (a ```yaml block after `<!-- scenario -->`)
 * loads, and its placeholder table lists exactly the built-in names the code knows.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { BUILTIN_VARIABLES, loadScenario } from '../../src/client/scenario.js';

const doc = readFileSync(fileURLToPath(new URL('../../docs/scenarios.md', import.meta.url)), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'diamkit-scenarios-doc-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('every example scenario in docs/scenarios.md loads', () => {
  const examples = [...doc.matchAll(/<!-- scenario(?: csv: ([\w,-]+))? -->\n```yaml\n([\s\S]*?)```/g)];
  assert.ok(examples.length >= 3, `found ${examples.length} examples`);
  const dict = builtinDictionary();
  for (const [i, [, csvHeader, body]] of examples.entries()) {
    const file = join(tmp, `example-${i}.yaml`);
    writeFileSync(file, body!);
    if (csvHeader)
      writeFileSync(
        join(tmp, 'subscribers.csv'),
        `${csvHeader}\n${csvHeader
          .split(',')
          .map((_, j) => `v${j}`)
          .join(',')}\n`,
      );
    const s = loadScenario(file, dict);
    assert.ok(s.steps.length > 0, `example ${i + 1}`);
  }
});

test('the placeholder table names every built-in, and no other', () => {
  const section = doc.slice(doc.indexOf('## Placeholders'), doc.indexOf('## Expectations'));
  const documented = new Set([...section.matchAll(/^\| `\$\{(\w+)\}`/gm)].map((m) => m[1]!));
  for (const m of section.matchAll(/`\$\{(\w+)\}`, `\$\{(\w+)\}`/g)) documented.add(m[2]!);
  const builtins = new Set<string>(BUILTIN_VARIABLES);
  const functions = new Set(['now', 'epoch', 'uuid', 'NAME']);
  assert.deepEqual([...documented].filter((n) => !functions.has(n)).sort(), [...builtins].sort());
});
