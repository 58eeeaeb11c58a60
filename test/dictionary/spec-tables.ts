/**
 * Reads the facts the dictionary tests compare against straight out of the shared spec (base-protocol.md,
 * accounting-rf.md): Markdown table rows of a section, and the CCF grammars of its code blocks. The
 * expected values therefore come from the spec text, never from the dictionary under test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { specDir } from '../helpers/vectors.js';

export function specText(file: 'base-protocol.md' | 'accounting-rf.md'): string {
  return readFileSync(join(specDir(), file), 'utf8');
}

/** The lines from the heading that starts with `heading` up to the next heading of the same or higher level. */
export function section(text: string, heading: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(heading));
  if (start < 0) throw new Error(`no heading "${heading}" in the spec`);
  const level = /^#+/.exec(lines[start]!)![0].length;
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => {
    const m = /^(#+) /.exec(l);
    return m !== null && m[1]!.length <= level;
  });
  return end < 0 ? rest : rest.slice(0, end);
}

/** The data rows of every Markdown table in `lines` (header and separator rows dropped), as cell arrays. */
export function tableRows(lines: string[]): string[][] {
  const rows: string[][] = [];
  let inTable = false;
  for (const line of lines) {
    if (!line.startsWith('|')) {
      inTable = false;
      continue;
    }
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (!inTable) {
      inTable = true; // the header row
      continue;
    }
    if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
    rows.push(cells);
  }
  return rows;
}

/**
 * The CCF definitions inside the code blocks of `lines`, by name ("CER", "answer-message",
 * "Service-Information"): the definition line and its rule lines, up to a blank line or the next definition.
 */
export function ccfBlocks(lines: string[]): Map<string, string> {
  const out = new Map<string, string>();
  let inCode = false;
  let name: string | undefined;
  let body: string[] = [];
  const flush = (): void => {
    if (name) out.set(name, body.join('\n'));
    name = undefined;
    body = [];
  };
  for (const line of lines) {
    if (line.startsWith('```')) {
      flush();
      inCode = !inCode;
      continue;
    }
    if (!inCode) continue;
    const def = /^\s*<?([A-Za-z0-9-]+)>?\s*::=/.exec(line);
    if (def) {
      flush();
      name = def[1]!;
      body = [line];
    } else if (line.trim() === '') flush();
    else if (name) body.push(line);
  }
  flush();
  return out;
}

/**
 * "0 REBOOTING, 1 BUSY (note, 2 X), 2 DO_NOT…" → [[0, 'REBOOTING'], …]: parenthesised notes are dropped
 * first, then the list is split before each number.
 */
export function enumPairs(text: string): [number, string][] {
  const clean = text.replace(/\([^()]*\)/g, ' ');
  const out: [number, string][] = [];
  for (const item of clean.split(/,\s*(?=-?\d+\s)/)) {
    const m = /^\s*(-?\d+)\s+(.+?)\s*$/.exec(item);
    if (m) out.push([Number(m[1]), m[2]!.replace(/\s+/g, ' ')]);
  }
  return out;
}
