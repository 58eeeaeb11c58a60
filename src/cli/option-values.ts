/** Checks of option values the subcommands share; each failure is a CliError naming the option. */
import { CliError } from './io.js';

export function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag}: expected a whole number >= 1, got "${v}"`);
  return n;
}

export function oneOf<T extends string>(v: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(v))
    throw new CliError(`${flag}: expected ${allowed.join(' or ')}, got "${v}"`);
  return v as T;
}
