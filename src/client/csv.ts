/**
 * CSV files that feed scenario variables (`${csv.COLUMN}`): RFC 4180 — comma-separated fields, a field
 * in double quotes may hold commas, line breaks and doubled quotes; lines end in CRLF or LF. The first
 * record names the columns. Written here because it is twenty lines and the scenario runner needs line
 * numbers in its errors.
 */
import { readFileSync } from 'node:fs';

export interface CsvTable {
  file: string;
  columns: string[];
  rows: Record<string, string>[];
}

export class CsvError extends Error {}

/** Splits CSV text into records of fields; each record keeps the line it starts on. */
export function parseCsvRecords(text: string, file: string): { line: number; fields: string[] }[] {
  const out: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let atFieldStart = true;
  const endField = () => {
    fields.push(field);
    field = '';
    atFieldStart = true;
  };
  const endRecord = () => {
    endField();
    // A blank line is no record (a trailing newline, or spacing a person left).
    if (!(fields.length === 1 && fields[0] === '')) out.push({ line: recordLine, fields });
    fields = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && atFieldStart) {
      quoted = true;
      atFieldStart = false;
    } else if (c === ',') endField();
    else if (c === '\r' && text[i + 1] === '\n') continue;
    else if (c === '\n') {
      endRecord();
      line++;
      recordLine = line;
    } else {
      if (c === '"')
        throw new CsvError(
          `${file}:${line}: a quote inside an unquoted field (RFC 4180: quote the whole field)`,
        );
      field += c;
      atFieldStart = false;
    }
  }
  if (quoted) throw new CsvError(`${file}:${recordLine}: a quoted field is not closed`);
  if (field !== '' || fields.length) endRecord();
  return out;
}

/** Reads a CSV file with a header row; every row must have as many fields as the header. */
export function readCsv(path: string, shownAs = path): CsvTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CsvError(`${shownAs}: cannot read: ${(e as Error).message}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records = parseCsvRecords(text, shownAs);
  if (records.length === 0) throw new CsvError(`${shownAs}: empty (the first line names the columns)`);
  const header = records[0]!;
  const columns = header.fields.map((c) => c.trim());
  for (const [i, c] of columns.entries()) {
    if (!/^[A-Za-z_][\w-]*$/.test(c))
      throw new CsvError(
        `${shownAs}:${header.line}: column ${i + 1} "${c}" is not a name (letters, digits, _ and -)`,
      );
    if (columns.indexOf(c) !== i)
      throw new CsvError(`${shownAs}:${header.line}: column "${c}" appears twice`);
  }
  const rows = records.slice(1).map((r) => {
    if (r.fields.length !== columns.length)
      throw new CsvError(`${shownAs}:${r.line}: ${r.fields.length} fields, the header has ${columns.length}`);
    return Object.fromEntries(columns.map((c, i) => [c, r.fields[i]!]));
  });
  if (rows.length === 0) throw new CsvError(`${shownAs}: no rows after the header`);
  return { file: shownAs, columns, rows };
}
