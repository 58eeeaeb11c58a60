/**
 * Fixtures of the CdrStore contract (store-contract.ts): the store factory a backend hands in, records
 * with plain defaults, fixed times, and the small helpers the contract's tests share.
 */
import assert from 'node:assert/strict';
import { DiameterError } from '../../src/codec/errors.js';
import type { AccountingSession, Cdr, CdrStore } from '../../src/cdf/store.js';

export interface StoreFixture {
  /** A store over storage of its own, empty, not opened. */
  store: CdrStore;
  /** A new store object over the same storage (call after closing `store`), not opened. */
  reopen(): CdrStore;
}

export type StoreFactory = () => Promise<StoreFixture>;

/** storeContract's `fresh`: opens a fresh store and closes whatever the test opened at its end. */
export type FreshStore = (t: {
  after(fn: () => Promise<void>): void;
}) => Promise<StoreFixture & { opened: CdrStore[] }>;

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0, 123);
export const at = (seconds: number): Date => new Date(T0 + seconds * 1000);
export const U64_MAX = 18446744073709551615n;

export function session(sessionId: string, over: Partial<AccountingSession> = {}): AccountingSession {
  return {
    sessionId,
    originHost: 'ctf1.example.com',
    originRealm: 'example.com',
    state: 'open',
    recordType: 2,
    lastRecordNumber: 0,
    openedAt: at(0),
    lastSeenAt: at(0),
    partialSequence: 0,
    counters: {},
    anomalies: [],
    data: {},
    ...over,
  };
}

export function cdr(id: string, over: Partial<Cdr> = {}): Cdr {
  return {
    id,
    kind: 'ims',
    sessionId: `sess-${id}`,
    recordOpeningTime: at(0),
    recordClosingTime: at(60),
    duration: 60,
    causeForRecordClosing: 0,
    servedParty: [],
    originHost: 'ctf1.example.com',
    anomalies: [],
    fields: {},
    rawAvps: [],
    createdAt: at(61),
    ...over,
  };
}

/** The CDR as read back: everything given plus the seq the store assigned. */
export function withoutSeq(c: Cdr): Cdr {
  const { seq: _seq, ...rest } = c;
  return rest;
}

export async function rejectsWith(p: Promise<unknown>, code: string, resultCode: number): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DiameterError, `expected a DiameterError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.resultCode, resultCode);
    return true;
  });
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
