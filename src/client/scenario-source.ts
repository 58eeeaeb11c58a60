/**
 * A scenario file as text with positions (scenario.ts): its YAML document with the line of every path
 * into it, the error that reports a mistake as `FILE:LINE: where: what`, and the checks of single values
 * (keys, whole numbers, durations, scalars) that report through it.
 */
import { relative } from 'node:path';
import YAML from 'yaml';

export class ScenarioError extends Error {}

export type Path = (string | number)[];

/** A YAML document with line numbers for paths into it. */
export class Source {
  readonly doc: YAML.Document.Parsed;
  private readonly lines = new YAML.LineCounter();
  constructor(
    readonly file: string,
    text: string,
  ) {
    this.doc = YAML.parseDocument(text, { lineCounter: this.lines });
    const err = this.doc.errors[0];
    if (err) {
      const line = err.linePos?.[0].line ?? 1;
      // The usual slip: `{ n: ${seq} }` — in YAML's flow style a plain value cannot hold "{".
      const hint = /\$\{/.test(text.split('\n')[line - 1] ?? '')
        ? ` (inside { } or [ ], quote a value holding \${…}: '\${seq}')`
        : '';
      throw new ScenarioError(
        `${file}:${line}: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}${hint}`,
      );
    }
  }
  /** The line of the node at `path`, or of its nearest parent that exists. */
  line(path: Path): number {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return this.lines.linePos(node.range[0]).line;
    }
    return 1;
  }
  at(path: Path): string {
    return `${this.file}:${this.line(path)}`;
  }
  fail(path: Path, message: string): never {
    throw new ScenarioError(`${this.at(path)}: ${pathText(path)}${path.length ? ': ' : ''}${message}`);
  }
}

export function pathText(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p)).join('');
}

/** A path as a person would type it from here: relative to the working directory when inside it. */
export function shownPath(full: string): string {
  const r = relative(process.cwd(), full);
  return r && !r.startsWith('..') ? r : full;
}

export type Obj = Record<string, unknown>;
export function isObj(v: unknown): v is Obj {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

export function onlyKeys(src: Source, path: Path, o: Obj, keys: readonly string[]): void {
  for (const k of Object.keys(o))
    if (!keys.includes(k)) src.fail([...path, k], `unknown key (expected one of ${keys.join(', ')})`);
}

export function wholeNumber(src: Source, path: Path, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    src.fail(path, `expected a whole number ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v;
}

/** 500 (ms), "500ms", "2s", "1.5s", "1m". */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n;
}

export function duration(src: Source, path: Path, v: unknown, max: number): number {
  const ms = parseDuration(v);
  if (ms === undefined || ms > max)
    src.fail(
      path,
      `expected a duration such as 500ms, 2s or 1m (at most ${max / 1000} s), got ${JSON.stringify(v)}`,
    );
  return ms;
}

export function scalarText(src: Source, path: Path, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return src.fail(path, 'expected a string or number');
}
