/**
 * Reading diamkit.yaml: YAML → schema (schema.ts) → checks that need the dictionary or the file system
 * (rules compile, dictionaries load, TLS files exist). Every problem names the file, the line, the field
 * and what was expected, as one line: `diamkit.yaml:12: timers.watchdog: expected seconds >= 6 …, got 3`.
 * Lines come from the YAML node ranges (yaml's LineCounter), so they point at the key the user wrote.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import type { z } from 'zod';
import { DiameterError } from '../codec/errors.js';
import { builtinDictionary } from '../dictionary/builtin.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { loadDictionaries } from '../dictionary/load.js';
import { RuleEngine, RuleError } from '../node/rules.js';
import { configSchema, expectedOf, type DiamkitConfig } from './schema.js';

export type FieldPath = (string | number)[];

export interface ConfigProblem {
  file: string;
  /** 1-based. */
  line: number;
  /** "timers.watchdog", "rules[0].match.avp.Service-Information/…"; empty for the whole file. */
  field: string;
  message: string;
}

/** One line: `file:line: field: message`. */
export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}

/**
 * A config file that cannot be used: `problems` in line order. `summary` is the one line the CLI prints:
 * the first problem, and how many more there are.
 */
export class ConfigError extends DiameterError {
  readonly summary: string;
  constructor(readonly problems: ConfigProblem[]) {
    const more =
      problems.length > 1
        ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})`
        : '';
    const summary = `${formatProblem(problems[0]!)}${more}`;
    super('CONFIG_INVALID', summary);
    this.name = 'ConfigError';
    this.summary = summary;
  }
}

export interface LoadOptions {
  /** Dictionaries given on the command line, loaded after the file's own (rules may use their names). */
  extraDictionaries?: string[];
}

export interface LoadedConfig {
  /** The file as named by the caller. */
  file: string;
  /** Validated; file paths inside it are resolved against the file's directory. */
  config: DiamkitConfig;
  /** Built-in dictionary plus the file's and the extra dictionaries. */
  dictionary: Dictionary;
}

/** Reads, parses and validates a config file. Throws ConfigError. */
export function loadConfigFile(file: string, opts: LoadOptions = {}): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([
      {
        file,
        line: 1,
        field: '',
        message: `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      },
    ]);
  }
  return parseConfig(text, file, opts);
}

/** Validates config text; `file` names it in errors and anchors relative paths. Throws ConfigError. */
export function parseConfig(text: string, file: string, opts: LoadOptions = {}): LoadedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const problems: ConfigProblem[] = [];
  const at = (path: FieldPath, message: string) =>
    problems.push({ file, line: lineOf(doc, lines, path), field: fieldName(path), message });

  for (const err of doc.errors) {
    const line = err.linePos?.[0]?.line ?? lines.linePos(err.pos[0]).line;
    problems.push({ file, line, field: '', message: `YAML: ${err.message.split('\n')[0]}` });
  }
  if (problems.length) throw new ConfigError(sorted(problems));

  const js: unknown = doc.toJS() ?? {};
  const parsed = configSchema.safeParse(js);
  if (!parsed.success) {
    const seen = new Set<string>();
    for (const issue of parsed.error.issues) {
      for (const { path, message } of describeIssue(issue, js)) {
        const k = `${path.join('\u0000')}\u0001${message}`;
        if (seen.has(k)) continue;
        seen.add(k);
        at(path, message);
      }
    }
    throw new ConfigError(sorted(problems));
  }
  const config = resolvePaths(parsed.data, dirname(file));

  // Dictionaries first: the rules may name AVPs they define.
  const dictionary = builtinDictionary();
  for (const [i, d] of (config.dictionaries ?? []).entries()) {
    try {
      loadDictionaries([d], dictionary);
    } catch (e) {
      at(['dictionaries', i], `cannot load dictionary: ${(e as Error).message}`);
    }
  }
  if (opts.extraDictionaries?.length) loadDictionaries(opts.extraDictionaries, dictionary);
  for (const [i, l] of (config.listeners ?? []).entries()) {
    if (l.transport !== 'tls') continue;
    for (const k of ['cert', 'key', 'ca'] as const)
      if (l[k] !== undefined && !existsSync(l[k])) at(['listeners', i, k], `no such file: ${l[k]}`);
  }
  for (const [i, p] of (config.peers?.connect ?? []).entries()) {
    if (!p.tls) continue;
    for (const k of ['cert', 'key', 'ca'] as const)
      if (p.tls[k] !== undefined && !existsSync(p.tls[k]))
        at(['peers', 'connect', i, 'tls', k], `no such file: ${p.tls[k]}`);
  }
  // Each rule is compiled the way the node will: names resolved, values read as their AVP's type.
  const engine = new RuleEngine({ dictionary });
  for (const [i, r] of (config.rules ?? []).entries()) {
    try {
      engine.add(r);
    } catch (e) {
      if (!(e instanceof RuleError)) throw e;
      at(['rules', i, ...e.field], e.detail);
    }
  }
  if (problems.length) throw new ConfigError(sorted(problems));
  return { file, config, dictionary };
}

// -----------------------------------------------------------------------------------------------------
// zod issues → problems

interface Described {
  path: FieldPath;
  message: string;
}

function describeIssue(issue: z.core.$ZodIssue, js: unknown): Described[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(walk(configSchema, path, js));
    return issue.keys.map((key) => {
      const near =
        known.find((k) => k.toLowerCase() === key.toLowerCase()) ?? known.find((k) => distance(k, key) <= 2);
      const hint = near
        ? ` (did you mean ${near}?)`
        : known.length
          ? ` (expected one of: ${known.join(', ')})`
          : '';
      return { path: [...path, key], message: `unknown key${hint}` };
    });
  }
  if (issue.code === 'custom') return [{ path, message: issue.message }];
  const value = valueAt(js, path);
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    const options = ('options' in issue ? (issue.options as unknown[]) : []).map(String);
    const expected = `expected ${options.join(' or ')}`;
    return [
      { path, message: value === undefined ? `missing: ${expected}` : `${expected}, got ${show(value)}` },
    ];
  }
  const schema = walk(configSchema, path, js);
  const expected = (schema && expectedHere(schema)) ?? zodExpected(issue);
  if (value === undefined) return [{ path, message: `required field missing: expected ${expected}` }];
  return [{ path, message: `expected ${expected}, got ${show(value)}` }];
}

/** Zod's own wording, when the schema node carries none of ours. */
function zodExpected(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return issue.expected;
  if (issue.code === 'too_small')
    return `${issue.origin === 'array' ? 'at least' : '>='} ${String(issue.minimum)}${issue.origin === 'array' ? ' item(s)' : ''}`;
  if (issue.code === 'too_big') return `<= ${String(issue.maximum)}`;
  if (issue.code === 'invalid_value') return issue.values.map((v) => JSON.stringify(v)).join(' or ');
  return issue.message.replace(/^Invalid input: expected /, '');
}

type AnySchema = z.ZodType;
interface Def {
  type: string;
  innerType?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  options?: AnySchema[];
  valueType?: AnySchema;
  in?: AnySchema;
  values?: unknown[];
}
const defOf = (s: AnySchema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The recorded wording on `s` or on what it wraps (optional, default, …). */
function expectedHere(s: AnySchema): string | undefined {
  for (let cur: AnySchema | undefined = s; cur; cur = defOf(cur).innerType ?? defOf(cur).in) {
    const e = expectedOf(cur);
    if (e) return e;
  }
  return undefined;
}

function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  for (;;) {
    const d = defOf(cur);
    const next = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
    if (!next) return cur;
    cur = next;
  }
}

/**
 * The schema node at `path`, following the data where a union must choose (the listener whose
 * transport matches, the object form of a value that may also be a list). The outermost node found
 * is returned with its wrappers, so its recorded wording is kept.
 */
function walk(root: AnySchema, path: FieldPath, js: unknown): AnySchema | undefined {
  let s: AnySchema | undefined = root;
  let value = js;
  for (const seg of path) {
    if (!s) return undefined;
    s = child(unwrap(s), seg, value);
    value =
      value !== null && typeof value === 'object'
        ? (value as Record<string | number, unknown>)[seg]
        : undefined;
  }
  return s;
}

function child(s: AnySchema, seg: string | number, value: unknown): AnySchema | undefined {
  const d = defOf(s);
  switch (d.type) {
    case 'object':
      return d.shape?.[seg];
    case 'array':
      return typeof seg === 'number' ? d.element : undefined;
    case 'record':
      return d.valueType;
    case 'union': {
      const candidates = (d.options ?? []).map(unwrap).filter((o) => {
        const od = defOf(o);
        return typeof seg === 'number'
          ? od.type === 'array'
          : od.type === 'object' && od.shape?.[seg] !== undefined;
      });
      // Discriminated unions: the option whose literal fields equal the data's.
      const fitting = candidates.find((o) =>
        Object.entries(defOf(o).shape ?? {}).every(([k, f]) => {
          const fd = defOf(unwrap(f));
          return (
            fd.type !== 'literal' ||
            (value !== null &&
              typeof value === 'object' &&
              fd.values?.includes((value as Record<string, unknown>)[k]))
          );
        }),
      );
      const o = fitting ?? candidates[0];
      return o ? child(o, seg, value) : undefined;
    }
    default:
      return undefined;
  }
}

function knownKeys(s: AnySchema | undefined): string[] {
  if (!s) return [];
  const d = defOf(unwrap(s));
  if (d.type === 'object') return Object.keys(d.shape ?? {});
  if (d.type === 'union') return [...new Set((d.options ?? []).flatMap((o) => knownKeys(o)))];
  return [];
}

function valueAt(js: unknown, path: FieldPath): unknown {
  let v = js;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function show(v: unknown): string {
  if (v === null) return 'null (an empty value)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[n]!;
}

// -----------------------------------------------------------------------------------------------------
// where in the file

/**
 * The line of `path` in the document: the line of its key (or list item). A path that does not exist
 * (a missing field) gives the line of the deepest part that does — the mapping that lacks the key.
 */
function lineOf(doc: Document, lines: LineCounter, path: FieldPath): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
      if (!pair) break;
      offset = rangeStart(pair.key) ?? rangeStart(pair.value) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else break;
  }
  return lines.linePos(offset).line;
}

function keyText(k: unknown): string | undefined {
  if (isScalar(k)) return String(k.value);
  return undefined;
}

function rangeStart(n: unknown): number | undefined {
  const r = (n as YamlNode | null | undefined)?.range;
  return r ? r[0] : undefined;
}

function fieldName(path: FieldPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

function sorted(p: ConfigProblem[]): ConfigProblem[] {
  return p
    .map((x, i) => [x, i] as const)
    .sort((a, b) => a[0].line - b[0].line || a[1] - b[1])
    .map(([x]) => x);
}

// -----------------------------------------------------------------------------------------------------
// relative paths

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** File paths in the config are relative to the config file (not to the working directory). */
function resolvePaths(c: DiamkitConfig, dir: string): DiamkitConfig {
  const p = (f: string) => (isAbsolute(f) ? f : resolve(dir, f));
  const opt = (f: string | undefined) => (f === undefined ? undefined : p(f));
  return {
    ...c,
    store: c.store === undefined || URL_LIKE.test(c.store) || c.store === ':memory:' ? c.store : p(c.store),
    dictionaries: c.dictionaries?.map(p),
    listeners: c.listeners?.map((l) =>
      l.transport === 'tls' ? { ...l, cert: p(l.cert), key: p(l.key), ca: opt(l.ca) } : l,
    ),
    peers: c.peers && {
      ...c.peers,
      connect: c.peers.connect?.map((t) =>
        t.tls ? { ...t, tls: { ...t.tls, cert: p(t.tls.cert), key: p(t.tls.key), ca: opt(t.tls.ca) } } : t,
      ),
    },
  };
}
