/**
 * Merging a parsed Wireshark dictionary (wireshark-xml.ts) into a dictionary that already holds
 * definitions: the same name and number is the same thing and merges; any other collision is a conflict
 * naming both files, a warning or DICTIONARY_CONFLICT as the WiresharkConflictPolicy says.
 */
import { DiameterError } from '../codec/errors.js';
import type { Dictionary } from './dictionary.js';
import type { DictionaryData } from './types.js';

export interface MergeCounts {
  vendors: number;
  applications: number;
  avps: number;
  commands: number;
  /** AVPs already known under the same name and number (new enum values may have been added). */
  merged: number;
}

/**
 * What to do when a Wireshark definition contradicts a loaded one (another name for the same AVP number,
 * or a loaded AVP's name for another number). 'keep-loaded' (the default) keeps the loaded definition and
 * reports the conflict as a warning: Wireshark's names are display labels and its own files differ from
 * the RFCs in places (it calls AVP 50 Accounting-Multi-Session-Id, RFC 6733 §9.8.6 Acct-Multi-Session-Id),
 * so a strict merge could never load Wireshark's dictionary on top of the built-in one. 'error' throws.
 */
export type WiresharkConflictPolicy = 'keep-loaded' | 'error';

/**
 * Adds Wireshark data to `dict`. Same name and number as a loaded definition = the same thing: the
 * loaded one stays (it may carry a real grammar; Wireshark's types are chosen for display) and only
 * enum values it lacks are added. Every other collision is a conflict naming both files, handled by
 * `policy`.
 */
export function mergeWiresharkData(
  dict: Dictionary,
  data: Required<DictionaryData>,
  warnings: string[],
  policy: WiresharkConflictPolicy = 'keep-loaded',
): MergeCounts {
  const counts: MergeCounts = { vendors: 0, applications: 0, avps: 0, commands: 0, merged: 0 };
  const out: Required<DictionaryData> = { vendors: [], applications: [], avps: [], commands: [] };
  const conflict = (
    what: string,
    oldName: string,
    oldSource: string | undefined,
    newName: string,
    newSource: string | undefined,
  ) => {
    const err = conflictError(what, oldName, oldSource, newName, newSource);
    if (policy === 'error') throw err;
    warnings.push(`${err.message.replace(/^DICTIONARY_CONFLICT: /, 'conflict: ')}; kept ${oldName}`);
  };

  for (const v of data.vendors) {
    const old = dict.vendor(v.id);
    if (!old) out.vendors.push(v);
    else if (old.name !== v.name)
      warnings.push(`${v.source}: vendor ${v.id} ${v.name} is already known as ${old.name}, kept`);
  }
  for (const a of data.applications) {
    const old = dict.application(a.id);
    if (!old) out.applications.push(a);
    else if (old.name !== a.name)
      warnings.push(`${a.source}: application ${a.id} ${a.name} is already known as ${old.name}, kept`);
  }

  // Wireshark name (lower case) → the loaded name of the same AVP, or null when the Wireshark AVP is left out.
  const renamed = new Map<string, string | null>();
  for (const def of data.avps) {
    const old = dict.avp(def.code, def.vendorId);
    const label = `${def.code}${def.vendorId ? `/${def.vendorId}` : ''}`;
    if (old) {
      if (old.name.toLowerCase() !== def.name.toLowerCase()) {
        conflict(`AVP ${label}`, old.name, old.source, def.name, def.source);
        renamed.set(def.name.toLowerCase(), old.name);
        continue;
      }
      if (old.type !== def.type) {
        warnings.push(
          `${def.source}: AVP ${old.name} is ${def.type} there, keeping ${old.type} from ${old.source ?? '(unknown)'}`,
        );
      }
      counts.merged++;
      const extra = new Map([...(def.enums ?? [])].filter(([v]) => !old.enums?.has(v)));
      if (extra.size > 0) out.avps.push({ ...old, enums: extra });
      continue;
    }
    const sameName = dict.avpByName(def.name);
    if (sameName) {
      conflict(
        `AVP name ${def.name}`,
        `${sameName.code}/${sameName.vendorId}`,
        sameName.source,
        `${def.code}/${def.vendorId}`,
        def.source,
      );
      renamed.set(def.name.toLowerCase(), null);
      continue;
    }
    out.avps.push(def);
    counts.avps++;
  }
  // Grouped members that were renamed or left out above.
  if (renamed.size > 0) {
    out.avps = out.avps.map((def) => {
      if (!def.grammar || dict.avp(def.code, def.vendorId)) return def;
      const optional = def.grammar.optional.flatMap((r) => {
        const to = renamed.get(r.avp.toLowerCase());
        return to === undefined ? [r] : to === null ? [] : [{ ...r, avp: to }];
      });
      return { ...def, grammar: { ...def.grammar, optional } };
    });
  }

  for (const c of data.commands) {
    const own = dict.command(c.code, c.applicationId);
    if (own && own.applicationId === c.applicationId) {
      if (own.name.toLowerCase() !== c.name.toLowerCase())
        conflict(
          `command ${c.code} of application ${c.applicationId}`,
          own.name,
          own.source,
          c.name,
          c.source,
        );
      continue;
    }
    const named = dict.commandByName(c.name);
    if (named) {
      // The same command registered under another application (Wireshark puts base Accounting under 0),
      // or another command of that name: the loaded one keeps the name either way.
      if (named.code !== c.code)
        warnings.push(
          `${c.source}: command ${c.name} (${c.code}) left out, the name is taken by command ${named.code}`,
        );
      continue;
    }
    out.commands.push(c);
  }

  // Every collision with the loaded dictionary was settled above; among Wireshark's own definitions
  // the parse already let the later one win, so 'replace' changes nothing that was loaded before.
  dict.add(out, { onConflict: 'replace' });
  counts.vendors = out.vendors.length;
  counts.applications = out.applications.length;
  counts.commands = out.commands.length;
  return counts;
}

function conflictError(
  what: string,
  oldName: string,
  oldSource: string | undefined,
  newName: string,
  newSource: string | undefined,
): DiameterError {
  return new DiameterError(
    'DICTIONARY_CONFLICT',
    `${what} is defined as ${oldName} in ${oldSource ?? '(unknown)'} and as ${newName} in ${newSource ?? '(unknown)'}`,
  );
}
