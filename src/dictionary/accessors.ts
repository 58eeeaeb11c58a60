/**
 * Dictionary-aware access to a decoded message: an AVP by name, all occurrences, nested paths
 * ("Service-Information/PS-Information/3GPP-Charging-Id"). Names are resolved to (code, vendor) once per
 * path and cached, so repeated reads stay numeric.
 */
import { DiameterError } from '../codec/errors.js';
import type { Avp, AvpValue, Message } from '../codec/types.js';
import type { Dictionary } from './dictionary.js';

type Step = { code: number; vendorId: number };
const pathCache = new WeakMap<Dictionary, Map<string, Step[]>>();

function steps(dict: Dictionary, path: string): Step[] {
  let m = pathCache.get(dict);
  if (!m) pathCache.set(dict, (m = new Map()));
  let s = m.get(path);
  if (!s) {
    s = path.split('/').map((name) => {
      const def = dict.avpByName(name.trim());
      if (!def) throw new DiameterError('UNKNOWN_NAME', `unknown AVP "${name}" in path "${path}"`);
      return { code: def.code, vendorId: def.vendorId };
    });
    m.set(path, s);
  }
  return s;
}

function collect(avps: readonly Avp[] | undefined, st: Step[], i: number, out: Avp[]): void {
  if (!avps) return;
  const { code, vendorId } = st[i]!;
  for (const a of avps) {
    if (a.code !== code || a.vendorId !== vendorId) continue;
    if (i === st.length - 1) out.push(a);
    else collect(a.avps, st, i + 1, out);
  }
}

type Container = Message | Avp | readonly Avp[];
function childrenOf(c: Container): readonly Avp[] | undefined {
  return Array.isArray(c) ? (c as readonly Avp[]) : (c as Message | Avp).avps;
}

/** Every AVP at `path` (all occurrences at every level), in message order. */
export function getAvps(c: Container, path: string, dict: Dictionary): Avp[] {
  const out: Avp[] = [];
  collect(childrenOf(c), steps(dict, path), 0, out);
  return out;
}

/** The first AVP at `path`, or undefined. */
export function getAvp(c: Container, path: string, dict: Dictionary): Avp | undefined {
  return getAvps(c, path, dict)[0];
}

/** The typed value of the first AVP at `path`. */
export function getValue<T extends AvpValue = AvpValue>(c: Container, path: string, dict: Dictionary): T | undefined {
  return getAvp(c, path, dict)?.value as T | undefined;
}

/** Numeric fast path for the hot loop: the first top-level AVP with (code, vendor). */
export function findAvp(avps: readonly Avp[], code: number, vendorId = 0): Avp | undefined {
  for (let i = 0; i < avps.length; i++) {
    const a = avps[i]!;
    if (a.code === code && a.vendorId === vendorId) return a;
  }
  return undefined;
}
