/**
 * Loader for Wireshark's Diameter dictionary format (`diameter/dictionary.xml` and the vendor files it
 * includes through external entities), so users can bring the vendor dictionaries they already have.
 *
 * The format (Wireshark's `dictionary.dtd`): a `<dictionary>` holding `<base>`, `<application id>`
 * and `<vendor vendor-id code name>` elements; inside them `<command name code>`,
 * `<typedefn type-name type-parent>` and `<avp name code vendor-id mandatory protected>` with one
 * `<type type-name>` or `<grouped><gavp name/>…</grouped>` and any number of `<enum name code>`.
 * The main file declares `<!ENTITY X SYSTEM "X.xml">` in its DOCTYPE and writes `&X;` where the
 * fragment goes; fragments have no root element.
 *
 * Wireshark's dictionary describes how to *display* AVPs, not what a message must contain: it has no
 * command grammars, no occurrence counts in grouped AVPs, and it contains duplicates. So:
 * - within one Wireshark dictionary a later definition replaces an earlier one, with a warning;
 * - against the dictionary already loaded (built-in, earlier files), a definition with the same name
 *   and number is the same thing and merges (the earlier definition is kept, only new enum values are
 *   added); a different name for the same number, or the same name for another number, is a conflict
 *   naming both files, reported as a warning with the loaded definition kept (or thrown as
 *   DICTIONARY_CONFLICT, by choice: see WiresharkConflictPolicy);
 * - commands and grouped AVPs get permissive grammars (`*[ AVP ]`), since Wireshark gives none.
 *
 * Parsing is here; merging into the dictionary already loaded is in wireshark-merge.ts.
 */
import type { DataType } from '../codec/types.js';
import type { Dictionary } from './dictionary.js';
import type {
  ApplicationDef,
  AvpDef,
  CommandDef,
  DictionaryData,
  FlagRule,
  Grammar,
  VendorDef,
} from './types.js';
import { readXmlWithEntities, type XmlElement } from './xml-reader.js';

export { mergeWiresharkData, type MergeCounts, type WiresharkConflictPolicy } from './wireshark-merge.js';
export { readXmlWithEntities, type XmlElement } from './xml-reader.js';

// ---------------------------------------------------------------------------------------------------
// From elements to dictionary data.
// ---------------------------------------------------------------------------------------------------

/**
 * Wireshark type names that are ours under another spelling, checked before any typedefn chain:
 * Wireshark declares IPAddress and QoSFilterRule as OctetString children for display purposes,
 * while IPAddress is the RFC 6733 §4.3.1 Address format. QoSFilterRule (RFC 3588 §4.3) has no
 * DataType of its own here, so its bytes stay OctetString.
 */
const TYPE_NAMES: Record<string, DataType> = {
  OctetString: 'OctetString',
  Integer32: 'Integer32',
  Integer64: 'Integer64',
  Unsigned32: 'Unsigned32',
  Unsigned64: 'Unsigned64',
  Float32: 'Float32',
  Float64: 'Float64',
  Grouped: 'Grouped',
  Address: 'Address',
  IPAddress: 'Address',
  Time: 'Time',
  UTF8String: 'UTF8String',
  DiameterIdentity: 'DiameterIdentity',
  DiameterURI: 'DiameterURI',
  Enumerated: 'Enumerated',
  IPFilterRule: 'IPFilterRule',
  QoSFilterRule: 'OctetString',
  AppId: 'Unsigned32',
  VendorId: 'Unsigned32',
};

/** Wireshark's four-valued flag rules onto ours; "should not" is not set when we encode, like "may". */
const FLAG_RULES: Record<string, FlagRule> = {
  must: 'must',
  may: 'may',
  mustnot: 'mustnot',
  shouldnot: 'may',
};

/** A grammar that allows any AVP: what Wireshark's missing grammars and gavp lists amount to. */
export function permissiveGrammar(named: string[] = []): Grammar {
  return {
    fixed: [],
    required: [],
    optional: [...named.map((avp) => ({ avp, min: 0, max: Infinity })), { avp: '*', min: 0, max: Infinity }],
  };
}

export interface WiresharkParseResult {
  data: Required<DictionaryData>;
  /** Duplicates replaced, unknown types defaulted, references that could not be resolved. */
  warnings: string[];
}

interface Where {
  file: string;
  line: number;
}

const at = (w: Where) => `${w.file}:${w.line}`;

/**
 * Parses a Wireshark dictionary (the main `dictionary.xml`, or one vendor fragment on its own) into
 * dictionary data. `known` resolves grouped-AVP member names that the file itself does not define.
 */
export function parseWiresharkDictionary(path: string, known?: Dictionary): WiresharkParseResult {
  const elements = readXmlWithEntities(path);
  const warnings: string[] = [];

  // Pass 1: vendor symbols and typedefns, which may be declared after (or in another file than) the AVPs
  // that use them.
  const vendorCodes = new Map<string, number>();
  const vendors = new Map<number, VendorDef & Where>();
  const typedefns = new Map<string, { parent?: string } & Where>();
  walk(elements, (el) => {
    if (el.name === 'vendor') {
      const sym = attr(el, 'vendor-id');
      const code = parseNumber(attr(el, 'code'));
      if (sym === undefined || code === undefined) {
        warnings.push(`${at(el)}: <vendor> without a usable vendor-id and code, ignored`);
        return;
      }
      const prev = vendorCodes.get(sym);
      if (prev !== undefined && prev !== code)
        warnings.push(`${at(el)}: vendor ${sym} redefined as ${code} (was ${prev})`);
      vendorCodes.set(sym, code);
      // Vendor 0 is the IETF ("None" in Wireshark), not a vendor to register.
      if (code !== 0)
        vendors.set(code, { id: code, name: attr(el, 'name') ?? sym, source: el.file, ...whereOf(el) });
    } else if (el.name === 'typedefn') {
      const name = attr(el, 'type-name');
      if (name !== undefined) typedefns.set(name, { parent: attr(el, 'type-parent'), ...whereOf(el) });
    }
  });

  const unknownTypes = new Set<string>();
  const resolveType = (name: string, where: Where): DataType => {
    const seen = new Set<string>();
    for (let n: string | undefined = name; n !== undefined && !seen.has(n); n = typedefns.get(n)?.parent) {
      const t = TYPE_NAMES[n];
      if (t) return t;
      seen.add(n);
    }
    if (!unknownTypes.has(name)) {
      unknownTypes.add(name);
      warnings.push(`${at(where)}: type ${name} does not resolve to a Diameter data type, using OctetString`);
    }
    return 'OctetString';
  };

  const resolveVendor = (sym: string | undefined): number | undefined => {
    if (sym === undefined) return 0;
    return vendorCodes.get(sym) ?? parseNumber(sym);
  };

  // Pass 2: applications, commands and AVPs, in document order so later duplicates replace earlier ones.
  const applications = new Map<number, ApplicationDef & Where>();
  const commands = new Map<string, CommandDef & Where>();
  const avpsByKey = new Map<string, { def: AvpDef; members?: string[] } & Where>();

  const visit = (els: XmlElement[], applicationId: number, vendorSym: string | undefined) => {
    for (const el of els) {
      switch (el.name) {
        case 'dictionary':
        case 'base':
          visit(el.children, 0, undefined);
          break;
        case 'application': {
          const id = parseNumber(attr(el, 'id'));
          if (id === undefined) {
            warnings.push(`${at(el)}: <application> without a usable id, ignored`);
            break;
          }
          const old = applications.get(id);
          const name = attr(el, 'name') ?? `Application ${id}`;
          if (old && old.name !== name)
            warnings.push(`${at(el)}: application ${id} ${name} replaces ${old.name} (${at(old)})`);
          // Wireshark does not say auth or acct. Of the ids RFC 6733 §2.4 assigns, 3 is base accounting and
          // 0xffffffff relay; anything else is taken as an auth application, the common case.
          const kind = id === 3 ? 'acct' : id === 0xffffffff ? 'both' : 'auth';
          applications.set(id, { id, name, kind, source: el.file, ...whereOf(el) });
          visit(el.children, id, undefined);
          break;
        }
        case 'vendor':
          visit(el.children, applicationId, attr(el, 'vendor-id'));
          break;
        case 'command': {
          const name = attr(el, 'name');
          const code = parseNumber(attr(el, 'code'));
          if (name === undefined || code === undefined) {
            warnings.push(`${at(el)}: <command> without a usable name and code, ignored`);
            break;
          }
          const key = `${code}/${applicationId}`;
          const old = commands.get(key);
          if (old) warnings.push(`${at(el)}: command ${code} ${name} replaces ${old.name} (${at(old)})`);
          commands.set(key, {
            code,
            name,
            // Wireshark gives no abbreviations; the long RFC-style names are unambiguous.
            requestAbbrev: `${name}-Request`,
            answerAbbrev: `${name}-Answer`,
            applicationId,
            // RFC 6733 §5.3.1/§5.4.1/§5.5.1: CER, DPR and DWR are never proxied; application commands are.
            proxiable: !BASE_HOP_BY_HOP.has(code),
            request: permissiveGrammar(),
            answer: permissiveGrammar(),
            source: el.file,
            ...whereOf(el),
          });
          break;
        }
        case 'avp':
          addAvp(el, vendorSym);
          break;
        case 'typedefn':
          break;
        default:
          visit(el.children, applicationId, vendorSym);
      }
    }
  };

  const addAvp = (el: XmlElement, enclosingVendor: string | undefined) => {
    const name = attr(el, 'name');
    const code = parseNumber(attr(el, 'code'));
    if (name === undefined || code === undefined) {
      warnings.push(`${at(el)}: <avp> without a usable name and code, ignored`);
      return;
    }
    // An AVP inside <vendor> without its own vendor-id belongs to that vendor.
    const vendorSym = attr(el, 'vendor-id') ?? enclosingVendor;
    const vendorId = resolveVendor(vendorSym);
    if (vendorId === undefined) {
      warnings.push(`${at(el)}: AVP ${name} ignored: vendor-id ${vendorSym} is not declared by any <vendor>`);
      return;
    }
    const typeEl = el.children.find((c) => c.name === 'type');
    const groupedEl = el.children.find((c) => c.name === 'grouped');
    const typeName = typeEl && attr(typeEl, 'type-name');
    let type: DataType;
    if (groupedEl) type = 'Grouped';
    else if (typeEl && typeName !== undefined) type = resolveType(typeName, typeEl);
    else {
      warnings.push(`${at(el)}: AVP ${name} has no type, using OctetString`);
      type = 'OctetString';
    }
    const enums = new Map<number, string>();
    for (const e of el.children) {
      if (e.name !== 'enum') continue;
      const value = parseNumber(attr(e, 'code'), true);
      const enumName = attr(e, 'name');
      if (enumName === undefined || value === undefined) {
        warnings.push(`${at(e)}: <enum> without a usable name and code, ignored`);
        continue;
      }
      enums.set(value, enumName);
    }
    const mandatory = flagRule(attr(el, 'mandatory'), el, warnings);
    const prot = flagRule(attr(el, 'protected'), el, warnings);
    const def: AvpDef = {
      name,
      code,
      vendorId,
      type,
      mandatory,
      protected: prot,
      source: el.file,
      ...(enums.size > 0 ? { enums } : {}),
    };
    const key = `${code}/${vendorId}`;
    const old = avpsByKey.get(key);
    if (old) warnings.push(`${at(el)}: AVP ${key} ${name} replaces ${old.def.name} (${at(old)})`);
    const members = groupedEl?.children.filter((c) => c.name === 'gavp').map((c) => attr(c, 'name') ?? '');
    avpsByKey.set(key, { def, members, ...whereOf(el) });
  };

  visit(elements, 0, undefined);

  // One name, one AVP: when a name was given to two numbers, the later one keeps it.
  const byName = new Map<string, { def: AvpDef; members?: string[] } & Where>();
  for (const entry of avpsByKey.values()) {
    const lower = entry.def.name.toLowerCase();
    const old = byName.get(lower);
    if (old) {
      warnings.push(
        `${at(entry)}: AVP name ${entry.def.name} (${entry.def.code}/${entry.def.vendorId}) replaces ` +
          `${old.def.code}/${old.def.vendorId} (${at(old)})`,
      );
    }
    byName.set(lower, entry);
  }
  // Document order of the survivors.
  const survivors = [...avpsByKey.values()].filter((e) => byName.get(e.def.name.toLowerCase()) === e);

  // Grouped member names, resolved against this file and the dictionary already loaded.
  const canonicalName = (n: string) => byName.get(n.toLowerCase())?.def.name ?? known?.avpByName(n)?.name;
  const avps = survivors.map(({ def, members, file, line }) => {
    if (def.type !== 'Grouped') return def;
    const names: string[] = [];
    for (const m of members ?? []) {
      const canonical = canonicalName(m);
      if (canonical === undefined)
        warnings.push(`${file}:${line}: ${def.name} lists unknown AVP ${m}, left out`);
      else if (!names.includes(canonical)) names.push(canonical);
    }
    return { ...def, grammar: permissiveGrammar(names) };
  });

  return {
    data: {
      vendors: [...vendors.values()].map(stripWhere),
      applications: [...applications.values()].map(stripWhere),
      avps,
      commands: [...commands.values()].map(stripWhere),
    },
    warnings,
  };
}

/** CER (257), DWR (280), DPR (282): hop-by-hop only. */
const BASE_HOP_BY_HOP = new Set([257, 280, 282]);

/** Attribute values with the stray spaces Wireshark's files have in places (`name="BSSID "`) removed. */
function attr(el: XmlElement, key: string): string | undefined {
  const v = el.attrs[key]?.trim();
  return v ? v : undefined;
}

function whereOf(el: XmlElement): Where {
  return { file: el.file, line: el.line };
}

function stripWhere<T extends Where>(x: T): Omit<T, 'file' | 'line'> {
  const { file: _f, line: _l, ...rest } = x;
  return rest;
}

function walk(els: XmlElement[], f: (el: XmlElement) => void): void {
  for (const el of els) {
    f(el);
    walk(el.children, f);
  }
}

/** Decimal or 0x-hex; enum codes may be negative (Enumerated is Integer32, RFC 6733 §4.3.1). */
function parseNumber(s: string | undefined, signed = false): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  const ok = signed ? /^-?(?:\d+|0x[0-9a-f]+)$/i : /^(?:\d+|0x[0-9a-f]+)$/i;
  if (!ok.test(t)) return undefined;
  const n = t.startsWith('-') ? -Number(t.slice(1)) : Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

function flagRule(value: string | undefined, where: Where, warnings: string[]): FlagRule {
  if (value === undefined) return 'may'; // the DTD default
  const rule = FLAG_RULES[value];
  if (rule) return rule;
  warnings.push(`${at(where)}: flag rule "${value}" is not must/may/mustnot/shouldnot, using may`);
  return 'may';
}
