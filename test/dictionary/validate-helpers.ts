/**
 * Shared by the validateMessage tests (validate-*.test.ts): AVP and message builders, an Rf ACR valid
 * for its grammar with numeric codes taken from the spec tables, and the check of a DiameterError's
 * code, Result-Code and path.
 */
import assert from 'node:assert/strict';
import type { DiameterError } from '../../src/codec/errors.js';
import type { Avp, Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';

export const dict = builtinDictionary();
export const M = 0x40;
export const VM = 0xc0;
export const TGPP = 10415;
export const R = 0x80;
export const P = 0x40;
export const E = 0x20;

export const num = (code: number, value: number, flags = M, vendorId = 0): Avp => ({
  code,
  flags,
  vendorId,
  value,
});
export const str = (code: number, value: string, flags = M, vendorId = 0): Avp => ({
  code,
  flags,
  vendorId,
  value,
});
export const grp = (code: number, avps: Avp[], flags = M, vendorId = 0): Avp => ({
  code,
  flags,
  vendorId,
  avps,
});
export const tgpp = {
  num: (code: number, value: number) => num(code, value, VM, TGPP),
  str: (code: number, value: string) => str(code, value, VM, TGPP),
  grp: (code: number, avps: Avp[]) => grp(code, avps, VM, TGPP),
};

export function message(flags: number, commandCode: number, applicationId: number, avps: Avp[]): Message {
  return { version: 1, flags, commandCode, applicationId, hopByHopId: 1, endToEndId: 2, avps };
}

/** An IMS ACR START (codes from accounting-rf.md §1.3, §3.1, §3.2), valid for the Rf grammar. */
export function imsInformation(extra: Avp[] = []): Avp {
  return tgpp.grp(876, [
    tgpp.num(862, 0), // Node-Functionality S-CSCF
    tgpp.grp(823, [tgpp.str(824, 'INVITE')]), // Event-Type { SIP-Method }
    tgpp.num(829, 0), // Role-Of-Node
    ...extra,
  ]);
}
export function serviceInformation(ims: Avp = imsInformation(), subscriptionId?: Avp): Avp {
  return tgpp.grp(873, [subscriptionId ?? grp(443, [num(450, 2), str(444, 'sip:alice@example.com')]), ims]);
}
export function acrAvps(service: Avp = serviceInformation()): Avp[] {
  return [
    str(263, 'ctf.example.com;1;1'), // Session-Id
    str(264, 'ctf.example.com'), // Origin-Host
    str(296, 'example.com'), // Origin-Realm
    str(283, 'example.net'), // Destination-Realm
    num(480, 2), // Accounting-Record-Type START
    num(485, 0), // Accounting-Record-Number
    num(259, 3), // Acct-Application-Id
    str(461, '32260@3gpp.org'), // Service-Context-Id
    service,
  ];
}
export const acr = (avps: Avp[] = acrAvps()): Message => message(R | P, 271, 3, avps);

/** base-protocol.md §9.4 nesting: copies of Service-Information and IMS-Information holding only `inner`. */
export function inServiceAndImsInformation(inner: Avp): Avp {
  const copy = (code: number, avps: Avp[]): Avp => ({
    code,
    flags: VM,
    vendorId: TGPP,
    type: 'Grouped',
    avps,
  });
  return copy(873, [copy(876, [inner])]);
}

export function expectError(
  e: DiameterError | undefined,
  code: string,
  resultCode: number,
  path: string,
): asserts e is DiameterError {
  assert.ok(e, `expected ${code}, got no error`);
  assert.equal(e.code, code, e.message);
  assert.equal(e.resultCode, resultCode);
  assert.equal(e.path, path);
}
