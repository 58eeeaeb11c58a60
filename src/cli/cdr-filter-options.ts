/**
 * The CDR filter options `diamkit cdrs list`, `cdrs export` and `cdrs summary` share (--since, --until,
 * --time, --session, --kind, --origin-host), declared once and turned into the store's CdrFilter
 * (src/cdf/store.ts), the same filter the admin API's /api/cdrs builds.
 */
import type { Command } from 'commander';
import type { CdrFilter } from '../cdf/store.js';
import { CliError } from './io.js';
import { oneOf } from './option-values.js';

/** The kinds the CDR builder writes (docs/cdr.md, "Which kind of record"). */
export const CDR_KINDS = ['ims', 'pgw', 'event', 'generic'] as const;

/** The options as commander hands them over (all text). */
export interface CdrFilterOptions {
  since?: string;
  until?: string;
  /** written (createdAt, the default) or closed (recordClosingTime). */
  time?: string;
  session?: string;
  kind?: string;
  originHost?: string;
}

/** Declares the filter options on a subcommand. */
export function addCdrFilterOptions(cmd: Command): Command {
  return cmd
    .option(
      '--since <time>',
      'only CDRs at or after this time: ISO 8601, epoch ms, or that long ago (30s, 15m, 2h, 1d)',
    )
    .option('--until <time>', 'only CDRs before this time (same forms as --since)')
    .option(
      '--time <which>',
      'which time --since/--until apply to: written (when the CDF stored it) or closed (recordClosingTime)',
      'written',
    )
    .option('--session <id>', 'only the CDRs of this Session-Id')
    .option('--kind <kind>', `only CDRs of this kind: ${CDR_KINDS.join(', ')}`)
    .option('--origin-host <host>', 'only CDRs of sessions this CTF (Origin-Host) reported');
}

/** A relative time: a whole number and one unit, nothing else (no sign, fraction, space or mix). */
const AGO = /^(\d+)([smhd])$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * One --since/--until value: `30s`, `15m`, `2h`, `1d` mean that long before `now` (a day is 24 hours);
 * digits alone are epoch milliseconds; anything else must be an ISO 8601 time. A bare date (2024-01-01) is
 * midnight UTC, as Date.parse reads it; anything else must carry its zone.
 */
export function parseTime(v: string | undefined, flag: string, now: Date): Date | undefined {
  if (v === undefined) return undefined;
  const ago = AGO.exec(v);
  const d = ago
    ? new Date(now.getTime() - Number(ago[1]) * UNIT_MS[ago[2]!]!)
    : /^\d+$/.test(v)
      ? new Date(Number(v))
      : new Date(v);
  if (Number.isNaN(d.getTime()))
    throw new CliError(
      `${flag}: expected an ISO 8601 time (2024-01-01T00:00:00Z), epoch milliseconds or a time ago (30s, 15m, 2h, 1d), got "${v}"`,
    );
  return d;
}

/** The store filter; relative times count back from `now`, one instant for both bounds. */
export function cdrFilter(opts: CdrFilterOptions, now: Date = new Date()): CdrFilter {
  const timeField =
    oneOf(opts.time ?? 'written', ['written', 'closed'] as const, '--time') === 'closed'
      ? 'recordClosingTime'
      : 'createdAt';
  return {
    since: parseTime(opts.since, '--since', now),
    until: parseTime(opts.until, '--until', now),
    timeField,
    sessionId: opts.session,
    kind: opts.kind === undefined ? undefined : oneOf(opts.kind, CDR_KINDS, '--kind'),
    originHost: opts.originHost,
  };
}
