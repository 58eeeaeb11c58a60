/**
 * ISO 8601 text of an instant, as `Date.prototype.toISOString` writes it, made in JavaScript. V8 formats a
 * date through C's printf; a CDR writes about ten instants (the ACRs' Time AVPs in the JSON form, the
 * record's opening and closing times), where that formatting was a tenth of building the record.
 */

/** Two-digit text of 0..99. */
const TWO = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : `${i}`));

/** Milliseconds of one day. */
const DAY = 86_400_000;
/** The instants of years 0000 and 9999: outside them toISOString writes a signed six-digit year. */
const MIN = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z (Date.UTC reads years 0..99 as 19xx)
const MAX = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** `new Date(ms).toISOString()` (it throws a RangeError for an invalid instant, as toISOString does). */
export function isoTime(ms: number): string {
  return format(ms, false);
}

/** isoTime without the milliseconds when they are zero: the JSON form of a Diameter Time (whole seconds). */
export function isoTimeSeconds(ms: number): string {
  return format(ms, true);
}

function format(ms: number, dropZeroMillis: boolean): string {
  if (!(ms >= MIN && ms <= MAX) || !Number.isInteger(ms)) {
    const t = new Date(ms).toISOString();
    return dropZeroMillis ? t.replace('.000Z', 'Z') : t;
  }
  const days = Math.floor(ms / DAY);
  let rest = ms - days * DAY;
  // Civil date from a day count (proleptic Gregorian calendar, eras of 400 years from 0000-03-01).
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  const milli = rest - s * 1000;
  const y = year >= 1000 ? `${year}` : `000${year}`.slice(-4);
  const hms = `${y}-${TWO[month]}-${TWO[day]}T${TWO[h]}:${TWO[m]}:${TWO[s]}`;
  if (milli === 0 && dropZeroMillis) return `${hms}Z`;
  return `${hms}.${milli >= 100 ? '' : milli >= 10 ? '0' : '00'}${milli}Z`;
}
