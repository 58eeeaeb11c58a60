/** Plain-text tables as the CLI prints them, and the form of a time in one of their cells. */

/** Columns padded to their widest cell; the last column is not padded. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** ISO 8601 UTC, without the milliseconds when they are zero; '' for no time. */
export const isoCell = (d: Date | undefined): string => (d ? d.toISOString().replace('.000Z', 'Z') : '');
