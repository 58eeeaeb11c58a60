/**
 * Placeholders in message templates (src/client/template.ts) and CSV files that feed them (csv.ts):
 * names, built-in functions, escaping, errors that name the unknown variable, and RFC 4180 quoting.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CsvError, parseCsvRecords, readCsv } from '../../src/client/csv.js';
import {
  MapScope,
  TemplateError,
  checkPlaceholders,
  renderString,
  renderValue,
} from '../../src/client/template.js';

const scope = new MapScope([
  new Map<string, string | number>([
    ['seq', 2],
    ['session', 'h;1;2'],
    ['csv.imsi', '001010000000001'],
  ]),
]);

describe('placeholders', () => {
  test('names, several per string, escaping, strings only', () => {
    assert.equal(renderString('${session}', scope, 't'), 'h;1;2');
    assert.equal(renderString('n=${seq}, imsi=${ csv.imsi }.', scope, 't'), 'n=2, imsi=001010000000001.');
    assert.equal(renderString('cost: $5, literal $${seq}', scope, 't'), 'cost: $5, literal ${seq}');
    assert.equal(
      renderString('${seq}', scope, 't'),
      '2',
      'a string, which the message form reads as a number',
    );
  });

  test('in a tree: values are filled in, keys are not, the input is not changed', () => {
    const tpl = {
      command: 'ACR',
      avps: [{ 'Session-Id': '${session}' }, { 'Accounting-Record-Number': '${seq}' }, { X: 5 }],
    };
    const out = renderValue(tpl, scope, 'send');
    assert.deepEqual(out, {
      command: 'ACR',
      avps: [{ 'Session-Id': 'h;1;2' }, { 'Accounting-Record-Number': '2' }, { X: 5 }],
    });
    assert.equal(tpl.avps[0]!['Session-Id'], '${session}');
  });

  test('time: ISO 8601 UTC in whole seconds, offsets in seconds; epoch seconds', () => {
    const before = Math.floor(Date.now() / 1000);
    const now = renderString('${now}', scope, 't');
    const later = renderString('${now+300}', scope, 't');
    const epoch = Number(renderString('${epoch-60}', scope, 't'));
    const after = Math.floor(Date.now() / 1000);
    assert.match(now, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const t = Date.parse(now) / 1000;
    assert.ok(t >= before && t <= after, `${now} is now`);
    assert.ok(Date.parse(later) / 1000 - t >= 299 && Date.parse(later) / 1000 - t <= 301);
    assert.ok(epoch >= before - 60 && epoch <= after - 60);
  });

  test('random values stay in their range and vary', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const v = Number(renderString('${random(-1,2)}', scope, 't'));
      assert.ok(Number.isInteger(v) && v >= -1 && v <= 2, String(v));
      seen.add(String(v));
    }
    assert.deepEqual([...seen].sort(), ['-1', '0', '1', '2'], 'both ends included');
    const hex = renderString('${randomHex(5)}', scope, 't');
    assert.match(hex, /^[0-9a-f]{10}$/);
    assert.notEqual(renderString('${uuid}', scope, 't'), renderString('${uuid}', scope, 't'));
    assert.throws(() => renderString('${random(5,1)}', scope, 't'), /min <= max/);
  });

  test('errors name the place and the unknown name', () => {
    assert.throws(
      () => renderString('a ${sesion} b', scope, 'steps[1].send'),
      (e: unknown) => {
        assert.ok(e instanceof TemplateError);
        assert.match(
          e.message,
          /^steps\[1\]\.send: unknown variable \$\{sesion\} \(known: seq, session, csv\.imsi\)$/,
        );
        return true;
      },
    );
    assert.throws(() => renderString('x ${seq', scope, 'w'), /w: "\$\{" without a closing "\}"/);
    assert.throws(() => renderString('${2+2}', scope, 'w'), /neither a name nor a known function/);
  });

  test('checkPlaceholders finds the first unknown name and its path before anything runs', () => {
    const found: unknown[] = [];
    const tree = { avps: [{ A: '${now} ${random(1,2)} ${seq}' }, { B: [{ C: 'x${nope}' }] }] };
    assert.throws(() =>
      checkPlaceholders(
        tree,
        (n) => n === 'seq',
        (path, msg) => {
          found.push(path, msg);
          throw new Error('stop');
        },
      ),
    );
    assert.deepEqual(found, [['avps', 1, 'B', 0, 'C'], 'unknown variable ${nope}']);
  });
});

describe('CSV (RFC 4180)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'diamkit-csv-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('quoted fields hold commas, quotes and line breaks; CRLF and a BOM are fine', () => {
    const text = '\ufeffimsi,name,note\r\n001,"Doe, Jane","say ""hi"""\r\n002,Bob,"two\nlines"\r\n\r\n';
    const f = join(tmp, 'a.csv');
    writeFileSync(f, text);
    assert.deepEqual(readCsv(f, 'a.csv'), {
      file: 'a.csv',
      columns: ['imsi', 'name', 'note'],
      rows: [
        { imsi: '001', name: 'Doe, Jane', note: 'say "hi"' },
        { imsi: '002', name: 'Bob', note: 'two\nlines' },
      ],
    });
    assert.deepEqual(
      parseCsvRecords('a,b\n"x\ny",z\nlast,row', 'f').map((r) => r.line),
      [1, 2, 4],
      'each record knows the line it starts on',
    );
  });

  test('mistakes name the file and line', () => {
    const bad = (text: string, re: RegExp) => {
      const f = join(tmp, 'bad.csv');
      writeFileSync(f, text);
      assert.throws(
        () => readCsv(f, 'bad.csv'),
        (e: unknown) => e instanceof CsvError && re.test(e.message),
      );
    };
    bad('a,b\n1,2\n3\n', /^bad\.csv:3: 1 fields, the header has 2$/);
    bad('a,a\n1,2\n', /^bad\.csv:1: column "a" appears twice$/);
    bad('a,b c\n1,2\n', /^bad\.csv:1: column 2 "b c" is not a name/);
    bad('a\n"open\n', /^bad\.csv:2: a quoted field is not closed$/);
    bad('a\nx"y\n', /^bad\.csv:2: a quote inside an unquoted field/);
    bad('a,b\n', /^bad\.csv: no rows after the header$/);
  });
});
