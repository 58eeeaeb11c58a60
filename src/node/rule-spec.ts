/**
 * The data form of a behaviour rule (RuleSpec): what the config file and the admin API carry, and the
 * error a rule that cannot be compiled raises. The engine that runs them is rules.ts.
 */
import { DiameterError } from '../codec/errors.js';
import type { DisconnectCause } from '../dictionary/codes.js';


/**
 * How an AVP's value is matched: a value (string or number: equal to the AVP's value read as its type,
 * an Enumerated also by its name), a list (any of them), `{ regex }` (the value as text), or
 * `{ present }` (whether the AVP occurs at all). Every occurrence of the AVP is tried.
 */
export type ValueMatch = string | number | (string | number)[] | { regex: string } | { present: boolean };

export interface RuleWindow {
  /** Active from this instant (ISO 8601 date-time). */
  from?: string;
  /** Active until this instant (ISO 8601 date-time), exclusive. */
  until?: string;
  /** Active from this many seconds after the rule was added. */
  after?: number;
  /** Active for this many seconds (after `after`, or after the rule was added). */
  for?: number;
}

export interface RuleMatch {
  /** Application-Id, or an application name from the dictionary. */
  application?: number | string;
  /** Command code, or a command name/abbreviation ("ACR", "Accounting"). */
  command?: number | string;
  /** Accounting-Record-Type: 1–4 or a name (START_RECORD, or START); a list matches any. */
  recordType?: number | string | (number | string)[];
  /** The request's Session-Id. */
  sessionId?: ValueMatch;
  /** AVPs by path (names joined by "/", e.g. Service-Information/Subscription-Id/Subscription-Id-Data). */
  avp?: Record<string, ValueMatch>;
  /** The share of otherwise matching requests the rule takes, 0–100. */
  percent?: number;
  /** When the rule is active. */
  window?: RuleWindow;
}

export type DisconnectCauseName = keyof typeof DisconnectCause;

export interface RuleAction {
  /** Answer with this Result-Code instead of the application (3xxx: E bit, answer-message form). */
  result?: number;
  /** Answer with Experimental-Result (Vendor-Id default 10415) instead of the application. */
  experimentalResult?: { vendorId?: number; code: number };
  /** Error-Message in a `result` / `experimentalResult` answer. */
  errorMessage?: string;
  /** Send the answer this many seconds after the request arrived. */
  delay?: number;
  /** Send no answer; the application never sees the request. */
  drop?: boolean;
  /** Close the transport connection after the answer (at once with `drop`), without DPR. */
  close?: boolean;
  /** Send DPR after the answer (RFC 6733 §5.4), Disconnect-Cause REBOOTING unless given. */
  dpr?: boolean | { cause: DisconnectCauseName | number };
  /** Put this Acct-Interim-Interval (seconds) in the answer, replacing the application's. */
  interimInterval?: number;
  /** Send the same answer a second time (same Hop-by-Hop Identifier), at once or `after` seconds. */
  answerTwice?: boolean | { after: number };
}

export interface RuleSpec {
  /** The rule's id in list()/remove() and its counters; default rule-N. */
  id?: string;
  /** What requests the rule takes; absent = every application request. */
  match?: RuleMatch;
  action: RuleAction;
  /** Take at most this many requests, then stop matching (stays listed). */
  limit?: number;
}

/** One rule as list() shows it. */
export interface RuleInfo {
  id: string;
  /** 0-based place in the rule order. */
  position: number;
  spec: RuleSpec;
  /** Requests this rule touched. */
  hits: number;
  addedAt: Date;
  lastHitAt?: Date;
  /** `limit` reached. */
  exhausted: boolean;
}

/** A rule that cannot be compiled; `field` names the part of the rule, e.g. ["match", "avp", "X"]. */
export class RuleError extends DiameterError {
  /** The message without the code and the field. */
  readonly detail: string;
  constructor(
    message: string,
    readonly field: (string | number)[] = [],
  ) {
    super('RULE_INVALID', field.length ? `${field.join('.')}: ${message}` : message);
    this.name = 'RuleError';
    this.detail = message;
  }
}
