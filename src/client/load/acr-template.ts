/**
 * ACR templates, pre-encoded once per record kind and per connection, then copied and patched in place
 * for every request: the hot path never encodes a message (DESIGN.md, performance habits). The
 * placeholders and their sentinels are in template-placeholders.ts.
 *
 * A template is a message in our JSON/YAML form (docs/message-format.md). String values may hold
 * placeholders, filled in when the template is compiled:
 *
 *   ${session}           the Session-Id of the session: <Origin-Host>;<start seconds>;<10-digit number>
 *   ${sessionNumber}     that 10-digit number alone (e.g. an IMSI "00101${sessionNumber}")
 *   ${originHost} ${originRealm} ${destinationRealm}   the connection's identity and the target realm
 *   ${now} ${epoch}      the time the template was compiled (ISO 8601 / seconds since 1970)
 *   ${sent}              in a Time AVP: when the record is sent (e.g. Stop-Time, Change-Time)
 *   ${sessionStart}      in a Time AVP: when the session started (e.g. PS-Information's Start-Time)
 *   ${sinceLast}         in an Unsigned32 AVP: whole seconds since the session's previous record (Time-Usage)
 *   $${                  a literal "${"
 *
 * The session number is the only part that changes from session to session. It has a fixed width, so
 * each occurrence is written over the same ten octets of the pre-encoded bytes and no length changes.
 * The generator also owns, and patches per request: the Hop-by-Hop and End-to-End ids (RFC 6733 §3),
 * Accounting-Record-Number (RFC 6733 §9.8.3: START 0, INTERIM 1…n, STOP n+1) and a top-level
 * Event-Timestamp (§8.21: when the record was sent). Accounting-Record-Type (§9.8.1) is fixed per
 * record kind. A template without Session-Id, Origin-Host, Origin-Realm or Destination-Realm (required
 * by the ACR grammar, RFC 6733 §9.7.1) gets them added.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { DiameterError } from '../../codec/errors.js';
import { encodeMessage } from '../../codec/message.js';
import { AVP_M, AVP_V, FLAG_R, HEADER_LENGTH, type Avp } from '../../codec/types.js';
import { Cmd, Code } from '../../dictionary/codes.js';
import type { Dictionary } from '../../dictionary/dictionary.js';
import {
  messageFromJson,
  type AvpJson,
  type JsonValue,
  type MessageJson,
} from '../../dictionary/message-format.js';
import { BUILTIN_TEMPLATES } from './builtin-templates.js';
import {
  SESSION_NUMBER_DIGITS,
  TemplateError,
  locatePlaced,
  newPlaced,
  sessionIdToPatch,
  sessionPrefix,
  substitute,
} from './template-placeholders.js';

export { NTP_OFFSET, SESSION_NUMBER_DIGITS, TemplateError, sessionPrefix } from './template-placeholders.js';

export type RecordKind = 'start' | 'interim' | 'stop' | 'event';
export const RECORD_KINDS: readonly RecordKind[] = ['start', 'interim', 'stop', 'event'];

/** RFC 6733 §9.8.1 Accounting-Record-Type. */
export const RECORD_TYPE: Record<RecordKind, number> = { event: 1, start: 2, interim: 3, stop: 4 };

/** Where the messages come from: a built-in name or a file, already read (plain data, postable). */
export interface TemplateSource {
  /** "ims", "pgw" or the file's path: for the report. */
  name: string;
  /** One message for every kind (`default`), and/or one per record kind. */
  messages: Partial<Record<RecordKind | 'default', MessageJson>>;
}

export interface TemplateVars {
  originHost: string;
  originRealm: string;
  destinationRealm: string;
  destinationHost?: string;
  /** The high part of every Session-Id (RFC 6733 §8.8): seconds since 1970 at the start of the run. */
  sessionHigh: number;
}

/** One pre-encoded ACR and the offsets patched per request. */
export interface CompiledAcr {
  readonly kind: RecordKind;
  readonly bytes: Buffer;
  /** Each occurrence of the 10-digit session number. */
  readonly numberOffsets: readonly number[];
  /** The Unsigned32 value of Accounting-Record-Number. */
  readonly recordNumberOffset: number;
  /** The Time value of a top-level Event-Timestamp, or -1. */
  readonly timestampOffset: number;
  /** The Time values written from ${sent}: the send time, as Event-Timestamp. */
  readonly sentOffsets: readonly number[];
  /** The Time values written from ${sessionStart}. */
  readonly sessionStartOffsets: readonly number[];
  /** The Unsigned32 values written from ${sinceLast}. */
  readonly sinceLastOffsets: readonly number[];
}

export type CompiledTemplates = Record<RecordKind, CompiledAcr>;

/** A template named on the command line: "ims", "pgw", or a JSON/YAML file. */
export function loadTemplate(spec: string): TemplateSource {
  const builtin = BUILTIN_TEMPLATES[spec];
  if (builtin) return { name: spec, messages: structuredClone(builtin) };
  let text: string;
  try {
    text = readFileSync(spec, 'utf8');
  } catch (e) {
    throw new TemplateError(
      `--template: "${spec}" is neither a built-in template (${Object.keys(BUILTIN_TEMPLATES).join(', ')}) nor a readable file (${(e as Error).message})`,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new TemplateError(`${spec}: not JSON or YAML: ${(e as Error).message}`);
  }
  return { name: spec, messages: templateMessages(doc, spec) };
}

/** A file holds one message (`command`/`avps` at the top) or a map of record kinds to messages. */
export function templateMessages(doc: unknown, where: string): TemplateSource['messages'] {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new TemplateError(`${where}: expected a message or a map of start/interim/stop/event messages`);
  const o = doc as Record<string, unknown>;
  if ('avps' in o || 'command' in o) return { default: o as unknown as MessageJson };
  const out: TemplateSource['messages'] = {};
  for (const [k, v] of Object.entries(o)) {
    if (!(RECORD_KINDS as readonly string[]).includes(k) && k !== 'default') {
      throw new TemplateError(
        `${where}: unknown key "${k}" (expected a message, or keys ${[...RECORD_KINDS, 'default'].join(', ')})`,
      );
    }
    if (!v || typeof v !== 'object' || !Array.isArray((v as MessageJson).avps))
      throw new TemplateError(`${where}: ${k}: expected a message with "avps"`);
    out[k as RecordKind] = v as MessageJson;
  }
  if (Object.keys(out).length === 0) throw new TemplateError(`${where}: no message`);
  return out;
}

/** The message for a kind: its own, else `default`, else `start`, else any. */
function messageFor(src: TemplateSource, kind: RecordKind): MessageJson {
  const m = src.messages;
  return (m[kind] ?? m.default ?? m.start ?? Object.values(m)[0])!;
}

const OWN_AVP_NAMES = new Set(['Accounting-Record-Type', 'Accounting-Record-Number']);

/** The Session-Id of session `n` for these vars: what the compiled bytes carry once patched. */
export function sessionIdOf(vars: TemplateVars, n: number): string {
  return `${sessionPrefix(vars)}${String(n).padStart(SESSION_NUMBER_DIGITS, '0')}`;
}

function isBase(a: Avp, code: number): boolean {
  return a.code === code && a.vendorId === 0;
}

function str(code: number, value: string, type: 'UTF8String' | 'DiameterIdentity'): Avp {
  return { code, flags: AVP_M, vendorId: 0, type, value };
}

/** Compiles one kind: substitute, complete the required AVPs, encode, locate the patched fields. */
export function compileAcr(
  src: TemplateSource,
  kind: RecordKind,
  vars: TemplateVars,
  dict: Dictionary,
  nowMs = Date.now(),
): CompiledAcr {
  const where = `${src.name}${src.messages[kind] ? `: ${kind}` : ''}`;
  const count = newPlaced();
  const given = messageFor(src, kind);
  // The generator owns the record type and number (below): the template's are dropped unread, so a
  // scenario-style "Accounting-Record-Number: ${seq}" is fine here too.
  const own = (a: AvpJson) =>
    OWN_AVP_NAMES.has(Object.keys(a).length === 1 ? Object.keys(a)[0]! : String(a.name ?? '')) ||
    a.code === Code.ACCOUNTING_RECORD_TYPE ||
    a.code === Code.ACCOUNTING_RECORD_NUMBER;
  const trimmed = {
    ...given,
    avps: Array.isArray(given.avps)
      ? given.avps.filter((a) => !(a && typeof a === 'object' && own(a)))
      : given.avps,
  };
  const json = substitute(
    trimmed as unknown as JsonValue,
    vars,
    nowMs,
    count,
    where,
  ) as unknown as MessageJson;
  let msg;
  try {
    msg = messageFromJson(json, dict);
  } catch (e) {
    if (e instanceof DiameterError) throw new TemplateError(`${where}: ${e.message}`);
    throw e;
  }
  if (msg.commandCode !== Cmd.ACCOUNTING || (msg.flags & FLAG_R) === 0) {
    throw new TemplateError(
      `${where}: the load generator sends ACR requests (command 271, R flag), not command ${msg.commandCode}`,
    );
  }
  // Ours go after Destination-Realm (a template by code with a vendor of 0 may still hold one).
  const avps = msg.avps.filter(
    (a) => !isBase(a, Code.ACCOUNTING_RECORD_TYPE) && !isBase(a, Code.ACCOUNTING_RECORD_NUMBER),
  );
  if (!avps.some((a) => isBase(a, Code.SESSION_ID))) {
    avps.unshift(str(Code.SESSION_ID, sessionIdToPatch(vars), 'UTF8String'));
    count.n++;
  }
  const after = (code: number) => avps.findIndex((a) => isBase(a, code)) + 1;
  if (!avps.some((a) => isBase(a, Code.ORIGIN_HOST)))
    avps.splice(after(Code.SESSION_ID), 0, str(Code.ORIGIN_HOST, vars.originHost, 'DiameterIdentity'));
  if (!avps.some((a) => isBase(a, Code.ORIGIN_REALM)))
    avps.splice(after(Code.ORIGIN_HOST), 0, str(Code.ORIGIN_REALM, vars.originRealm, 'DiameterIdentity'));
  if (!avps.some((a) => isBase(a, Code.DESTINATION_REALM)))
    avps.splice(
      after(Code.ORIGIN_REALM),
      0,
      str(Code.DESTINATION_REALM, vars.destinationRealm, 'DiameterIdentity'),
    );
  avps.splice(
    after(Code.DESTINATION_REALM),
    0,
    {
      code: Code.ACCOUNTING_RECORD_TYPE,
      flags: AVP_M,
      vendorId: 0,
      type: 'Enumerated',
      value: RECORD_TYPE[kind],
    },
    { code: Code.ACCOUNTING_RECORD_NUMBER, flags: AVP_M, vendorId: 0, type: 'Unsigned32', value: 0 },
  );
  if (vars.destinationHost && !avps.some((a) => isBase(a, Code.DESTINATION_HOST))) {
    avps.splice(
      after(Code.ACCOUNTING_RECORD_NUMBER),
      0,
      str(Code.DESTINATION_HOST, vars.destinationHost, 'DiameterIdentity'),
    );
  }
  msg.avps = avps;
  msg.hopByHopId = 0;
  msg.endToEndId = 0;
  const bytes = encodeMessage(msg);

  const placedAt = locatePlaced(bytes, count, where, nowMs);
  let recordNumberOffset = -1;
  let timestampOffset = -1;
  forEachTopLevelAvp(bytes, (code, vendor, dataAt, dataLen) => {
    if (vendor !== 0) return;
    if (code === Code.ACCOUNTING_RECORD_NUMBER && dataLen === 4) recordNumberOffset = dataAt;
    else if (code === Code.EVENT_TIMESTAMP && dataLen === 4 && timestampOffset < 0) timestampOffset = dataAt;
  });
  return { kind, bytes, recordNumberOffset, timestampOffset, ...placedAt };
}

export function compileTemplates(
  src: TemplateSource,
  vars: TemplateVars,
  dict: Dictionary,
  nowMs = Date.now(),
): CompiledTemplates {
  return {
    start: compileAcr(src, 'start', vars, dict, nowMs),
    interim: compileAcr(src, 'interim', vars, dict, nowMs),
    stop: compileAcr(src, 'stop', vars, dict, nowMs),
    event: compileAcr(src, 'event', vars, dict, nowMs),
  };
}

/** Walks the top-level AVP headers of an encoded message (RFC 6733 §4.1 layout). */
export function forEachTopLevelAvp(
  b: Uint8Array,
  fn: (code: number, vendorId: number, dataAt: number, dataLen: number) => void,
): void {
  const end = (b[1]! << 16) | (b[2]! << 8) | b[3]!;
  let o = HEADER_LENGTH;
  while (o + 8 <= end) {
    const code = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
    const flags = b[o + 4]!;
    const len = (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!;
    const hdr = flags & AVP_V ? 12 : 8;
    if (len < hdr || o + len > end) return;
    const vendor =
      flags & AVP_V ? ((b[o + 8]! << 24) | (b[o + 9]! << 16) | (b[o + 10]! << 8) | b[o + 11]!) >>> 0 : 0;
    fn(code, vendor, o + hdr, len - hdr);
    o += (len + 3) & ~3;
  }
}

/** The ten ASCII digits of a session number, written once per session. */
export function sessionDigits(
  n: number,
  out: Uint8Array = new Uint8Array(SESSION_NUMBER_DIGITS),
): Uint8Array {
  let v = n;
  for (let i = SESSION_NUMBER_DIGITS - 1; i >= 0; i--) {
    out[i] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
  return out;
}

/**
 * Writes one request at `pos` of `out` (which has room): the template, then the patches. Returns the
 * position after it. `ntpSeconds` (the send time) < 0 leaves the template's Event-Timestamp and ${sent}
 * values as they are; `sessionStartNtp` < 0 leaves its ${sessionStart} values, `sinceLastSeconds` < 0 its
 * ${sinceLast} ones.
 */
export function writeAcr(
  out: Buffer,
  pos: number,
  t: CompiledAcr,
  digits: Uint8Array,
  recordNumber: number,
  hopByHop: number,
  endToEnd: number,
  ntpSeconds: number,
  sessionStartNtp = -1,
  sinceLastSeconds = -1,
): number {
  out.set(t.bytes, pos);
  const offs = t.numberOffsets;
  for (let i = 0; i < offs.length; i++) out.set(digits, pos + offs[i]!);
  put32(out, pos + 12, hopByHop);
  put32(out, pos + 16, endToEnd);
  put32(out, pos + t.recordNumberOffset, recordNumber);
  if (ntpSeconds >= 0) {
    if (t.timestampOffset >= 0) put32(out, pos + t.timestampOffset, ntpSeconds);
    const sent = t.sentOffsets;
    for (let i = 0; i < sent.length; i++) put32(out, pos + sent[i]!, ntpSeconds);
  }
  if (sessionStartNtp >= 0) {
    const start = t.sessionStartOffsets;
    for (let i = 0; i < start.length; i++) put32(out, pos + start[i]!, sessionStartNtp);
  }
  if (sinceLastSeconds >= 0) {
    const since = t.sinceLastOffsets;
    for (let i = 0; i < since.length; i++) put32(out, pos + since[i]!, sinceLastSeconds);
  }
  return pos + t.bytes.length;
}

function put32(b: Buffer, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}
