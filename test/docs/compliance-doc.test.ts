/**
 * Keeps docs/compliance.md editable without drifting: every table row has a known status, a "partial" or
 * "not done" row says why, sections are not listed twice in one table, and every file named in the Where
 * column exists under src/ (a renamed or deleted file makes this fail, so the row gets updated).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const lines = readFileSync(join(ROOT, 'docs', 'compliance.md'), 'utf8').split('\n');

const STATUSES = new Set(['done', 'partial', 'not done', '—']);

interface Row {
  table: string;
  line: number;
  cells: string[];
}

/** Rows of the tables whose header is `| § | Title | Status | Where | Notes |` (or `| Part | …`). */
function rows(): Row[] {
  const out: Row[] = [];
  let table: string | undefined;
  let heading = '';
  lines.forEach((line, i) => {
    if (line.startsWith('## ')) heading = line.slice(3);
    const c = line.startsWith('|')
      ? line
          .split('|')
          .slice(1, -1)
          .map((s) => s.trim())
      : undefined;
    if (!c) {
      table = undefined;
      return;
    }
    if (c[1] === 'Title' && c[2] === 'Status' && c[3] === 'Where' && c[4] === 'Notes') {
      table = heading;
      return;
    }
    if (table === undefined || /^-+$/.test(c[0]!)) return;
    out.push({ table, line: i + 1, cells: c });
  });
  return out;
}

describe('docs/compliance.md', () => {
  const all = rows();

  test('has the RFC 6733, RFC 3539, RFC 4006, TS 32.299 and TS 32.298 tables', () => {
    const tables = new Set(all.map((r) => r.table));
    for (const t of ['RFC 6733', 'RFC 3539', 'RFC 4006', 'TS 32.299', 'TS 32.298']) {
      assert.ok(
        [...tables].some((name) => name.includes(t)),
        `no table under a heading naming ${t}`,
      );
    }
    assert.ok(
      all.filter((r) => r.table.includes('RFC 6733')).length >= 100,
      'the RFC 6733 table looks truncated',
    );
  });

  test('every row has five cells and a known status; partial and not-done rows say why', () => {
    for (const r of all) {
      const where = `line ${r.line}`;
      assert.equal(r.cells.length, 5, `${where}: expected 5 cells (section, title, status, where, notes)`);
      const [section, title, status, , notes] = r.cells as [string, string, string, string, string];
      assert.ok(section && title, `${where}: section and title are required`);
      assert.ok(
        STATUSES.has(status),
        `${where}: status "${status}" is not one of ${[...STATUSES].join(' / ')}`,
      );
      if (status === 'partial' || status === 'not done')
        assert.ok(notes.length > 0, `${where}: a ${status} row needs a note saying why`);
    }
  });

  test('a section appears once per table', () => {
    const seen = new Map<string, number>();
    for (const r of all) {
      const key = `${r.table}\u0000${r.cells[0]}`;
      assert.ok(
        !seen.has(key),
        `line ${r.line}: section ${r.cells[0]} already listed at line ${seen.get(key)}`,
      );
      seen.set(key, r.line);
    }
  });

  test('every file named in the Where column exists under src/', () => {
    for (const r of all) {
      for (const m of r.cells[3]!.matchAll(/`([^`]+)`/g)) {
        const file = join(ROOT, 'src', m[1]!);
        assert.ok(existsSync(file), `line ${r.line}: src/${m[1]} does not exist`);
      }
      if (r.cells[2] === 'done')
        assert.ok(/`[^`]+`/.test(r.cells[3]!), `line ${r.line}: a done row should say where`);
    }
  });
});
