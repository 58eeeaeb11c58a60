/**
 * The JSON/YAML form of a message (docs/message-format.md): what the CLI, scenarios and logs use.
 * It round-trips with the binary form: decode → toJson → fromJson → encode gives the same octets.
 *
 *   command: ACR | Accounting | 271      application: 3 | <name>      flags: "RP"
 *   hopByHop: "0x4a5b0003"               endToEnd: "0x7f000003"
 *   avps:
 *     - Session-Id: "ctf.example.com;1;1"                      short form: dictionary flags
 *     - { name: Product-Name, flags: "", value: "x" }           long form: flags differ from the dictionary
 *     - { code: 9999, vendor: 10415, flags: "VM", hex: "0102" } unknown AVP
 */
import { DATA_CODECS } from '../codec/data-types.js';
import { decodeUtf8 } from '../codec/data-types.js';
import { DiameterError } from '../codec/errors.js';
import { isoTimeSeconds } from '../codec/iso-time.js';
import { AVP_M, AVP_P, AVP_V, FLAG_E, FLAG_P, FLAG_R, FLAG_T, type Avp, type AvpValue, type DataType, type Message } from '../codec/types.js';
import { parseDiameterUri } from '../codec/uri.js';
import { Writer } from '../codec/writer.js';
import type { Dictionary } from './dictionary.js';
import type { AvpDef } from './types.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

export interface MessageJson {
  command: string | number;
  application?: string | number;
  flags?: string | number;
  hopByHop?: string | number;
  endToEnd?: string | number;
  avps: AvpJson[];
}

/** `{Name: value}` (short) or `{name|code, vendor?, flags?, value|hex|avps}` (long). */
export type AvpJson = { [k: string]: JsonValue };

const CMD_FLAG_LETTERS: [number, string][] = [
  [FLAG_R, 'R'],
  [FLAG_P, 'P'],
  [FLAG_E, 'E'],
  [FLAG_T, 'T'],
];
const AVP_FLAG_LETTERS: [number, string][] = [
  [AVP_V, 'V'],
  [AVP_M, 'M'],
  [AVP_P, 'P'],
];

function flagsToText(flags: number, letters: [number, string][], known: number): string | number {
  if ((flags & ~known & 0xff) !== 0) return flags;
  return letters.map(([bit, l]) => (flags & bit ? l : '')).join('');
}

function flagsFromText(v: JsonValue | undefined, letters: [number, string][], where: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') throw form(`${where}: flags must be letters or a number`);
  let f = 0;
  for (const ch of v.toUpperCase()) {
    if (ch === ' ' || ch === '-' || ch === ',') continue;
    const e = letters.find(([, l]) => l === ch);
    if (!e) throw form(`${where}: unknown flag "${ch}" (expected ${letters.map((x) => x[1]).join('/')})`);
    f |= e[0];
  }
  return f;
}

function form(msg: string): DiameterError {
  return new DiameterError('BAD_MESSAGE_FORM', msg);
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

function parseId(v: JsonValue | undefined, where: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw form(`${where}: expected a 32-bit id, got ${JSON.stringify(v)}`);
  return n;
}

/** The flags we set when encoding an AVP of this definition (RFC 6733 §4.1: V iff vendor; M per rule). */
export function defaultAvpFlags(def: AvpDef): number {
  return (def.vendorId ? AVP_V : 0) | (def.mandatory === 'must' ? AVP_M : 0);
}

// ---------------------------------------------------------------------------------------------------
// binary → JSON

const PRINTABLE = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/u;

function octetsToJson(d: Uint8Array): JsonValue {
  const b = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  try {
    const s = decodeUtf8(b);
    if (PRINTABLE.test(s)) return s;
  } catch {
    /* not UTF-8: hex below */
  }
  return { hex: b.toString('hex') };
}

function valueToJson(def: AvpDef | undefined, type: DataType, v: AvpValue, data: Uint8Array | undefined): JsonValue {
  switch (type) {
    case 'OctetString':
      return octetsToJson(v as Uint8Array);
    case 'Integer64':
    case 'Unsigned64':
      return (v as bigint).toString();
    case 'Float32':
    case 'Float64':
      return Number.isFinite(v as number) ? (v as number) : String(v);
    case 'Enumerated': {
      const name = def?.enums?.get(v as number);
      return name ?? (v as number);
    }
    case 'Time':
      return isoTimeSeconds((v as Date).getTime());
    case 'Address':
      if (typeof v === 'string') return v;
      return { family: (v as { family: number }).family, hex: Buffer.from((v as { bytes: Uint8Array }).bytes).toString('hex') };
    case 'DiameterURI':
      return (v as { text: string }).text;
    case 'Integer32':
    case 'Unsigned32':
    case 'UTF8String':
    case 'DiameterIdentity':
    case 'IPFilterRule':
      return v as string | number;
    case 'Grouped':
      return data ? { hex: Buffer.from(data).toString('hex') } : null;
  }
}

export function avpToJson(avp: Avp, dict: Dictionary): AvpJson {
  const def = dict.avp(avp.code, avp.vendorId);
  let body: JsonValue;
  let valueKey = 'value';
  if (def && def.type !== 'Grouped' && avp.value === undefined && avp.data !== undefined) {
    // A raw AVP of a known type (pre-encoded, or decoded without a dictionary): read its value now.
    try {
      avp = { ...avp, value: DATA_CODECS[def.type].decode(Buffer.from(avp.data.buffer, avp.data.byteOffset, avp.data.byteLength)) };
    } catch {
      /* stays hex below */
    }
  }
  if (!def || (avp.avps === undefined && avp.value === undefined)) {
    valueKey = 'hex';
    body = Buffer.from(avp.data ?? new Uint8Array(0)).toString('hex');
  } else if (def.type === 'Grouped') {
    body = (avp.avps ?? []).map((c) => avpToJson(c, dict));
  } else {
    body = valueToJson(def, def.type, avp.value!, avp.data);
  }
  if (def && valueKey === 'value' && avp.flags === defaultAvpFlags(def)) return { [def.name]: body };
  const out: AvpJson = def ? { name: def.name } : { code: avp.code };
  if (!def && avp.vendorId) out.vendor = avp.vendorId;
  out.flags = flagsToText(avp.flags, AVP_FLAG_LETTERS, AVP_V | AVP_M | AVP_P);
  out[def?.type === 'Grouped' && valueKey === 'value' ? 'avps' : valueKey] = body;
  return out;
}

/**
 * The JSON text of an AVP list in the JSON form: the same text as
 * `JSON.stringify(avps.map((a) => avpToJson(a, dict)))`, written straight from the decoded AVPs without
 * the intermediate objects (avpsToJsonTextByName, its by-name view left aside).
 */
export function avpsToJsonText(avps: readonly Avp[], dict: Dictionary): string {
  return avpsToJsonTextByName(avps, dict, {});
}

/** The quoted JSON key of each definition's name, made once. */
const QUOTED_NAMES = new WeakMap<AvpDef, string>();

function quotedName(def: AvpDef): string {
  let q = QUOTED_NAMES.get(def);
  if (q === undefined) {
    q = JSON.stringify(def.name);
    QUOTED_NAMES.set(def, q);
  }
  return q;
}

/**
 * Whether avpToJson writes this AVP from its decoded form alone: a Grouped AVP with its children, or a
 * typed value. Anything else (unknown, raw bytes of a known type, a Grouped AVP without children) goes
 * through avpToJson itself, so the two can never disagree.
 */
function plainDecoded(avp: Avp, def: AvpDef): boolean {
  return def.type === 'Grouped' ? avp.avps !== undefined : avp.value !== undefined;
}

/** AVPs by name, each name with every value in order, a Grouped AVP's children by name in turn. */
export type JsonByName = { [name: string]: (JsonValue | JsonByName)[] };

/**
 * The JSON text of an AVP list (avpsToJsonText) and, in the same walk, the AVPs by name into `byName`
 * (what the CDF's namedFromAvps gives): each value is put in the JSON form once for both. The CDF writes
 * each CDR's raw AVPs this way, where building the JSON form's object tree and then serialising it had
 * cost more than everything else a STOP does; and it reads the same ACR by name for the CDR's fields.
 */
export function avpsToJsonTextByName(avps: readonly Avp[], dict: Dictionary, byName: JsonByName): string {
  let out = '[';
  for (let i = 0; i < avps.length; i++) {
    if (i > 0) out += ',';
    const avp = avps[i]!;
    const def = dict.avp(avp.code, avp.vendorId);
    let body: string | undefined;
    if (def !== undefined && plainDecoded(avp, def)) {
      if (def.type === 'Grouped') {
        const children: JsonByName = {};
        body = avpsToJsonTextByName(avp.avps!, dict, children);
        (byName[def.name] ??= []).push(children);
      } else {
        const value = valueToJson(def, def.type, avp.value!, avp.data);
        if (value !== undefined) {
          body = JSON.stringify(value);
          (byName[def.name] ??= []).push(value);
        }
      }
    }
    if (body === undefined) {
      // Unknown, raw bytes of a known type, a Grouped AVP without children, a value of a form valueToJson
      // does not read (a built message's URI as a plain string): as avpToJson writes them.
      const j = avpToJson(avp, dict);
      out += JSON.stringify(j);
      const e = entryOf(avp, def, j);
      (byName[e.name] ??= []).push(e.value as JsonValue);
    } else if (avp.flags === defaultAvpFlags(def!)) {
      out += `{${quotedName(def!)}:${body}}`;
    } else {
      const flags = JSON.stringify(flagsToText(avp.flags, AVP_FLAG_LETTERS, AVP_V | AVP_M | AVP_P));
      out += `{"name":${quotedName(def!)},"flags":${flags},${def!.type === 'Grouped' ? '"avps"' : '"value"'}:${body}}`;
    }
  }
  return out + ']';
}

/**
 * One AVP's value as avpToJson writes it, for readers that index AVPs by name (the CDR builder):
 * `grouped` is set, and `value` undefined, when the AVP is a Grouped AVP given with its children.
 */
export function avpJsonValue(avp: Avp, dict: Dictionary): { name: string; value: JsonValue | undefined; grouped: boolean } {
  const def = dict.avp(avp.code, avp.vendorId);
  if (def !== undefined && plainDecoded(avp, def)) {
    if (def.type === 'Grouped') return { name: def.name, value: undefined, grouped: true };
    const value = valueToJson(def, def.type, avp.value!, avp.data);
    if (value !== undefined) return { name: def.name, value, grouped: false };
  }
  return { ...entryOf(avp, def, avpToJson(avp, dict)), grouped: false };
}

/** The name and value a reader by name sees of an AVP, from its JSON form `j` (avpToJson's). */
function entryOf(avp: Avp, def: AvpDef | undefined, j: AvpJson): { name: string; value: JsonValue | undefined } {
  if (def === undefined) return { name: `${avp.code}${j.vendor ? `:${String(j.vendor)}` : ''}`, value: j.hex ?? null };
  return { name: def.name, value: typeof j.name === 'string' ? (j.avps ?? j.value ?? j.hex ?? null) : j[def.name]! };
}

export function messageToJson(m: Message, dict: Dictionary): MessageJson {
  const cmd = dict.command(m.commandCode, m.applicationId);
  const isRequest = (m.flags & FLAG_R) !== 0;
  const app = dict.application(m.applicationId);
  return {
    command: cmd ? (isRequest ? cmd.requestAbbrev : cmd.answerAbbrev) : m.commandCode,
    application: app ? app.id : m.applicationId,
    flags: flagsToText(m.flags, CMD_FLAG_LETTERS, FLAG_R | FLAG_P | FLAG_E | FLAG_T),
    hopByHop: hex32(m.hopByHopId),
    endToEnd: hex32(m.endToEndId),
    avps: m.avps.map((a) => avpToJson(a, dict)),
  };
}

// ---------------------------------------------------------------------------------------------------
// JSON → binary-ready Message

function valueFromJson(def: AvpDef, v: JsonValue, where: string): AvpValue {
  const t = def.type;
  const fail = (expected: string): never => {
    throw form(`${where}: ${def.name} is ${t}; expected ${expected}, got ${JSON.stringify(v)}`);
  };
  switch (t) {
    case 'OctetString':
      if (typeof v === 'string') return Buffer.from(v, 'utf8');
      if (v && typeof v === 'object' && !Array.isArray(v) && typeof v.hex === 'string') return hexBytes(v.hex, where);
      return fail('a string or {hex: "..."}');
    case 'Integer32':
    case 'Unsigned32':
      if (typeof v === 'number') return v;
      if (typeof v === 'string' && /^-?(\d+|0x[0-9a-f]+)$/i.test(v)) return Number(v);
      return fail('a number');
    case 'Integer64':
    case 'Unsigned64':
      if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
      if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
      return fail('a decimal string');
    case 'Float32':
    case 'Float64':
      if (typeof v === 'number') return v;
      if (typeof v === 'string' && !Number.isNaN(Number(v))) return Number(v);
      if (v === 'NaN') return NaN;
      return fail('a number');
    case 'Enumerated': {
      if (typeof v === 'number') return v;
      if (typeof v === 'string') {
        if (/^-?\d+$/.test(v)) return Number(v);
        if (def.enums) for (const [n, name] of def.enums) if (name === v) return n;
        const known = def.enums ? [...def.enums.values()].slice(0, 12).join(', ') : 'none';
        throw form(`${where}: ${def.name} has no value named "${v}" (known: ${known})`);
      }
      return fail('an enum name or number');
    }
    case 'Time': {
      if (typeof v === 'string') {
        const d = new Date(v);
        if (!Number.isNaN(d.getTime())) return d;
      }
      return fail('an ISO 8601 time');
    }
    case 'Address':
      if (typeof v === 'string') return v;
      if (v && typeof v === 'object' && !Array.isArray(v) && typeof v.family === 'number' && typeof v.hex === 'string')
        return { family: v.family, bytes: hexBytes(v.hex, where) };
      return fail('an IP address or {family, hex}');
    case 'DiameterURI': {
      if (typeof v !== 'string') return fail('an aaa:// or aaas:// URI');
      const u = parseDiameterUri(v);
      if (!u) return fail('an aaa:// or aaas:// URI');
      return u;
    }
    case 'UTF8String':
    case 'DiameterIdentity':
    case 'IPFilterRule':
      if (typeof v === 'string') return v;
      if (typeof v === 'number') return String(v);
      return fail('a string');
    case 'Grouped':
      return fail('a list of AVPs');
  }
}

function hexBytes(h: string, where: string): Buffer {
  const clean = h.replace(/\s+/g, '').replace(/^0x/i, '');
  if (!/^([0-9a-f]{2})*$/i.test(clean)) throw form(`${where}: "${h}" is not hex`);
  return Buffer.from(clean, 'hex');
}

const LONG_KEYS = new Set(['name', 'code', 'vendor', 'flags', 'value', 'hex', 'avps']);

export function avpFromJson(j: AvpJson, dict: Dictionary, where = 'avps'): Avp {
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw form(`${where}: expected an AVP object`);
  const keys = Object.keys(j);
  const isLong = keys.some((k) => k === 'name' || k === 'code') && keys.every((k) => LONG_KEYS.has(k));
  let def: AvpDef | undefined;
  let value: JsonValue | undefined;
  let flags: number | undefined;
  let code: number;
  let vendorId: number;
  let hex: string | undefined;
  if (isLong) {
    if (typeof j.name === 'string') {
      def = dict.avpByName(j.name);
      if (!def) throw new DiameterError('UNKNOWN_NAME', `${where}: unknown AVP "${j.name}"`);
    } else if (typeof j.code === 'number') {
      def = dict.avp(j.code, typeof j.vendor === 'number' ? j.vendor : 0);
    } else throw form(`${where}: "code" must be a number`);
    code = def ? def.code : (j.code as number);
    vendorId = def ? def.vendorId : typeof j.vendor === 'number' ? j.vendor : 0;
    flags = flagsFromText(j.flags, AVP_FLAG_LETTERS, where);
    if (typeof j.hex === 'string') hex = j.hex;
    value = j.avps !== undefined ? j.avps : j.value;
    where = `${where}/${def ? def.name : code}`;
  } else {
    if (keys.length !== 1) throw form(`${where}: an AVP is {Name: value} (got keys ${keys.join(', ')})`);
    const name = keys[0]!;
    def = dict.avpByName(name);
    if (!def) throw new DiameterError('UNKNOWN_NAME', `${where}: unknown AVP "${name}"`);
    code = def.code;
    vendorId = def.vendorId;
    value = j[name];
    where = `${where}/${def.name}`;
  }
  const f = (flags ?? (def ? defaultAvpFlags(def) : vendorId ? AVP_V : 0)) | (vendorId ? AVP_V : 0);
  if (hex !== undefined) return { code, vendorId, flags: f, data: hexBytes(hex, where) };
  if (!def) throw form(`${where}: unknown AVP ${code} needs "hex"`);
  if (value === undefined) throw form(`${where}: missing value`);
  if (def.type === 'Grouped') {
    if (!Array.isArray(value)) throw form(`${where}: ${def.name} is Grouped; expected a list of AVPs`);
    return {
      code,
      vendorId,
      flags: f,
      type: 'Grouped',
      avps: value.map((c, i) => avpFromJson(c as AvpJson, dict, `${where}[${i}]`)),
    };
  }
  const v = valueFromJson(def, value, where);
  // Encode eagerly so a bad value is reported here, with its path, not at send time.
  try {
    DATA_CODECS[def.type].encode(new Writer(64), v);
  } catch (e) {
    if (e instanceof DiameterError) throw new DiameterError(e.code, `${where}: ${e.message.replace(/^[A-Z_]+: /, '')}`);
    throw e;
  }
  return { code, vendorId, flags: f, type: def.type, value: v };
}

export function messageFromJson(j: MessageJson, dict: Dictionary): Message {
  if (!j || typeof j !== 'object') throw form('message: expected an object');
  if (!Array.isArray(j.avps)) throw form('message: "avps" must be a list');
  let commandCode: number;
  let flags = flagsFromText(j.flags ?? null, CMD_FLAG_LETTERS, 'flags');
  let applicationId = 0;
  if (typeof j.command === 'number') commandCode = j.command;
  else if (typeof j.command === 'string' && /^\d+$/.test(j.command)) commandCode = Number(j.command);
  else if (typeof j.command === 'string') {
    const cmd = dict.commandByName(j.command);
    if (!cmd) throw new DiameterError('UNKNOWN_NAME', `command: unknown command "${j.command}"`);
    commandCode = cmd.code;
    applicationId = cmd.applicationId;
    if (flags === undefined) {
      const isAnswer = cmd.answerAbbrev.toLowerCase() === j.command.toLowerCase();
      flags = (isAnswer ? 0 : FLAG_R) | (cmd.proxiable ? FLAG_P : 0);
    }
  } else throw form('command: expected a name, an abbreviation or a code');
  if (j.application !== undefined) {
    if (typeof j.application === 'number') applicationId = j.application;
    else {
      const app = dict.applicationByName(String(j.application));
      const n = Number(j.application);
      if (app) applicationId = app.id;
      else if (Number.isInteger(n)) applicationId = n;
      else throw new DiameterError('UNKNOWN_NAME', `application: unknown application "${j.application}"`);
    }
  }
  return {
    version: 1,
    flags: flags ?? FLAG_R,
    commandCode,
    applicationId,
    hopByHopId: parseId(j.hopByHop, 'hopByHop') ?? 0,
    endToEndId: parseId(j.endToEnd, 'endToEnd') ?? 0,
    avps: j.avps.map((a, i) => avpFromJson(a, dict, `avps[${i}]`)),
  };
}
