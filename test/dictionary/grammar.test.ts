/**
 * The CCF reader (RFC 6733 §3.2 qualifier rules) and the enumeration reader used to write the built-in
 * dictionary. Expected rule objects are written out by hand from the RFC's rules.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DiameterError } from '../../src/codec/errors.js';
import { ANY_AVP, avpMaker, ccf, enums, grammar, rulesOf } from '../../src/dictionary/grammar.js';

describe('grammar()', () => {
  test('every rule kind and qualifier', () => {
    const g = grammar(`
      <ACR> ::= < Diameter Header: 271, REQ, PXY >   ; the header line is skipped
         < Session-Id >
      0*1< Other-Fixed >
         { Origin-Host }
      1* { Host-IP-Address }
      2*5{ Range }
       * { Star-Required }
         [ Optional ]
       * [ Many ]
      *3 [ Up-To-Three ]
      *0 [ Forbidden ]
      0*0[ Also-Forbidden ]
       * [ AVP ]
    `);
    assert.deepEqual(g.fixed, [
      { avp: 'Session-Id', min: 1, max: 1 },
      { avp: 'Other-Fixed', min: 0, max: 1 },
    ]);
    assert.deepEqual(g.required, [
      { avp: 'Origin-Host', min: 1, max: 1 },
      { avp: 'Host-IP-Address', min: 1, max: Infinity },
      { avp: 'Range', min: 2, max: 5 },
      { avp: 'Star-Required', min: 1, max: Infinity },
    ]);
    assert.deepEqual(g.optional, [
      { avp: 'Optional', min: 0, max: 1 },
      { avp: 'Many', min: 0, max: Infinity },
      { avp: 'Up-To-Three', min: 0, max: 3 },
      { avp: 'Forbidden', min: 0, max: 0 },
      { avp: 'Also-Forbidden', min: 0, max: 0 },
      { avp: ANY_AVP, min: 0, max: Infinity },
    ]);
  });

  test('a fixed rule with a bare "*" has min 0 (RFC 6733 §3.2 default for fixed rules)', () => {
    assert.deepEqual(grammar('* < Session-Id >').fixed, [{ avp: 'Session-Id', min: 0, max: Infinity }]);
  });

  test('"1* { AVP }" is a required wildcard (Failed-AVP)', () => {
    assert.deepEqual(grammar('1* { AVP }').required, [{ avp: ANY_AVP, min: 1, max: Infinity }]);
  });

  test('the template tag and rulesOf', () => {
    const g = ccf`
      [ B ]
      { A }
      < F >`;
    assert.deepEqual(
      rulesOf(g).map((r) => r.avp),
      ['F', 'A', 'B'],
    );
  });

  test('malformed grammars are refused with DICTIONARY_BAD_FILE', () => {
    for (const bad of [
      '{ Origin-Host ]', // brackets do not match
      '1* [ Optional ]', // an optional rule cannot have a minimum
      '5*2 { X }', // min above max
      '{ X }\n[ x ]', // the same AVP twice (names are case-insensitive)
      'Origin-Host', // no brackets
      '{ Two Words }',
    ]) {
      assert.throws(
        () => grammar(bad),
        (e: unknown) => e instanceof DiameterError && e.code === 'DICTIONARY_BAD_FILE',
        bad,
      );
    }
  });
});

describe('enums()', () => {
  test('names with spaces and negative values', () => {
    const m = enums('0 Normal end of session, -1 Successful transaction, 2 SMS Router and IP-SM-GW, 10 X');
    assert.deepEqual(
      [...m],
      [
        [0, 'Normal end of session'],
        [-1, 'Successful transaction'],
        [2, 'SMS Router and IP-SM-GW'],
        [10, 'X'],
      ],
    );
  });

  test('a value given twice, or an item without a value, is refused', () => {
    assert.throws(() => enums('0 A, 0 B'), DiameterError);
    assert.throws(() => enums('A, 1 B'), DiameterError);
  });
});

test('avpMaker fills vendor, source and the M rule', () => {
  const t = avpMaker(10415, 'builtin:test');
  assert.deepEqual(t('X', 1, 'Unsigned32'), {
    name: 'X',
    code: 1,
    vendorId: 10415,
    type: 'Unsigned32',
    mandatory: 'must',
    source: 'builtin:test',
  });
  assert.equal(t('Y', 2, 'OctetString', 'mustnot').mandatory, 'mustnot');
});
