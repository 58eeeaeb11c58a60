/**
 * Checks a decoded message against the dictionary: base-protocol.md §9.5 steps 5–6 (RFC 6733 §7.1.5,
 * §3.2 CCF, §4.4 Grouped). Returns the first error, shaped as the answer needs it (Result-Code and the
 * Failed-AVP of base-protocol.md §9.4), or undefined.
 *
 * Order, because only the first error is reported (§8 "Report only the first error"):
 *  1. step 5, anywhere in the tree in message order: an unknown AVP with the M bit (5001), an M-flagged
 *     Enumerated value the dictionary does not list (5004);
 *  2. step 6, per level, outer level first: a fixed-position AVP missing (5005) or out of its place (5008),
 *     a required AVP missing (5005), the first instance beyond a rule's maximum (5009), an AVP the grammar
 *     does not allow (5008); then the grouped AVPs of that level in message order, recursively (for
 *     Vendor-Specific-Application-Id, after its grammar: exactly one of Auth-/Acct-Application-Id).
 * Grouped AVPs are checked with their own grammar; one without a grammar in the dictionary is not looked
 * into (nothing to judge it by), nor is Failed-AVP (its children are copies of AVPs that failed elsewhere).
 * Unknown AVPs without the M bit are accepted everywhere (RFC 6733 §4.1).
 *
 * Speed: each grammar is compiled once per dictionary revision (validate-rules.ts) into (vendor, code) →
 * rule indexes (arrays indexed by code); a message is then checked with numeric lookups and the grammar's
 * reused counters (a Tally). Names are only touched to build the error's path.
 */
import { avpKey } from '../codec/avp.js';
import { minimumDataSize } from '../codec/data-types.js';
import { DiameterError, type ErrorCodeName } from '../codec/errors.js';
import { AVP_M, AVP_V, FLAG_E, FLAG_R, type Avp, type Message } from '../codec/types.js';
import { ANSWER_MESSAGE_GRAMMAR } from './base.js';
import type { Dictionary } from './dictionary.js';
import type { AvpDef, Grammar } from './types.js';
import { childGrammar, compile, ruleIndex, Tally, type Compiled } from './validate-rules.js';

export interface ValidateOptions {
  /**
   * Accept unknown AVPs that carry the M bit instead of answering 5001 — the CDF's lenient mode
   * (accounting-rf.md §5.1: real CTFs send vendor AVPs with M set). Default false.
   */
  allowUnknownMandatory?: boolean;
  /** Check M-flagged Enumerated values against the dictionary's list (5004). Default true. */
  checkEnums?: boolean;
  /**
   * Put a failed AVP found inside a Grouped AVP into copies of its enclosing grouped AVPs, each holding
   * only the path to it (base-protocol.md §9.4 "MAY nest"). Default true; false gives the AVP alone.
   */
  nestFailedAvp?: boolean;
  /** The grammar of answers with the E bit set. Default ANSWER_MESSAGE_GRAMMAR (RFC 6733 §7.2). */
  answerMessageGrammar?: Grammar;
}

// RFC 6733 §4.5 codes the validator treats specially (vendor 0).
const VENDOR_SPECIFIC_APPLICATION_ID = 260;
const AUTH_APPLICATION_ID = 258;
const ACCT_APPLICATION_ID = 259;

/**
 * Validates a whole message. The grammar comes from the header: E bit on an answer → the generic
 * answer-message grammar, whatever the command; otherwise the command's request (R) or answer grammar for
 * (command code, application id). A command the dictionary does not know gives undefined: answering
 * unknown commands is the node's policy (base-protocol.md §9.5 step 3).
 */
export function validateMessage(
  msg: Message,
  dict: Dictionary,
  opts: ValidateOptions = {},
): DiameterError | undefined {
  const isRequest = (msg.flags & FLAG_R) !== 0;
  let g: Grammar;
  if (!isRequest && (msg.flags & FLAG_E) !== 0) {
    g = opts.answerMessageGrammar ?? ANSWER_MESSAGE_GRAMMAR;
  } else {
    const cmd = dict.command(msg.commandCode, msg.applicationId);
    if (!cmd) return undefined;
    g = isRequest ? cmd.request : cmd.answer;
  }
  return validateAvps(msg.avps, g, dict, opts);
}

/** Validates a list of AVPs (a message body, or the children of a Grouped AVP) against a grammar. */
export function validateAvps(
  avps: readonly Avp[],
  g: Grammar,
  dict: Dictionary,
  opts: ValidateOptions = {},
): DiameterError | undefined {
  const w = idleWalker ?? new Walker();
  idleWalker = undefined;
  try {
    w.start(dict, opts);
    const e = w.level(avps, compile(dict, g));
    return w.fatal ?? e;
  } finally {
    w.stop();
    idleWalker = w;
  }
}

// ---- the walk --------------------------------------------------------------------------------------

let idleWalker: Walker | undefined;

class Walker {
  dict!: Dictionary;
  allowUnknownMandatory = false;
  checkEnums = true;
  nest = true;
  /** The first step-5 error; once set, the walk stops. */
  fatal: DiameterError | undefined;
  /** The grouped AVPs enclosing the level being checked, outermost first, and their definitions. */
  readonly outerAvps: Avp[] = [];
  readonly outerDefs: AvpDef[] = [];

  start(dict: Dictionary, opts: ValidateOptions): void {
    this.dict = dict;
    this.allowUnknownMandatory = opts.allowUnknownMandatory ?? false;
    this.checkEnums = opts.checkEnums ?? true;
    this.nest = opts.nestFailedAvp ?? true;
    this.fatal = undefined;
  }

  stop(): void {
    // Only an error return leaves anything here; setting length is not free.
    if (this.outerAvps.length !== 0) this.outerAvps.length = 0;
    if (this.outerDefs.length !== 0) this.outerDefs.length = 0;
    this.fatal = undefined;
  }

  /** Checks one level; sets `fatal` for a step-5 error, returns the level's first step-6 error. */
  level(avps: readonly Avp[], c: Compiled): DiameterError | undefined {
    let tally = c.tally;
    const reused = !c.busy;
    if (reused) c.busy = true;
    else tally = new Tally(c.rules.length); // a grammar nested in itself
    tally.reset();
    try {
      return this.walkLevel(avps, c, tally);
    } finally {
      if (reused) c.busy = false;
    }
  }

  private walkLevel(avps: readonly Avp[], c: Compiled, tally: Tally): DiameterError | undefined {
    let others = 0;
    let tooMany: Avp | undefined;
    let tooManyDef: AvpDef | undefined;
    let notAllowed: Avp | undefined;
    let notAllowedDef: AvpDef | undefined;
    let nested: DiameterError | undefined;

    for (let i = 0; i < avps.length; i++) {
      const a = avps[i]!;
      const ri = ruleIndex(c, a);
      let def: AvpDef | undefined;
      let child: Compiled | null | undefined;
      let enums: ReadonlyMap<number, string> | undefined;
      if (ri !== undefined) {
        const rule = c.rules[ri]!;
        def = rule.def;
        child = rule.child;
        enums = rule.enums;
        if (child === undefined) child = rule.child = childGrammar(this.dict, def);
        const n = tally.add(ri);
        if (n > rule.max) {
          if (rule.max === 0) {
            if (!notAllowed) {
              notAllowed = a;
              notAllowedDef = def;
            }
          } else if (n === rule.max + 1 && !tooMany) {
            tooMany = a; // the first instance beyond the limit (base-protocol.md §9.4)
            tooManyDef = def;
          }
        }
      } else {
        def = this.dict.avp(a.code, a.vendorId);
        if (!def) {
          // RFC 6733 §4.1: an unknown AVP with M set is rejected; without M it is ignored.
          if ((a.flags & AVP_M) !== 0 && !this.allowUnknownMandatory) {
            this.fatal = this.error('AVP_UNSUPPORTED', undefined, a, [a]);
            return undefined;
          }
          continue;
        }
        others++;
        child = childGrammar(this.dict, def);
        if (def.type === 'Enumerated' && def.enums && def.enums.size > 0) enums = def.enums;
        const any = c.any;
        if (!any || any.max === 0) {
          // Known, but the grammar neither lists it nor has `* [ AVP ]`.
          if (!notAllowed) {
            notAllowed = a;
            notAllowedDef = def;
          }
        } else if (others === any.max + 1 && !tooMany) {
          tooMany = a;
          tooManyDef = def;
        }
      }

      if (enums !== undefined && (a.flags & AVP_M) !== 0 && this.checkEnums) {
        const v = enumeratedValue(a);
        if (v !== undefined && !enums.has(v)) {
          this.fatal = this.error('AVP_UNKNOWN_ENUM', `${def.name} value ${v} is not a known value`, def, [
            a,
          ]);
          return undefined;
        }
      }

      if (child && a.avps) {
        this.outerAvps.push(a);
        this.outerDefs.push(def);
        let e = this.level(a.avps, child);
        if (!e && !this.fatal && def.code === VENDOR_SPECIFIC_APPLICATION_ID && def.vendorId === 0) {
          e = this.vendorSpecificApplicationIdError(a.avps);
        }
        this.outerAvps.pop();
        this.outerDefs.pop();
        if (this.fatal) return undefined;
        if (e && !nested) nested = e;
      }
    }

    return (
      this.fixedError(avps, c, tally) ??
      this.missingError(c, tally, others) ??
      (tooMany && this.error('AVP_TOO_MANY', undefined, tooManyDef!, [tooMany])) ??
      (notAllowed && this.error('AVP_NOT_ALLOWED', undefined, notAllowedDef!, [notAllowed])) ??
      nested
    );
  }

  /** `< AVP >` rules: each must sit, in order, at the start of the level (RFC 6733 §3.2). */
  private fixedError(avps: readonly Avp[], c: Compiled, tally: Tally): DiameterError | undefined {
    let pos = 0;
    for (let fi = 0; fi < c.fixedCount; fi++) {
      const rule = c.rules[fi]!;
      let here = 0;
      while (pos < avps.length && here < rule.max && ruleIndex(c, avps[pos]!) === fi) {
        pos++;
        here++;
      }
      const total = tally.get(fi);
      if (total > here && here < rule.max) {
        // Present, but not where the grammar fixes it.
        const found = avps.find((a, i) => i >= pos && ruleIndex(c, a) === fi)!;
        // RFC 6733 names no Result-Code for this; 5008 with the misplaced AVP says "not allowed there".
        return this.error('AVP_NOT_ALLOWED', `${rule.def.name} must come at position ${pos + 1}`, rule.def, [
          found,
        ]);
      }
      if (here < rule.min) return this.missing(rule.def);
    }
    return undefined;
  }

  private missingError(c: Compiled, tally: Tally, others: number): DiameterError | undefined {
    const required = c.required;
    for (let k = 0; k < required.length; k++) {
      const rule = c.rules[required[k]!]!;
      if (tally.get(required[k]!) < rule.min) return this.missing(rule.def);
    }
    if (c.any && others < c.any.min) {
      return new DiameterError('AVP_MISSING', `at least ${c.any.min} AVP(s) required`, {
        path: this.path(undefined),
      });
    }
    return undefined;
  }

  /**
   * RFC 6733 §6.11 via base-protocol.md §6.1: Vendor-Specific-Application-Id carries exactly one of
   * Auth-/Acct-Application-Id. Neither → 5005 with an example of each; both → 5009 with both as received.
   * Called with the Vendor-Specific-Application-Id on top of the enclosing stack, after its grammar passed.
   */
  private vendorSpecificApplicationIdError(avps: readonly Avp[]): DiameterError | undefined {
    const auth = avps.find((a) => a.code === AUTH_APPLICATION_ID && a.vendorId === 0);
    const acct = avps.find((a) => a.code === ACCT_APPLICATION_ID && a.vendorId === 0);
    if (auth && acct) {
      return this.error('AVP_TOO_MANY', 'both Auth-Application-Id and Acct-Application-Id', undefined, [
        auth,
        acct,
      ]);
    }
    if (!auth && !acct) {
      const examples = [AUTH_APPLICATION_ID, ACCT_APPLICATION_ID]
        .map((code) => this.dict.avp(code, 0))
        .filter((d): d is AvpDef => d !== undefined)
        .map(example);
      return this.error(
        'AVP_MISSING',
        'neither Auth-Application-Id nor Acct-Application-Id',
        undefined,
        examples,
      );
    }
    return undefined;
  }

  private missing(def: AvpDef): DiameterError {
    return this.error('AVP_MISSING', `${def.name} missing`, def, [example(def)]);
  }

  /**
   * An error about `failed` at the current level. `about` names the last path step (a definition, or an
   * AVP the dictionary does not know); without it the path ends at the enclosing grouped AVP.
   */
  private error(
    code: ErrorCodeName,
    detail: string | undefined,
    about: AvpDef | Avp | undefined,
    failed: Avp[],
  ): DiameterError {
    return new DiameterError(code, detail, { path: this.path(about), failedAvp: this.wrap(failed) });
  }

  private path(about: AvpDef | Avp | undefined): string | undefined {
    const steps = this.outerDefs.map((d) => d.name);
    if (about) steps.push('name' in about ? about.name : label(about));
    return steps.length > 0 ? steps.join('/') : undefined;
  }

  /**
   * base-protocol.md §9.4: the failed AVP(s), inside copies of the enclosing grouped AVPs that hold only
   * the way down to them. Copies carry no `data`, so an encoder writes their new children.
   */
  private wrap(failed: Avp[]): Avp {
    const levels = this.outerAvps.length;
    if (failed.length === 1 && (levels === 0 || !this.nest)) return failed[0]!;
    let inner: Avp[] = failed;
    const stop = this.nest ? 0 : levels - 1; // several AVPs still need their own container
    for (let i = levels - 1; i >= stop; i--) {
      const o = this.outerAvps[i]!;
      inner = [{ code: o.code, flags: o.flags, vendorId: o.vendorId, type: 'Grouped', avps: inner }];
    }
    return inner[0]!;
  }
}

/**
 * The example AVP of a 5005 answer (base-protocol.md §9.4): right code, flags and Vendor-ID, data of zeros
 * of the type's minimum size (see vector 10-aca-5005-failed-avp).
 */
function example(def: AvpDef): Avp {
  return {
    code: def.code,
    flags: (def.vendorId !== 0 ? AVP_V : 0) | (def.mandatory === 'must' ? AVP_M : 0),
    vendorId: def.vendorId,
    type: def.type,
    data: new Uint8Array(minimumDataSize(def.type)),
  };
}

/** An Enumerated value: the decoded number, or the 4 data octets as a signed big-endian integer. */
function enumeratedValue(a: Avp): number | undefined {
  if (typeof a.value === 'number') return a.value;
  const d = a.data;
  if (!d || d.length !== 4) return undefined; // a size error is the codec's to report (5014)
  return (d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!;
}

function label(a: Avp): string {
  return avpKey(a.code, a.vendorId);
}
