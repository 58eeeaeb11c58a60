/**
 * Time (RFC 6733 §4.3.1): the 32-bit seconds field of an NTP timestamp. The value wraps on
 * 2036-02-07T06:28:16Z; the SNTP era rule (RFC 4330 §3, cited by RFC 6733) says a value with the top bit
 * clear is in 2036–2104, with the top bit set in 1968–2036.
 */
import { DiameterError } from './errors.js';

/** Seconds from 1900-01-01 to 1970-01-01. */
export const NTP_UNIX_OFFSET = 2208988800;
const TWO_32 = 4294967296;
/** The earliest and latest instants the era rule can express (1968-01-20T03:14:08Z .. 2104-02-26). */
export const TIME_MIN_UNIX = 0x80000000 - NTP_UNIX_OFFSET;
export const TIME_MAX_UNIX = 0x80000000 + TWO_32 - NTP_UNIX_OFFSET - 1;

export function ntpToUnixSeconds(ntp: number): number {
  return ntp >= 0x80000000 ? ntp - NTP_UNIX_OFFSET : ntp + TWO_32 - NTP_UNIX_OFFSET;
}

export function unixSecondsToNtp(unix: number): number {
  if (!Number.isFinite(unix) || unix < TIME_MIN_UNIX || unix > TIME_MAX_UNIX) {
    throw new DiameterError('ENCODE_BAD_VALUE', `time ${unix} s is outside 1968-01-20 .. 2104-02-26`);
  }
  return (Math.floor(unix) + NTP_UNIX_OFFSET) % TWO_32;
}

export function decodeTime(ntp: number): Date {
  return new Date(ntpToUnixSeconds(ntp) * 1000);
}

export function encodeTime(d: Date): number {
  return unixSecondsToNtp(Math.floor(d.getTime() / 1000));
}
