/**
 * Runs Wireshark's Diameter dissector (tshark) over a capture and reports what it found.
 * tshark decodes Diameter by itself only on its well-known ports, so every call passes
 * `-d tcp.port==PORT,diameter` (see shared/DESIGN.md, "Real peers for tests").
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writePcap } from './pcap-writer.js';
import type { PcapMessage, PcapOptions } from './pcap-writer.js';

const run = promisify(execFile);

/** Generous: a cold tshark start loads every dissector (~1–3 s here). */
const TSHARK_TIMEOUT_MS = 60_000;
const MAX_OUTPUT = 64 * 1024 * 1024;

/** Separator for several occurrences of one field in `tsharkFields` (ASCII unit separator). */
const AGGREGATOR = '\u001f';

export interface TsharkDecode {
  /** `tshark -V -O diameter` output: Diameter in full, other layers as one summary line each. */
  text: string;
  /** "[Malformed Packet" markers plus expert items of group Malformed seen in `text`. */
  malformedCount: number;
  /** One line per row of `tshark -q -z expert`, e.g. "Warning: 1 Malformed Diameter Reserved bit set". */
  expertLines: string[];
}

async function tshark(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('tshark', args, {
      timeout: TSHARK_TIMEOUT_MS,
      maxBuffer: MAX_OUTPUT,
      encoding: 'utf8',
      // Keep a user's Wireshark preferences out of the judgement.
      env: { ...process.env, WIRESHARK_CONFIG_DIR: join(tmpdir(), 'diamkit-tshark-profile') },
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`tshark ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`, { cause: err });
  }
}

function decodeAs(port: number): string[] {
  return ['-d', `tcp.port==${port},diameter`];
}

/** Splits `tshark -V` text into one string per frame (each starts with its "Frame N:" line). */
export function splitFrames(text: string): string[] {
  return text.split(/^(?=Frame \d+:)/m).filter((part) => part.startsWith('Frame '));
}

/**
 * Field names that report tshark's own findings per frame, for `tsharkFields`: expert messages
 * (empty when there are none) and the malformed marker (present when the frame is malformed).
 */
export const EXPERT_FIELDS = ['_ws.expert.message', '_ws.malformed'] as const;

/** Counts malformed markers in `tshark -V` text. */
export function countMalformed(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) {
    if (/\[Malformed Packet/.test(line) || /\[Expert Info \([^/)]+\/Malformed\)/.test(line)) n += 1;
  }
  return n;
}

/**
 * Rows of `tshark -q -z expert`. That report prints, per severity, a title ("Warns (1)"), a rule, a
 * column header, then one row per distinct item; it prints nothing at all when there is no expert info.
 */
export function parseExpertReport(report: string): string[] {
  const rows: string[] = [];
  let severity = '';
  for (const raw of report.split('\n')) {
    const line = raw.trim();
    if (line === '' || /^=+$/.test(line) || /^Frequency\s+Group/.test(line)) continue;
    const title = /^(\w+) \(\d+\)$/.exec(line);
    if (title) {
      severity = title[1]!.replace(/s$/, '');
      continue;
    }
    rows.push(`${severity}: ${line.replace(/\s+/g, ' ')}`);
  }
  return rows;
}

/** Decodes `pcapPath` with Diameter on TCP `port`; see `TsharkDecode`. */
export async function tsharkDecode(pcapPath: string, port: number): Promise<TsharkDecode> {
  const [text, report] = await Promise.all([
    tshark(['-r', pcapPath, ...decodeAs(port), '-V', '-O', 'diameter']),
    tshark(['-r', pcapPath, ...decodeAs(port), '-q', '-z', 'expert']),
  ]);
  return { text, malformedCount: countMalformed(text), expertLines: parseExpertReport(report) };
}

/**
 * One row per frame, one entry per field (Wireshark display-field names such as `diameter.cmd.code`,
 * `diameter.Session-Id`, `diameter.avp.code`); each entry lists every occurrence in the frame, in order.
 */
export async function tsharkFields(
  pcapPath: string,
  port: number,
  fields: readonly string[],
): Promise<string[][][]> {
  const out = await tshark([
    '-r',
    pcapPath,
    ...decodeAs(port),
    '-T',
    'fields',
    ...fields.flatMap((f) => ['-e', f]),
    '-E',
    'separator=/t',
    '-E',
    'occurrence=a',
    '-E',
    `aggregator=${AGGREGATOR}`,
  ]);
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t').map((cell) => (cell === '' ? [] : cell.split(AGGREGATOR))));
}

export interface TsharkCheck extends TsharkDecode {
  /** Rows of `tsharkFields` for the requested fields (empty when none were asked for). */
  fields: string[][][];
}

/**
 * The reusable entry point: write `messages` to a throwaway pcap, decode it, optionally extract fields,
 * and delete the capture. Assert `malformedCount === 0` and `expertLines` empty in the caller.
 */
export async function tsharkCheckMessages(
  messages: readonly PcapMessage[],
  options: { port?: number; fields?: readonly string[] } & PcapOptions = {},
): Promise<TsharkCheck> {
  const port = options.port ?? 3868;
  const dir = await mkdtemp(join(tmpdir(), 'diamkit-pcap-'));
  try {
    const file = join(dir, 'capture.pcap');
    writePcap(file, messages, port, options);
    const [decoded, fields] = await Promise.all([
      tsharkDecode(file, port),
      options.fields && options.fields.length > 0
        ? tsharkFields(file, port, options.fields)
        : Promise.resolve([]),
    ]);
    return { ...decoded, fields };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
