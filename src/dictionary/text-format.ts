/**
 * Human-readable forms of a message: an indented tree like Wireshark's, and one line for --trace logs.
 */
import { FLAG_E, FLAG_P, FLAG_R, FLAG_T, AVP_M, AVP_P, AVP_V, type Avp, type Message } from '../codec/types.js';
import type { Dictionary } from './dictionary.js';
import { avpToJson, type JsonValue } from './message-format.js';

function cmdFlags(f: number): string {
  return [f & FLAG_R ? 'R' : '', f & FLAG_P ? 'P' : '', f & FLAG_E ? 'E' : '', f & FLAG_T ? 'T' : ''].join('') || '-';
}

function avpFlags(f: number): string {
  return [f & AVP_V ? 'V' : '-', f & AVP_M ? 'M' : '-', f & AVP_P ? 'P' : '-'].join('');
}

export function commandTitle(m: Message, dict: Dictionary): string {
  const cmd = dict.command(m.commandCode, m.applicationId);
  const req = (m.flags & FLAG_R) !== 0;
  return cmd ? `${cmd.name}-${req ? 'Request' : 'Answer'} (${req ? cmd.requestAbbrev : cmd.answerAbbrev})` : `Command ${m.commandCode} ${req ? 'Request' : 'Answer'}`;
}

function scalar(v: JsonValue): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

export function formatAvpValue(avp: Avp, dict: Dictionary): string {
  const def = dict.avp(avp.code, avp.vendorId);
  const j = avpToJson(avp, dict);
  const body = def && j[def.name] !== undefined ? j[def.name]! : (j.value ?? j.hex ?? j.avps ?? null);
  if (def?.type === 'Enumerated' && typeof avp.value === 'number' && typeof body === 'string') return `${body} (${avp.value})`;
  return scalar(body as JsonValue);
}

function treeLines(avps: readonly Avp[], dict: Dictionary, depth: number, out: string[]): void {
  for (const a of avps) {
    const def = dict.avp(a.code, a.vendorId);
    const name = def ? def.name : 'Unknown-AVP';
    const id = a.vendorId ? `${a.code}, vendor ${a.vendorId}` : `${a.code}`;
    const pad = '  '.repeat(depth);
    if (a.avps) {
      out.push(`${pad}${name} (${id}) ${avpFlags(a.flags)}`);
      treeLines(a.avps, dict, depth + 1, out);
    } else {
      out.push(`${pad}${name} (${id}) ${avpFlags(a.flags)}: ${formatAvpValue(a, dict)}`);
    }
  }
}

/** The indented tree, one AVP a line, like Wireshark's packet details. */
export function formatMessageTree(m: Message, dict: Dictionary): string {
  const app = dict.application(m.applicationId);
  const out = [
    `${commandTitle(m, dict)} code ${m.commandCode}, flags ${cmdFlags(m.flags)}, application ${m.applicationId}` +
      `${app ? ` (${app.name})` : ''}, hop-by-hop 0x${m.hopByHopId.toString(16).padStart(8, '0')}, ` +
      `end-to-end 0x${m.endToEndId.toString(16).padStart(8, '0')}${m.raw ? `, length ${m.raw.length}` : ''}`,
  ];
  treeLines(m.avps, dict, 1, out);
  return out.join('\n');
}

/** One line: command, ids, and the first-level AVPs (grouped ones abbreviated). For --trace. */
export function formatMessageLine(m: Message, dict: Dictionary): string {
  const cmd = dict.command(m.commandCode, m.applicationId);
  const req = (m.flags & FLAG_R) !== 0;
  const name = cmd ? (req ? cmd.requestAbbrev : cmd.answerAbbrev) : `${m.commandCode}${req ? 'R' : 'A'}`;
  const parts = m.avps.map((a) => {
    const def = dict.avp(a.code, a.vendorId);
    const n = def ? def.name : `${a.code}${a.vendorId ? `:${a.vendorId}` : ''}`;
    return a.avps ? `${n}={…${a.avps.length}}` : `${n}=${formatAvpValue(a, dict)}`;
  });
  return `${name} app=${m.applicationId} flags=${cmdFlags(m.flags)} hbh=0x${m.hopByHopId.toString(16)} e2e=0x${m.endToEndId.toString(16)} ${parts.join(' ')}`;
}
