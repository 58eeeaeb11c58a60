/**
 * diamkit's own dictionary format, in JSON or YAML (the same structure): vendors, applications, AVPs
 * with enumerations and grouped grammars, commands with request/answer grammars. docs/dictionary-format.md
 * documents it with an example. Grammars are lists of CCF rules, RFC 6733 §3.2 (base-protocol.md §5):
 * `"< Session-Id >"`, `"{ Origin-Host }"`, `"1*3 { Subscription-Id }"`, `"*[ AVP ]"`.
 *
 * Every error names the file, the line when known, and the field (`avps[2].type`), so a user can fix the
 * file without guessing. Names used in a file (vendors, applications, AVPs in grammars) must be defined in
 * the same file or in what was loaded before it.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { DiameterError } from '../codec/errors.js';
import type { DataType } from '../codec/types.js';
import type { Dictionary } from './dictionary.js';
import { ANY_AVP, grammar as parseCcf } from './grammar.js';
import type { ApplicationDef, AvpDef, CommandDef, DictionaryData, Grammar, VendorDef } from './types.js';

const DATA_TYPES = [
  'OctetString',
  'Integer32',
  'Integer64',
  'Unsigned32',
  'Unsigned64',
  'Float32',
  'Float64',
  'Grouped',
  'Address',
  'Time',
  'UTF8String',
  'DiameterIdentity',
  'DiameterURI',
  'Enumerated',
  'IPFilterRule',
] as const satisfies readonly DataType[];

const u32 = z.number().int().min(0).max(0xffffffff);
/** AVP and command names appear inside CCF rules, so they keep to the characters CCF names use. */
const diameterName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a name of letters, digits, "-", "_" and "." (no spaces)');
const label = z.string().trim().min(1, 'must not be empty');
/** A vendor or application by number, or by the name it was given. */
const reference = z.union([u32, label]);
const flagRule = z.enum(['must', 'may', 'mustnot']);
const ccfList = z.array(z.string());

const vendorSchema = z.strictObject({ id: u32, name: label });

const applicationSchema = z.strictObject({
  id: u32,
  name: label,
  kind: z.enum(['auth', 'acct', 'both']).optional(),
});

const avpSchema = z.strictObject({
  name: diameterName,
  code: u32,
  vendor: reference.optional(),
  type: z.enum(DATA_TYPES),
  mandatory: flagRule.optional(),
  protected: flagRule.optional(),
  /** NAME: value, for Enumerated (an Integer32, RFC 6733 §4.3.1) or names for Integer32/Unsigned32 values. */
  enums: z.record(label, z.number().int().min(-0x80000000).max(0xffffffff)).optional(),
  grammar: ccfList.optional(),
  description: z.string().optional(),
});

const commandSchema = z.strictObject({
  name: diameterName,
  /** RFC 6733 §3: Command Code is 24 bits. */
  code: z.number().int().min(0).max(0xffffff),
  request: diameterName,
  answer: diameterName,
  application: reference.optional(),
  proxiable: z.boolean().optional(),
  requestGrammar: ccfList.optional(),
  answerGrammar: ccfList.optional(),
  description: z.string().optional(),
});

/** The whole file. Exported so a JSON Schema for editors can be made with `z.toJSONSchema`. */
export const userDictionarySchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  vendors: z.array(vendorSchema).optional(),
  applications: z.array(applicationSchema).optional(),
  avps: z.array(avpSchema).optional(),
  commands: z.array(commandSchema).optional(),
});

export type UserDictionary = z.infer<typeof userDictionarySchema>;

type Path = readonly PropertyKey[];

/** One problem in a file: where (field path) and what. */
interface Issue {
  path: Path;
  message: string;
}

export type UserFormat = 'json' | 'yaml';

/**
 * Parses and checks a dictionary in our format. `known` is the dictionary it will be added to: names
 * the file refers to may come from there.
 */
export function parseUserDictionary(
  text: string,
  file: string,
  format: UserFormat,
  known?: Dictionary,
): DictionaryData {
  const { value, doc, lines } = readText(text, file, format);
  const located = (issues: Issue[]): DiameterError => {
    const shown = issues.slice(0, 10).map((i) => {
      const line = doc && lines ? lineOf(doc, lines, i.path) : undefined;
      return `${file}${line !== undefined ? `:${line}` : ''}: ${fieldName(i.path)}: ${i.message}`;
    });
    const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
    return new DiameterError('DICTIONARY_BAD_FILE', shown.join('; ') + more);
  };

  const parsed = userDictionarySchema.safeParse(value ?? {});
  if (!parsed.success) {
    throw located(
      parsed.error.issues.flatMap((i) => {
        // One issue per misspelt field, located at the field itself.
        if (i.code === 'unrecognized_keys')
          return i.keys.map((k) => ({ path: [...i.path, k], message: 'unknown field' }));
        const got = valueAt(value, i.path);
        const shown = got === undefined || typeof got === 'object' ? '' : ` (got ${JSON.stringify(got)})`;
        return { path: i.path, message: i.message + shown };
      }),
    );
  }
  const issues: Issue[] = [];
  const data = build(parsed.data, file, known, issues);
  if (issues.length > 0) throw located(issues);
  return data;
}

/** Reads and parses a file in our format (JSON or YAML by `format`). */
export function readUserDictionary(path: string, format: UserFormat, known?: Dictionary): DictionaryData {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DiameterError(
      'DICTIONARY_BAD_FILE',
      `${path}: cannot read: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return parseUserDictionary(text, path, format, known);
}

// ---------------------------------------------------------------------------------------------------

function readText(
  text: string,
  file: string,
  format: UserFormat,
): { value: unknown; doc?: Document; lines?: LineCounter } {
  const lines = new LineCounter();
  // The YAML reader gives line numbers for the field paths; JSON is YAML 1.2, so it serves both when it
  // accepts the text.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (format === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const pos = /position (\d+)/.exec(msg);
      const where = pos ? `:${lines.linePos(Number(pos[1])).line}` : '';
      throw new DiameterError('DICTIONARY_BAD_FILE', `${file}${where}: not valid JSON: ${msg}`);
    }
    return doc.errors.length === 0 ? { value, doc, lines } : { value };
  }
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const { line, col } = lines.linePos(err.pos[0]);
    throw new DiameterError(
      'DICTIONARY_BAD_FILE',
      `${file}:${line}:${col}: not valid YAML: ${err.message.split('\n')[0]}`,
    );
  }
  return { value: doc.toJS({ maxAliasCount: 100 }), doc, lines };
}

/** The line of the deepest node on `path` that exists in the document (a missing key → its object). */
function lineOf(doc: Document, lines: LineCounter, path: Path): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as
      { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** ["avps", 2, "enums", "ON"] → "avps[2].enums.ON" */
function fieldName(path: Path): string {
  if (path.length === 0) return '(top level)';
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : `${s ? '.' : ''}${String(p)}`;
  return s;
}

// ---------------------------------------------------------------------------------------------------
// Checked data → dictionary data.
// ---------------------------------------------------------------------------------------------------

function build(
  u: UserDictionary,
  file: string,
  known: Dictionary | undefined,
  issues: Issue[],
): DictionaryData {
  const problem = (path: Path, message: string) => issues.push({ path, message });

  // Vendors: by id and by name, this file's first, then the ones the loaded dictionary knows.
  const vendors: VendorDef[] = [];
  const vendorByName = new Map<string, number>();
  const vendorIndex = new Map<number, number>();
  (u.vendors ?? []).forEach((v, i) => {
    const first = vendorIndex.get(v.id);
    if (first !== undefined)
      problem(['vendors', i, 'id'], `vendor ${v.id} is already defined at vendors[${first}]`);
    vendorIndex.set(v.id, i);
    vendorByName.set(v.name.toLowerCase(), v.id);
    vendors.push({ id: v.id, name: v.name, source: file });
  });
  let knownVendors: Map<string, number> | undefined;
  const knownVendorByName = (name: string): number | undefined => {
    if (!known) return undefined;
    if (!knownVendors) {
      // The Dictionary has no vendor index by name; the vendors it knows are those of its AVPs and id 0.
      knownVendors = new Map();
      for (const id of new Set([0, ...[...known.allAvps()].map((a) => a.vendorId)])) {
        const v = known.vendor(id);
        if (v) knownVendors.set(v.name.toLowerCase(), id);
      }
    }
    return knownVendors.get(name.toLowerCase());
  };
  const vendorOf = (ref: number | string | undefined, path: Path): number => {
    if (ref === undefined) return 0;
    if (typeof ref === 'number') return ref;
    const id = vendorByName.get(ref.toLowerCase()) ?? knownVendorByName(ref);
    if (id === undefined)
      problem(path, `unknown vendor "${ref}" (give its number, or define it under vendors)`);
    return id ?? 0;
  };

  const applications: ApplicationDef[] = [];
  const appIndex = new Map<number, number>();
  (u.applications ?? []).forEach((a, i) => {
    const first = appIndex.get(a.id);
    if (first !== undefined)
      problem(['applications', i, 'id'], `application ${a.id} is already defined at applications[${first}]`);
    appIndex.set(a.id, i);
    applications.push({ id: a.id, name: a.name, kind: a.kind ?? 'auth', source: file });
  });
  const applicationOf = (ref: number | string | undefined, path: Path): number => {
    if (ref === undefined) return 0;
    if (typeof ref === 'number') return ref;
    const own = applications.find((a) => a.name.toLowerCase() === ref.toLowerCase());
    const id = own?.id ?? known?.applicationByName(ref)?.id;
    if (id === undefined)
      problem(path, `unknown application "${ref}" (give its id, or define it under applications)`);
    return id ?? 0;
  };

  // AVPs: the numbers first, so grammars can name AVPs defined later in the same file.
  const avpKeyIndex = new Map<string, number>();
  const avpNameIndex = new Map<string, number>();
  const avpList = u.avps ?? [];
  const vendorIds = avpList.map((a, i) => vendorOf(a.vendor, ['avps', i, 'vendor']));
  avpList.forEach((a, i) => {
    const key = `${a.code}/${vendorIds[i]}`;
    const byKey = avpKeyIndex.get(key);
    if (byKey !== undefined) problem(['avps', i, 'code'], `AVP ${key} is already defined at avps[${byKey}]`);
    avpKeyIndex.set(key, i);
    const byName = avpNameIndex.get(a.name.toLowerCase());
    if (byName !== undefined)
      problem(['avps', i, 'name'], `AVP ${a.name} is already defined at avps[${byName}]`);
    avpNameIndex.set(a.name.toLowerCase(), i);
  });
  const avpName = (name: string): string | undefined => {
    if (name === 'AVP' || name === ANY_AVP) return ANY_AVP;
    const i = avpNameIndex.get(name.toLowerCase());
    return i !== undefined ? avpList[i]!.name : known?.avpByName(name)?.name;
  };
  const grammarOf = (rules: string[], path: Path): Grammar => readGrammar(rules, path, avpName, problem);

  const avps: AvpDef[] = avpList.map((a, i) => {
    const path = ['avps', i];
    const vendorId = vendorIds[i]!;
    // Redefining a loaded AVP (to add enum values, say) keeps what the file leaves out.
    const prev = known?.avp(a.code, vendorId);
    const def: AvpDef = {
      name: a.name,
      code: a.code,
      vendorId,
      type: a.type,
      mandatory: a.mandatory ?? prev?.mandatory ?? 'may',
      source: file,
    };
    const prot = a.protected ?? prev?.protected;
    if (prot !== undefined) def.protected = prot;
    if (a.enums !== undefined) {
      const range = ENUM_RANGES[a.type];
      if (!range)
        problem(
          [...path, 'enums'],
          `only Enumerated, Integer32 and Unsigned32 AVPs have enums (this one is ${a.type})`,
        );
      const map = new Map<number, string>();
      for (const [name, value] of Object.entries(a.enums)) {
        const other = map.get(value);
        if (other !== undefined)
          problem([...path, 'enums', name], `value ${value} is already given to ${other}`);
        if (range && (value < range[0] || value > range[1]))
          problem([...path, 'enums', name], `${value} is not a ${a.type} value (${range[0]}..${range[1]})`);
        map.set(value, name);
      }
      def.enums = map;
    }
    if (a.grammar !== undefined) {
      if (a.type !== 'Grouped')
        problem([...path, 'grammar'], `only a Grouped AVP has a grammar (this one is ${a.type})`);
      def.grammar = grammarOf(a.grammar, [...path, 'grammar']);
    } else if (a.type === 'Grouped' && !prev?.grammar) {
      def.grammar = anyAvp();
    }
    return def;
  });

  const commands: CommandDef[] = [];
  const cmdKeyIndex = new Map<string, number>();
  const cmdNameIndex = new Map<string, [number, string]>();
  (u.commands ?? []).forEach((c, i) => {
    const path = ['commands', i];
    const applicationId = applicationOf(c.application, [...path, 'application']);
    const key = `${c.code}/${applicationId}`;
    const first = cmdKeyIndex.get(key);
    if (first !== undefined)
      problem(
        [...path, 'code'],
        `command ${c.code} of application ${applicationId} is already defined at commands[${first}]`,
      );
    cmdKeyIndex.set(key, i);
    for (const field of ['name', 'request', 'answer'] as const) {
      const lower = c[field].toLowerCase();
      const taken = cmdNameIndex.get(lower);
      if (taken)
        problem([...path, field], `${c[field]} is already used by commands[${taken[0]}].${taken[1]}`);
      cmdNameIndex.set(lower, [i, field]);
    }
    const prev = known?.command(c.code, applicationId);
    const same = prev && prev.applicationId === applicationId ? prev : undefined;
    commands.push({
      code: c.code,
      name: c.name,
      requestAbbrev: c.request,
      answerAbbrev: c.answer,
      applicationId,
      // RFC 6733 §3: application requests are proxiable unless the application says otherwise.
      proxiable: c.proxiable ?? same?.proxiable ?? true,
      request: c.requestGrammar
        ? grammarOf(c.requestGrammar, [...path, 'requestGrammar'])
        : (same?.request ?? anyAvp()),
      answer: c.answerGrammar
        ? grammarOf(c.answerGrammar, [...path, 'answerGrammar'])
        : (same?.answer ?? anyAvp()),
      source: file,
    });
  });

  return { vendors, applications, avps, commands };
}

/** The value ranges of the types that may name their values (RFC 6733 §4.2, §4.3.1). */
const ENUM_RANGES: Partial<Record<DataType, [number, number]>> = {
  Enumerated: [-0x80000000, 0x7fffffff],
  Integer32: [-0x80000000, 0x7fffffff],
  Unsigned32: [0, 0xffffffff],
};

/** A grammar that allows any AVP: what an AVP or command without a grammar in the file gets. */
function anyAvp(): Grammar {
  return { fixed: [], required: [], optional: [{ avp: ANY_AVP, min: 0, max: Infinity }] };
}

/** One CCF rule per list item (RFC 6733 §3.2), each naming a known AVP or `AVP` (any other). */
function readGrammar(
  rules: string[],
  path: Path,
  avpName: (name: string) => string | undefined,
  problem: (path: Path, message: string) => void,
): Grammar {
  const out: Grammar = { fixed: [], required: [], optional: [] };
  const seen = new Map<string, number>();
  rules.forEach((text, j) => {
    const where = [...path, j];
    let one: Grammar;
    try {
      one = parseCcf(text);
    } catch (e) {
      problem(
        where,
        e instanceof DiameterError ? e.message.replace(/^DICTIONARY_BAD_FILE: /, '') : String(e),
      );
      return;
    }
    for (const kind of ['fixed', 'required', 'optional'] as const) {
      for (const rule of one[kind]) {
        const name = avpName(rule.avp);
        if (name === undefined) {
          problem(
            where,
            `unknown AVP ${rule.avp} (define it under avps, or load a dictionary that has it first)`,
          );
          continue;
        }
        const first = seen.get(name.toLowerCase());
        if (first !== undefined)
          problem(where, `${rule.avp} already appears at ${fieldName([...path, first])}`);
        seen.set(name.toLowerCase(), j);
        out[kind].push({ ...rule, avp: name });
      }
    }
    if (one.fixed.length + one.required.length + one.optional.length === 0)
      problem(where, 'not a grammar rule');
  });
  return out;
}
