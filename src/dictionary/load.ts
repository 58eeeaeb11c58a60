/**
 * User dictionaries loaded at start: our JSON/YAML format (user-format.ts, docs/dictionary-format.md)
 * and Wireshark's XML dictionaries (wireshark-xml.ts). Files are added in the order given, each on top
 * of what is loaded already (normally the built-in dictionary); a definition that contradicts a loaded
 * one is a DICTIONARY_CONFLICT naming both files (for Wireshark files, by default, a warning naming both
 * files: Wireshark's own names differ from the RFCs in places). A file that fails leaves the dictionary partly
 * updated: loading is meant to stop the program at start.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { DiameterError } from '../codec/errors.js';
import type { Dictionary } from './dictionary.js';
import { readUserDictionary } from './user-format.js';
import {
  mergeWiresharkData,
  parseWiresharkDictionary,
  type WiresharkConflictPolicy,
} from './wireshark-xml.js';

export type DictionaryFormat = 'wireshark-xml' | 'json' | 'yaml';

export interface LoadReport {
  file: string;
  format: DictionaryFormat;
  /** New definitions added to the dictionary. */
  added: { vendors: number; applications: number; avps: number; commands: number };
  /** AVPs the dictionary already had under the same name and number. */
  merged: number;
  /** Things tolerated in the file (Wireshark duplicates, unknown type names …), each with file:line. */
  warnings: string[];
}

export interface LoadOptions {
  /** Overrides the choice by extension and content. */
  format?: DictionaryFormat;
  /**
   * A Wireshark definition that contradicts a loaded one: kept out with a warning (default), or an error.
   * Our own format always treats a contradiction as an error. See wireshark-xml.ts for why.
   */
  wiresharkConflicts?: WiresharkConflictPolicy;
  /** Called for each warning as well as collected in the report. */
  onWarning?: (message: string) => void;
}

/** By extension (.xml, .json, .yaml/.yml); otherwise by the first character of the content. */
export function detectFormat(path: string): DictionaryFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.xml') return 'wireshark-xml';
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  let head: string;
  try {
    head = readFileSync(path, 'utf8')
      .replace(/^\uFEFF/, '')
      .trimStart();
  } catch (e) {
    throw new DiameterError(
      'DICTIONARY_BAD_FILE',
      `${path}: cannot read: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (head.startsWith('<')) return 'wireshark-xml';
  if (head.startsWith('{')) return 'json';
  return 'yaml';
}

/** Loads one dictionary file into `dict`, choosing the reader by extension or content. */
export function loadDictionaryFile(path: string, dict: Dictionary, options: LoadOptions = {}): LoadReport {
  const format = options.format ?? detectFormat(path);
  let report: LoadReport;
  if (format === 'wireshark-xml') {
    const { data, warnings } = parseWiresharkDictionary(path, dict);
    const counts = mergeWiresharkData(dict, data, warnings, options.wiresharkConflicts);
    const { merged, ...added } = counts;
    report = { file: path, format, added, merged, warnings };
  } else {
    const data = readUserDictionary(path, format, dict);
    const avps = data.avps ?? [];
    const merged = avps.filter((a) => dict.avp(a.code, a.vendorId)).length;
    const added = {
      vendors: (data.vendors ?? []).filter((v) => !dict.vendor(v.id)).length,
      applications: (data.applications ?? []).filter((a) => !dict.application(a.id)).length,
      avps: avps.length - merged,
      commands: (data.commands ?? []).filter(
        (c) => dict.command(c.code, c.applicationId)?.applicationId !== c.applicationId,
      ).length,
    };
    dict.add(data, { onConflict: 'error' });
    report = { file: path, format, added, merged, warnings: [] };
  }
  for (const w of report.warnings) options.onWarning?.(w);
  return report;
}

/** Loads the files in order; a later file may refer to names an earlier one defined. */
export function loadDictionaries(
  paths: readonly string[],
  dict: Dictionary,
  options: LoadOptions = {},
): LoadReport[] {
  return paths.map((p) => loadDictionaryFile(p, dict, options));
}
