/**
 * isoTime / isoTimeSeconds write what Date.prototype.toISOString writes (the CDF formats a CDR's
 * instants with them): on random instants over the whole range a Date can hold, the edges of the
 * four-digit years, and the instants toISOString refuses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isoTime, isoTimeSeconds } from '../../src/codec/iso-time.js';

const LIMIT = 8.64e15; // the largest instant a Date holds, either side of 1970

function same(ms: number): void {
  assert.equal(isoTime(ms), new Date(ms).toISOString(), `${ms}`);
  assert.equal(isoTimeSeconds(ms), new Date(ms).toISOString().replace('.000Z', 'Z'), `${ms} (seconds)`);
}

test('random instants: the same text as toISOString', () => {
  fc.assert(
    fc.property(fc.integer({ min: -LIMIT, max: LIMIT }), (ms) => same(ms)),
    { numRuns: 2000 },
  );
  // Diameter Time's whole range (1968..2104), where the CDF's instants are, in whole seconds and not.
  fc.assert(
    fc.property(fc.integer({ min: -63_000_000, max: 4_233_000_000 }), fc.integer({ min: 0, max: 999 }), fc.boolean(), (s, milli, whole) =>
      same(s * 1000 + (whole ? 0 : milli)),
    ),
    { numRuns: 2000 },
  );
});

test('edges: years 0000 and 9999, leap days, the epoch, month and year ends', () => {
  for (const t of [
    '0000-01-01T00:00:00.000Z',
    '0000-02-29T12:00:00.000Z',
    '0001-01-01T00:00:00.000Z',
    '0999-12-31T23:59:59.999Z',
    '1000-01-01T00:00:00.000Z',
    '1900-02-28T23:59:59.000Z',
    '1900-03-01T00:00:00.000Z',
    '1969-12-31T23:59:59.999Z',
    '1970-01-01T00:00:00.000Z',
    '2000-02-29T00:00:00.010Z',
    '2036-02-07T06:28:16.000Z',
    '2100-02-28T23:59:59.100Z',
    '2100-03-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z',
  ]) {
    const ms = Date.parse(t);
    same(ms);
    assert.equal(isoTime(ms), t);
    same(ms - 1);
    same(ms + 1);
  }
  // Outside four-digit years toISOString writes a signed six-digit year.
  same(Date.parse('0000-01-01T00:00:00.000Z') - 1);
  same(Date.parse('+010000-01-01T00:00:00.000Z'));
  same(1.5); // a fraction of a millisecond: a Date drops it
});

test('an invalid instant throws the RangeError toISOString throws', () => {
  for (const ms of [NaN, Infinity, -Infinity, LIMIT + 1]) {
    assert.throws(() => isoTime(ms), RangeError);
    assert.throws(() => isoTimeSeconds(ms), RangeError);
  }
});
