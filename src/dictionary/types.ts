/**
 * The dictionary as data: applications, commands, AVPs, enumerations and command grammars.
 * Grammar notation: RFC 6733 §3.2 (CCF) — base-protocol.md §5.
 */
import type { DataType } from '../codec/types.js';

export type FlagRule = 'must' | 'may' | 'mustnot';

export interface AvpDef {
  name: string;
  code: number;
  /** 0 for IETF AVPs. */
  vendorId: number;
  type: DataType;
  /** M-bit rule (RFC 6733 §4.5 table). 'must' → M set when we encode it. */
  mandatory: FlagRule;
  /** P-bit rule; RFC 6733 says never set it, kept for user dictionaries. */
  protected?: FlagRule;
  /** Enumerated: value → name. */
  enums?: ReadonlyMap<number, string>;
  /** Grouped: the grammar of the children. */
  grammar?: Grammar;
  /** Where the definition came from (file name, or 'builtin:rfc6733'), for conflict reports. */
  source?: string;
}

/** One rule of a grammar: `min*max` occurrences of `avp` (a name, or '*' for "AVP" = any other). */
export interface GrammarRule {
  avp: string;
  min: number;
  /** Infinity for `*`. 0 = MUST NOT appear. */
  max: number;
}

export interface Grammar {
  /** `< AVP >` rules, in order, at the start. */
  fixed: GrammarRule[];
  /** `{ AVP }` rules (min ≥ 1). */
  required: GrammarRule[];
  /** `[ AVP ]` rules, including `*[ AVP ]` (any other AVP allowed). */
  optional: GrammarRule[];
}

export interface CommandDef {
  code: number;
  /** e.g. 'Accounting' */
  name: string;
  /** e.g. 'ACR' / 'ACA' */
  requestAbbrev: string;
  answerAbbrev: string;
  /** Application the command belongs to (0 for base commands used by every application). */
  applicationId: number;
  /** Header flags a request MUST carry besides R (e.g. P for ACR). */
  proxiable: boolean;
  request: Grammar;
  answer: Grammar;
  source?: string;
}

export interface ApplicationDef {
  id: number;
  name: string;
  kind: 'auth' | 'acct' | 'both';
  source?: string;
}

export interface VendorDef {
  id: number;
  name: string;
  source?: string;
}

/** A dictionary fragment: what a built-in module or a user file contributes. */
export interface DictionaryData {
  vendors?: VendorDef[];
  applications?: ApplicationDef[];
  avps?: AvpDef[];
  commands?: CommandDef[];
}
