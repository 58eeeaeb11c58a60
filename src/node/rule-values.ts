/**
 * Reading the plain values of a RuleSpec (whole numbers, seconds, instants) and showing a bad one in a
 * RuleError; shared by the match (rule-match.ts) and action (rule-actions.ts) compilers.
 */
import { RuleError } from './rule-spec.js';

export function isU32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

/** Seconds (fractions allowed) → ms. */
export function seconds(v: unknown, where: (string | number)[]): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new RuleError(`expected seconds >= 0, got ${show(v)}`, where);
  return Math.round(v * 1000);
}

export function instant(v: unknown, where: (string | number)[]): number {
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms))
    throw new RuleError(`expected an ISO 8601 date-time (2025-01-31T12:00:00Z), got ${show(v)}`, where);
  return ms;
}

export function show(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : (JSON.stringify(v) ?? String(v));
}
