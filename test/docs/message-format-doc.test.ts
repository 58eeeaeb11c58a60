/**
 * Keeps the examples of docs/message-format.md true. The CER and ACR examples were written by hand from the
 * tables of shared/spec/test-vectors.md; encoding them must give the vectors' octets, which come from an
 * independent implementation (Erlang/OTP diameter), never from our encoder. Decoding the vectors must give
 * the documented form back (it is what `diamkit decode` prints). The abridged text tree must be lines of the
 * real tree, in order.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import YAML from 'yaml';
import { decodeMessage, encodeMessage } from '../../src/codec/message.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { messageFromJson, messageToJson, type MessageJson } from '../../src/dictionary/message-format.js';
import { formatMessageTree } from '../../src/dictionary/text-format.js';
import { loadVector } from '../helpers/vectors.js';

const DOC = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'docs', 'message-format.md');
const text = readFileSync(DOC, 'utf8');

/** The first fenced block of `lang` after the heading `## title`. */
function block(title: string, lang: string): string {
  const at = text.indexOf(`\n## ${title}\n`);
  assert.ok(at >= 0, `docs/message-format.md has no "## ${title}" section`);
  const open = text.indexOf('\n```' + lang + '\n', at);
  const next = text.indexOf('\n## ', at + 1);
  assert.ok(open >= 0 && (next < 0 || open < next), `"## ${title}" has no \`\`\`${lang} block`);
  const start = open + 5 + lang.length;
  return text.slice(start, text.indexOf('\n```', start));
}

const dict = builtinDictionary();

const EXAMPLES = [
  { title: 'Example: the CER of vector 01', vector: '01-cer' },
  { title: 'Example: the ACR of vector 05', vector: '05-acr-start' },
] as const;

describe('docs/message-format.md examples', () => {
  for (const { title, vector } of EXAMPLES) {
    const form = YAML.parse(block(title, 'yaml')) as MessageJson;

    test(`${vector}: the documented YAML encodes to the vector's octets`, () => {
      const hex = encodeMessage(messageFromJson(form, dict)).toString('hex');
      assert.equal(hex, loadVector(vector).hex);
    });

    test(`${vector}: decoding the vector gives the documented form`, () => {
      const json = messageToJson(decodeMessage(loadVector(vector).bytes, dict.resolve), dict);
      assert.deepEqual(JSON.parse(JSON.stringify(json)), form);
    });
  }

  test('the text tree excerpt is lines of the real tree of vector 05, in order', () => {
    const real = formatMessageTree(decodeMessage(loadVector('05-acr-start').bytes, dict.resolve), dict).split(
      '\n',
    );
    const shown = block('The text tree', '')
      .split('\n')
      .filter((l) => l.trim() !== '...');
    assert.ok(shown.length > 3, 'the text tree block is empty');
    let from = 0;
    for (const line of shown) {
      const i = real.indexOf(line, from);
      assert.ok(i >= 0, `not in the real tree (or out of order): ${line}`);
      from = i + 1;
    }
  });
});
