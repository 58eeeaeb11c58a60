/** `diamkit decode` and `diamkit encode`: thin wiring of the codec and the message form. */
import YAML from 'yaml';
import { decodeMessage, encodeMessage } from '../codec/message.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { messageFromJson, messageToJson, type MessageJson } from '../dictionary/message-format.js';
import { formatMessageTree } from '../dictionary/text-format.js';
import { CliError, parseHex, readInput } from './io.js';

export type OutputFormat = 'json' | 'yaml' | 'text';

export function decodeCommand(file: string | undefined, opts: { raw?: boolean; format?: string }, dict: Dictionary): string {
  const source = file && file !== '-' ? file : 'stdin';
  const input = readInput(file);
  const bytes = opts.raw ? input : parseHex(input.toString('latin1'), source);
  const m = decodeMessage(bytes, dict.resolve);
  const format = (opts.format ?? 'json') as OutputFormat;
  if (format === 'json') return JSON.stringify(messageToJson(m, dict), null, 2);
  if (format === 'yaml') return YAML.stringify(messageToJson(m, dict));
  if (format === 'text') return formatMessageTree(m, dict);
  throw new CliError(`--format: expected json, yaml or text, got "${format}"`);
}

export function encodeCommand(file: string | undefined, dict: Dictionary): string {
  const source = file && file !== '-' ? file : 'stdin';
  const text = readInput(file).toString('utf8');
  let j: MessageJson;
  try {
    // YAML is a superset of JSON: one parser reads both.
    j = YAML.parse(text, { intAsBigInt: false }) as MessageJson;
  } catch (e) {
    throw new CliError(`${source}: not JSON or YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return encodeMessage(messageFromJson(j, dict)).toString('hex');
}
