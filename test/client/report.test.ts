/**
 * What send and run print (src/client/report.ts): the answer tree with colour only when asked — Result-Code
 * green for 2xxx, red otherwise — and YAML without folded lines.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage } from '../../src/codec/message.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { colors, formatMessage, wantColor } from '../../src/client/report.js';
import { loadVector } from '../helpers/vectors.js';

const dict = builtinDictionary();
const aca2001 = decodeMessage(loadVector('06-aca-start').bytes, dict.resolve);
const aca5005 = decodeMessage(loadVector('10-aca-5005-failed-avp').bytes, dict.resolve);
const GREEN = '\u001b[32m';
const RED = '\u001b[31m';

test('colour: none unless asked; Result-Code green on success, red otherwise', () => {
  assert.doesNotMatch(formatMessage(aca2001, 'text', dict, colors(false)), /\u001b/);
  const ok = formatMessage(aca2001, 'text', dict, colors(true)).split('\n');
  const bad = formatMessage(aca5005, 'text', dict, colors(true)).split('\n');
  const rc = (lines: string[]) => lines.find((l) => l.includes('Result-Code'))!;
  assert.ok(rc(ok).includes(`${GREEN}: 2001`), JSON.stringify(rc(ok)));
  assert.ok(rc(bad).includes(`${RED}: 5005`), JSON.stringify(rc(bad)));
  // Without the escapes it is exactly the plain tree.
  const plain = (s: string) => s.replace(/\u001b\[\d+m/g, '');
  assert.equal(plain(ok.join('\n')), formatMessage(aca2001, 'text', dict));
});

test('YAML keeps each value on one line', () => {
  const y = formatMessage(aca5005, 'yaml', dict);
  assert.match(y, /^ {2}- Error-Message: missing Accounting-Record-Number$/m);
  assert.ok(
    y.split('\n').every((l) => /^(\w| {2}- | {6}- )/.test(l)),
    y,
  );
});

test('colour on a terminal only, whatever CI says; NO_COLOR and --no-color win, FORCE_COLOR forces', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  assert.equal(wantColor(true, tty, {}), true);
  assert.equal(wantColor(true, pipe, { CI: 'true' }), false);
  assert.equal(wantColor(false, tty, {}), false);
  assert.equal(wantColor(true, tty, { NO_COLOR: '1' }), false);
  assert.equal(wantColor(true, tty, { TERM: 'dumb' }), false);
  assert.equal(wantColor(true, pipe, { FORCE_COLOR: '1' }), true);
  assert.equal(wantColor(true, pipe, { FORCE_COLOR: '0' }), false);
});
