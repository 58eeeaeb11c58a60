/**
 * Keeps docs/errors.md in step with src/codec/errors.ts: every ErrorCode key is documented once, with the
 * Result-Code the code carries, and the doc lists no code that no longer exists; every Result-Code the
 * code can send has a row in the doc's Result-Code table, under its RFC 6733 §7.1 name.
 * The expected values are read from the source (ErrorCode, ResultCode), the observed ones from the doc.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { ErrorCode, ResultCode } from '../../src/codec/errors.js';

const DOC = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'docs', 'errors.md');
const text = readFileSync(DOC, 'utf8');
const lines = text.split('\n');

/** The cells of a Markdown table row, without the empty ends; undefined for other lines. */
function cells(line: string): string[] | undefined {
  if (!line.startsWith('|')) return undefined;
  return line
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
}

/** The lines of the `## title` section (up to the next `## `). */
function section(title: string): string[] {
  const start = lines.findIndex((l) => l === `## ${title}`);
  assert.ok(start >= 0, `docs/errors.md has no "## ${title}" section`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => l.startsWith('## '));
  return end < 0 ? rest : rest.slice(0, end);
}

/** Error-code rows: first cell `CODE`, second cell the Result-Code. */
function errorRows(): { code: string; resultCode: number; row: string[] }[] {
  const out: { code: string; resultCode: number; row: string[] }[] = [];
  for (const line of section('Error codes')) {
    const c = cells(line);
    const m = c && /^`([A-Z][A-Z0-9_]*)`$/.exec(c[0]!);
    if (!c || !m) continue;
    assert.match(c[1]!, /^\d{4}$/, `row for ${m[1]}: second cell should be a Result-Code, got "${c[1]}"`);
    out.push({ code: m[1]!, resultCode: Number(c[1]), row: c });
  }
  return out;
}

/** Result-Code rows: first cell the number, second the name. */
function resultCodeRows(): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const line of section('Result-Codes the server sends')) {
    const c = cells(line);
    if (!c || !/^\d{4}$/.test(c[0]!)) continue;
    const n = Number(c[0]);
    assert.ok(!out.has(n), `Result-Code ${n} is listed twice`);
    out.set(n, c);
  }
  return out;
}

describe('docs/errors.md', () => {
  const rows = errorRows();
  const documented = new Map(rows.map((r) => [r.code, r]));

  test('documents every ErrorCode with its Result-Code', () => {
    for (const [code, def] of Object.entries(ErrorCode)) {
      const row = documented.get(code);
      assert.ok(row, `ErrorCode ${code} (Result-Code ${def.resultCode}) is missing from docs/errors.md`);
      assert.equal(
        row.resultCode,
        def.resultCode,
        `docs/errors.md gives ${code} Result-Code ${row.resultCode}, the code ${def.resultCode}`,
      );
    }
  });

  test('lists each code once and no code that no longer exists', () => {
    const seen = new Set<string>();
    for (const r of rows) {
      assert.ok(!seen.has(r.code), `${r.code} is listed twice`);
      seen.add(r.code);
      assert.ok(
        Object.hasOwn(ErrorCode, r.code),
        `docs/errors.md lists ${r.code}, which ErrorCode does not have`,
      );
    }
  });

  test('every error row says when, what Failed-AVP holds and what the server does', () => {
    for (const r of rows) {
      assert.equal(
        r.row.length,
        5,
        `row for ${r.code}: expected 5 cells (code, Result-Code, when, Failed-AVP, server)`,
      );
      for (const [i, what] of [
        [2, 'when'],
        [3, 'Failed-AVP'],
        [4, 'server'],
      ] as const) {
        assert.ok(r.row[i]!.length > 0, `row for ${r.code}: the ${what} cell is empty`);
      }
      assert.match(
        r.row[4]!,
        /^(close|E-bit answer|own answer|caller)\b/,
        `row for ${r.code}: server action should start with close / E-bit answer / own answer / caller`,
      );
    }
  });

  test('the Result-Code table names every ResultCode and every code an error carries', () => {
    const table = resultCodeRows();
    for (const [name, value] of Object.entries(ResultCode)) {
      const row = table.get(value);
      assert.ok(row, `Result-Code ${value} (${name}) is missing from the Result-Code table`);
      assert.ok(
        row[1]!.includes(name),
        `Result-Code ${value}: the table calls it "${row[1]}", the code ${name}`,
      );
    }
    for (const [code, def] of Object.entries(ErrorCode)) {
      assert.ok(
        table.has(def.resultCode),
        `${code} carries Result-Code ${def.resultCode}, which the Result-Code table lacks`,
      );
    }
  });
});
