/** Input/output helpers shared by the subcommands. */
import { readFileSync } from 'node:fs';
import { DiameterError } from '../codec/errors.js';
import type { Dictionary } from '../dictionary/dictionary.js';

/** Reads FILE, or stdin for '-' or no file. */
export function readInput(file: string | undefined): Buffer {
  return readFileSync(file === undefined || file === '-' ? 0 : file);
}

/** Hex text to bytes; whitespace (and a 0x prefix) ignored. */
export function parseHex(text: string, source: string): Buffer {
  const clean = text.replace(/\s+/g, '').replace(/^0x/i, '');
  const bad = /[^0-9a-fA-F]/.exec(clean);
  if (bad) throw new CliError(`${source}: not hex: character "${bad[0]}" at hex offset ${bad.index}`);
  if (clean.length % 2) throw new CliError(`${source}: odd number of hex digits (${clean.length})`);
  return Buffer.from(clean, 'hex');
}

/** An error the CLI prints as one line, exit status 2. */
export class CliError extends Error {}

/** "873:10415/876:10415" → "Service-Information/IMS-Information". */
export function namedPath(path: string | undefined, dict: Dictionary): string | undefined {
  if (!path) return path;
  return path
    .split('/')
    .map((step) => {
      const [c, v] = step.split(':');
      const def = dict.avp(Number(c), Number(v ?? 0));
      return def ? def.name : `AVP ${step}`;
    })
    .join('/');
}

/** One line naming what is wrong and where. */
export function describeError(e: unknown, source: string, dict: Dictionary): string {
  if (e instanceof DiameterError) {
    const where = [
      e.path ? `AVP ${namedPath(e.path, dict)}` : '',
      e.offset !== undefined ? `byte offset ${e.offset}` : '',
    ].filter(Boolean);
    const msg = e.message.replace(/ \((at|offset) [^)]*\)$/, '');
    return `${source}: ${msg}${where.length ? ` (${where.join(', ')})` : ''} [Result-Code ${e.resultCode}]`;
  }
  if (e instanceof CliError) return e.message;
  if (e instanceof Error) return `${source}: ${e.message}`;
  return `${source}: ${String(e)}`;
}
