/**
 * The Dictionary: lookups by number for the hot path (a Map per vendor keyed by code), by name for
 * people, the CLI and the JSON form. Fragments (built-in modules, user files) are added in order;
 * a later definition that contradicts an earlier one is a conflict reported by name and source.
 */
import { DiameterError } from '../codec/errors.js';
import type { AvpTypeInfo } from '../codec/types.js';
import type { ApplicationDef, AvpDef, CommandDef, DictionaryData, VendorDef } from './types.js';

export interface AddOptions {
  /** 'error' (default) throws on a contradicting redefinition; 'replace' lets the later one win. */
  onConflict?: 'error' | 'replace';
}

export class Dictionary {
  private readonly avpsByVendor = new Map<number, Map<number, AvpDef>>();
  private readonly avpsByName = new Map<string, AvpDef>();
  private readonly commandsByCode = new Map<number, CommandDef[]>();
  private readonly commandsByName = new Map<string, CommandDef>();
  private readonly applicationsById = new Map<number, ApplicationDef>();
  private readonly applicationsByName = new Map<string, ApplicationDef>();
  private readonly vendorsById = new Map<number, VendorDef>();
  private rev = 0;

  /** Bumped by every add(): caches derived from the definitions (validate.ts's compiled grammars) check it. */
  get revision(): number {
    return this.rev;
  }

  /** Bound resolver for the codec: (code, vendor) → type. */
  readonly resolve = (code: number, vendorId: number): AvpTypeInfo | undefined =>
    this.avpsByVendor.get(vendorId)?.get(code);

  add(data: DictionaryData, options: AddOptions = {}): this {
    const replace = options.onConflict === 'replace';
    this.rev++;
    for (const v of data.vendors ?? []) {
      const old = this.vendorsById.get(v.id);
      if (old && old.name !== v.name && !replace) conflict(`vendor ${v.id}`, old.name, old.source, v.name, v.source);
      this.vendorsById.set(v.id, v);
    }
    for (const a of data.applications ?? []) {
      const old = this.applicationsById.get(a.id);
      if (old && old.name !== a.name && !replace)
        conflict(`application ${a.id}`, old.name, old.source, a.name, a.source);
      this.applicationsById.set(a.id, a);
      this.applicationsByName.set(a.name.toLowerCase(), a);
    }
    for (const def of data.avps ?? []) this.addAvp(def, replace);
    for (const c of data.commands ?? []) this.addCommand(c, replace);
    return this;
  }

  private addAvp(def: AvpDef, replace: boolean): void {
    let byCode = this.avpsByVendor.get(def.vendorId);
    if (!byCode) this.avpsByVendor.set(def.vendorId, (byCode = new Map()));
    const old = byCode.get(def.code);
    if (old && !replace && (old.name !== def.name || old.type !== def.type)) {
      conflict(
        `AVP ${def.code}${def.vendorId ? `/${def.vendorId}` : ''}`,
        `${old.name} (${old.type})`,
        old.source,
        `${def.name} (${def.type})`,
        def.source,
      );
    }
    const sameName = this.avpsByName.get(def.name.toLowerCase());
    if (sameName && !replace && (sameName.code !== def.code || sameName.vendorId !== def.vendorId)) {
      conflict(
        `AVP name ${def.name}`,
        `${sameName.code}/${sameName.vendorId}`,
        sameName.source,
        `${def.code}/${def.vendorId}`,
        def.source,
      );
    }
    // A later fragment may complete an earlier definition (e.g. add enum values or a grammar).
    const merged: AvpDef =
      old && old.name === def.name && old.type === def.type
        ? {
            ...old,
            ...def,
            enums: mergeEnums(old.enums, def.enums),
            grammar: def.grammar ?? old.grammar,
          }
        : def;
    const kept = uniform(merged);
    byCode.set(def.code, kept);
    this.avpsByName.set(def.name.toLowerCase(), kept);
  }

  private addCommand(c: CommandDef, replace: boolean): void {
    const list = this.commandsByCode.get(c.code) ?? [];
    const i = list.findIndex((x) => x.applicationId === c.applicationId);
    if (i >= 0) {
      const old = list[i]!;
      if (old.name !== c.name && !replace) conflict(`command ${c.code}`, old.name, old.source, c.name, c.source);
      list[i] = c;
    } else list.push(c);
    this.commandsByCode.set(c.code, list);
    this.commandsByName.set(c.name.toLowerCase(), c);
    this.commandsByName.set(c.requestAbbrev.toLowerCase(), c);
    this.commandsByName.set(c.answerAbbrev.toLowerCase(), c);
  }

  avp(code: number, vendorId = 0): AvpDef | undefined {
    return this.avpsByVendor.get(vendorId)?.get(code);
  }

  avpByName(name: string): AvpDef | undefined {
    return this.avpsByName.get(name.toLowerCase());
  }

  /** The command for (code, application): the application's own definition first, then the base one. */
  command(code: number, applicationId?: number): CommandDef | undefined {
    const list = this.commandsByCode.get(code);
    if (!list) return undefined;
    if (applicationId !== undefined) {
      const own = list.find((c) => c.applicationId === applicationId);
      if (own) return own;
    }
    return list.find((c) => c.applicationId === 0) ?? list[0];
  }

  /** By full name ('Accounting') or abbreviation ('ACR', 'ACA'), case-insensitive. */
  commandByName(name: string): CommandDef | undefined {
    return this.commandsByName.get(name.toLowerCase());
  }

  application(id: number): ApplicationDef | undefined {
    return this.applicationsById.get(id);
  }

  applicationByName(name: string): ApplicationDef | undefined {
    return this.applicationsByName.get(name.toLowerCase());
  }

  vendor(id: number): VendorDef | undefined {
    return this.vendorsById.get(id);
  }

  enumName(def: AvpDef, value: number): string | undefined {
    return def.enums?.get(value);
  }

  enumValue(def: AvpDef, name: string): number | undefined {
    if (!def.enums) return undefined;
    for (const [v, n] of def.enums) if (n === name) return v;
    return undefined;
  }

  *allAvps(): IterableIterator<AvpDef> {
    for (const m of this.avpsByVendor.values()) yield* m.values();
  }

  *allCommands(): IterableIterator<CommandDef> {
    for (const l of this.commandsByCode.values()) yield* l;
  }
}

function mergeEnums(
  a: ReadonlyMap<number, string> | undefined,
  b: ReadonlyMap<number, string> | undefined,
): ReadonlyMap<number, string> | undefined {
  if (!a) return b;
  if (!b) return a;
  return new Map([...a, ...b]);
}

function conflict(what: string, oldName: string, oldSource: string | undefined, newName: string, newSource: string | undefined): never {
  throw new DiameterError(
    'DICTIONARY_CONFLICT',
    `${what} is defined as ${oldName} in ${oldSource ?? '(unknown)'} and as ${newName} in ${newSource ?? '(unknown)'}`,
  );
}

/**
 * A definition with every property, in one order: all definitions then share one hidden class, so the
 * decoder's and the JSON form's reads of `type`, `name` or `enums` stay monomorphic (built-in modules and
 * user files wrote them in a dozen shapes).
 */
function uniform(d: AvpDef): AvpDef {
  return {
    name: d.name,
    code: d.code,
    vendorId: d.vendorId,
    type: d.type,
    mandatory: d.mandatory,
    protected: d.protected,
    enums: d.enums,
    grammar: d.grammar,
    source: d.source,
  };
}
