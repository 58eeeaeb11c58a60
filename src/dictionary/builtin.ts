/**
 * The dictionary diamkit ships: RFC 6733 base protocol and accounting, the RFC 4006/7155 AVPs that Rf
 * reuses, and 3GPP Rf (TS 32.299). Application 3's ACR/ACA is the Rf one unless asked otherwise
 * (tgpp-rf.ts header).
 */
import { ACCOUNTING_DATA, BASE_ACCOUNTING_COMMAND } from './accounting.js';
import { BASE_DATA } from './base.js';
import { Dictionary } from './dictionary.js';
import { RFC4006_DATA } from './rfc4006.js';
import { TGPP_AVPS, TGPP_RF_DATA } from './tgpp-rf.js';

export interface BuiltinOptions {
  /**
   * Which ACR/ACA grammar application 3 gets: 'rf' (default) — TS 32.299 Rf, what the CDF serves;
   * 'rfc6733' — the plain RFC 6733 §9.7 grammar (the 3GPP AVPs stay defined either way).
   */
  accounting?: 'rf' | 'rfc6733';
}

/** A fresh Dictionary holding every built-in module; callers may add their own fragments to it. */
export function builtinDictionary(options: BuiltinOptions = {}): Dictionary {
  const d = new Dictionary().add(BASE_DATA).add(ACCOUNTING_DATA).add(RFC4006_DATA);
  if (options.accounting === 'rfc6733') d.add({ avps: TGPP_AVPS, commands: [BASE_ACCOUNTING_COMMAND] });
  else d.add(TGPP_RF_DATA);
  return d;
}

let cached: Dictionary | undefined;

/**
 * One shared built-in Dictionary (Rf accounting), built on first use. Shared: do not add to it; take
 * builtinDictionary() for a dictionary to extend.
 */
export function defaultDictionary(): Dictionary {
  return (cached ??= builtinDictionary());
}
