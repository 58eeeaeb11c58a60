/**
 * The built-in dictionary against the spec: every row of the AVP tables (base-protocol.md §7,
 * accounting-rf.md §1.3, §3.1, §3.2) and of the enumeration tables (§7.1, §4.1) is read from the spec text
 * and looked up by code/vendor and by name; the command and grouped grammars are compared rule by rule
 * with the CCF blocks of the spec; the flags of every AVP in the test vectors must match the M rule.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ANSWER_MESSAGE_GRAMMAR, BASE_COMMANDS } from '../../src/dictionary/base.js';
import { BASE_ACCOUNTING_COMMAND } from '../../src/dictionary/accounting.js';
import { builtinDictionary, defaultDictionary } from '../../src/dictionary/builtin.js';
import { grammar, rulesOf } from '../../src/dictionary/grammar.js';
import { RF_ACCOUNTING_COMMAND } from '../../src/dictionary/tgpp-rf.js';
import { UNDEFINED_GRAMMAR_NAMES } from '../../src/dictionary/tgpp-rf-grammars.js';
import type { AvpDef, Grammar, GrammarRule } from '../../src/dictionary/types.js';
import { loadVectorTables } from '../helpers/vectors.js';
import { ccfBlocks, enumPairs, section, specText, tableRows } from './spec-tables.js';

const dict = builtinDictionary();
const base = specText('base-protocol.md');
const acct = specText('accounting-rf.md');

/** Looks an AVP up both ways and checks the two agree. */
function lookup(name: string, code: number, vendorId: number): AvpDef {
  const byCode = dict.avp(code, vendorId);
  assert.ok(byCode, `${name}: no AVP ${code} for vendor ${vendorId}`);
  assert.equal(
    byCode.name.toLowerCase(),
    name.toLowerCase(),
    `AVP ${code}/${vendorId} is named ${byCode.name}`,
  );
  assert.equal(dict.avpByName(name), byCode, `${name}: lookup by name gives another definition`);
  assert.equal(dict.avpByName(name.toUpperCase()), byCode, `${name}: lookup by name is not case-insensitive`);
  return byCode;
}

describe('base protocol AVPs (base-protocol.md §7)', () => {
  const rows = tableRows(section(base, '## 7. Base AVP table')).filter((r) => /^\d+$/.test(r[1] ?? ''));

  test('the spec table has its 49 rows', () => {
    assert.equal(rows.length, 49);
  });

  test('every row: code, type, vendor 0, M rule', () => {
    for (const [name, code, type, m] of rows) {
      const def = lookup(name!, Number(code), 0);
      assert.equal(def.vendorId, 0, name);
      assert.equal(def.type, type, `${name} type`);
      assert.equal(def.mandatory, m === 'M' ? 'must' : 'mustnot', `${name} M rule (spec column "${m}")`);
    }
  });

  test('§7.1 enumerations', () => {
    const skip = new Set(['Session-Binding', 'Authorization-Lifetime']); // a bit mask and a prose rule
    let checked = 0;
    for (const [cell, values] of tableRows(section(base, '### 7.1 Base enumerations'))) {
      const m = /^([A-Za-z-]+) \((\d+)\)/.exec(cell!);
      assert.ok(m, `cannot read row "${cell}"`);
      if (skip.has(m[1]!)) continue;
      const def = lookup(m[1]!, Number(m[2]), 0);
      const pairs = enumPairs(values!);
      assert.ok(pairs.length >= 2, `${m[1]}: no values read from "${values}"`);
      for (const [v, text] of pairs) {
        const name = text.split(/\s/)[0]!.replace(/\.$/, '');
        assert.equal(dict.enumName(def, v), name, `${def.name} ${v}`);
        assert.equal(dict.enumValue(def, name), v, `${def.name} ${name}`);
      }
      assert.equal(def.enums?.size, pairs.length, `${def.name}: values beyond the spec's`);
      checked++;
    }
    assert.equal(checked, 10);
  });

  test('Result-Code names from §8 are attached for display, the type stays Unsigned32', () => {
    const def = lookup('Result-Code', 268, 0);
    assert.equal(def.type, 'Unsigned32');
    const rows8 = tableRows(section(base, '## 8. Result-Code')).filter((r) => /^\d{4}$/.test(r[0] ?? ''));
    assert.ok(rows8.length >= 30);
    for (const [code, name] of rows8)
      assert.equal(dict.enumName(def, Number(code)), name, `Result-Code ${code}`);
  });
});

describe('accounting AVPs (accounting-rf.md §1.3, §3.1)', () => {
  test('§1.3: vendor 0, M must', () => {
    const rows = tableRows(section(acct, '### 1.3 Accounting AVPs'));
    assert.equal(rows.length, 9);
    for (const [name, code, type] of rows) {
      const def = lookup(name!, Number(code), 0);
      assert.equal(def.type, type, name);
      assert.equal(def.mandatory, 'must', name);
    }
    const art = dict.avpByName('Accounting-Record-Type')!;
    assert.equal(dict.enumName(art, 4), 'STOP_RECORD');
    assert.equal(dict.enumValue(dict.avpByName('Accounting-Realtime-Required')!, 'GRANT_AND_STORE'), 2);
  });

  test('§3.1: IETF AVPs inside Rf messages', () => {
    const rows = tableRows(section(acct, '### 3.1 IETF AVPs'));
    assert.equal(rows.length, 13);
    for (const [name, code, type, m] of rows) {
      const def = lookup(name!, Number(code), 0);
      assert.equal(def.type, type, name);
      assert.equal(def.mandatory, m === 'M' ? 'must' : m, `${name} M rule`);
    }
    // The §3.1 notes name User-Equipment-Info's children and their values.
    const uei = dict.avpByName('User-Equipment-Info')!;
    assert.deepEqual(
      rulesOf(uei.grammar!).map((r) => [r.avp, r.min, r.max]),
      [
        ['User-Equipment-Info-Type', 1, 1],
        ['User-Equipment-Info-Value', 1, 1],
      ],
    );
    assert.equal(dict.avp(459)?.name, 'User-Equipment-Info-Type');
    assert.equal(dict.avp(460)?.type, 'OctetString');
    assert.equal(dict.enumName(dict.avp(459)!, 3), 'MODIFIED_EUI64');
  });
});

describe('3GPP AVPs (accounting-rf.md §3.2, §4.1)', () => {
  const rows = tableRows(section(acct, '### 3.2 3GPP AVPs')).filter((r) => /^\d+$/.test(r[1] ?? ''));

  test('every row: code, type, vendor 10415 with V, M rule', () => {
    assert.ok(rows.length >= 140, `only ${rows.length} rows read`);
    for (const [name, code, type, flags] of rows) {
      const def = lookup(name!, Number(code), 10415);
      assert.equal(def.type, type, name);
      assert.equal(def.vendorId, 10415);
      assert.ok(flags === 'V M' || flags === 'V —', `${name}: unexpected flags column "${flags}"`);
      assert.equal(def.mandatory, flags === 'V M' ? 'must' : 'mustnot', `${name} M rule`);
    }
    // Not a vendor-0 AVP: the same code without the vendor is something else or nothing.
    assert.equal(dict.avp(873, 0), undefined);
    assert.equal(dict.avp(2, 0), undefined);
  });

  test('§4.1 enumerations', () => {
    let checked = 0;
    for (const [cell, values] of tableRows(section(acct, '### 4.1 Values'))) {
      const m = /^([A-Za-z0-9-]+) \((\d+)/.exec(cell!);
      assert.ok(m, `cannot read row "${cell}"`);
      if (m[1] === 'Cause-Code') continue; // prose, checked below
      const def = dict.avp(Number(m[2]), m[1] === 'Subscription-Id-Type' ? 0 : 10415);
      assert.ok(def, m[1]);
      assert.equal(def.name, m[1]);
      const pairs = enumPairs(values!);
      assert.ok(pairs.length >= 2, `${m[1]}: no values read`);
      for (const [v, name] of pairs) assert.equal(dict.enumName(def, v), name, `${def.name} ${v}`);
      checked++;
    }
    assert.equal(checked, 16);
    const cause = dict.avpByName('Cause-Code')!;
    assert.equal(cause.type, 'Integer32');
    assert.equal(dict.enumName(cause, -1), 'Successful transaction');
    assert.equal(dict.enumName(cause, 0), 'Normal end of session');
  });

  test('3GPP2-BSID is a 3GPP2 (5535) AVP', () => {
    assert.equal(dict.avp(9010, 5535)?.name, '3GPP2-BSID');
    assert.equal(dict.vendor(5535)?.name, '3GPP2');
  });
});

describe('test vectors: every AVP is known, with the flags its M rule gives', () => {
  for (const [name, table] of loadVectorTables()) {
    test(name, () => {
      for (const row of table.avps) {
        const vendorId = row.vendorId ?? 0;
        const def = dict.avp(row.code, vendorId);
        assert.ok(def, `${row.name} (${row.code}/${vendorId}) unknown`);
        assert.equal(def.name, row.name);
        assert.equal((row.flags & 0x80) !== 0, vendorId !== 0, `${row.name} V bit`);
        const m = (row.flags & 0x40) !== 0;
        assert.equal(def.mandatory, m ? 'must' : 'mustnot', `${row.name}: flags 0x${row.flags.toString(16)}`);
        if (row.value === '(grouped)') assert.ok(def.grammar, `${row.name} has no grammar to check it with`);
      }
    });
  }
});

/** Rules as comparable tuples, sorted by kind then name. */
function shape(g: Grammar): string[] {
  const f = (kind: string, rules: GrammarRule[]): string[] =>
    rules.map((r) => `${kind} ${r.min}*${r.max} ${r.avp.toLowerCase()}`);
  return [...f('fixed', g.fixed), ...f('required', g.required).sort(), ...f('optional', g.optional).sort()];
}

const ANY = { avp: '*', min: 0, max: Infinity };

describe('command grammars equal the spec', () => {
  const blocks = ccfBlocks(section(base, '### 6.1 Grammars'));

  test('base commands (§6.1)', () => {
    assert.equal(BASE_COMMANDS.length, 6);
    for (const c of BASE_COMMANDS) {
      for (const [abbrev, g] of [
        [c.requestAbbrev, c.request],
        [c.answerAbbrev, c.answer],
      ] as const) {
        const text = blocks.get(abbrev);
        assert.ok(text, `no <${abbrev}> in the spec`);
        assert.ok(text.includes(`Diameter Header: ${c.code}`), `${abbrev} code`);
        assert.equal(/\bPXY\b/.test(text), c.proxiable, `${abbrev} PXY`);
        assert.deepEqual(shape(g), shape(grammar(text)), abbrev);
      }
      assert.equal(dict.command(c.code, 0), c);
      assert.equal(dict.commandByName(c.requestAbbrev), c);
      assert.equal(dict.commandByName(c.name.toUpperCase()), c);
    }
  });

  test('answer-message', () => {
    assert.deepEqual(shape(ANSWER_MESSAGE_GRAMMAR), shape(grammar(blocks.get('answer-message')!)));
    assert.deepEqual(ANSWER_MESSAGE_GRAMMAR.fixed, [{ avp: 'Session-Id', min: 0, max: 1 }]);
  });

  test('grouped base AVPs; Vendor-Specific-Application-Id accepts several Vendor-Id on receive', () => {
    for (const name of ['Proxy-Info', 'Failed-AVP', 'Experimental-Result']) {
      assert.deepEqual(shape(dict.avpByName(name)!.grammar!), shape(grammar(blocks.get(name)!)), name);
    }
    const vsai = grammar(blocks.get('Vendor-Specific-Application-Id')!);
    vsai.required[0] = { avp: 'Vendor-Id', min: 1, max: Infinity };
    assert.deepEqual(shape(dict.avpByName('Vendor-Specific-Application-Id')!.grammar!), shape(vsai));
  });

  test('RFC 6733 ACR/ACA (accounting-rf.md §1.2)', () => {
    const b = ccfBlocks(section(acct, '### 1.2 Grammars'));
    assert.deepEqual(shape(BASE_ACCOUNTING_COMMAND.request), shape(grammar(b.get('ACR')!)));
    assert.deepEqual(shape(BASE_ACCOUNTING_COMMAND.answer), shape(grammar(b.get('ACA')!)));
  });

  test('Rf ACR/ACA (accounting-rf.md §2.1) is the command of application 3', () => {
    const b = ccfBlocks(section(acct, '### 2.1 Rf grammars'));
    assert.deepEqual(shape(RF_ACCOUNTING_COMMAND.request), shape(grammar(b.get('ACR')!)));
    assert.deepEqual(shape(RF_ACCOUNTING_COMMAND.answer), shape(grammar(b.get('ACA')!)));
    const acr = dict.command(271, 3)!;
    assert.equal(acr, RF_ACCOUNTING_COMMAND);
    assert.equal(dict.commandByName('ACR'), RF_ACCOUNTING_COMMAND);
    assert.equal(acr.proxiable, true);
    // With the RFC 6733 option, application 3 gets the base grammar and the 3GPP AVPs stay.
    const plain = builtinDictionary({ accounting: 'rfc6733' });
    assert.equal(plain.command(271, 3), BASE_ACCOUNTING_COMMAND);
    assert.equal(plain.avp(873, 10415)?.name, 'Service-Information');
  });

  test('grouped 3GPP grammars (accounting-rf.md §2.2), each open to other AVPs', () => {
    const b = ccfBlocks(section(acct, '### 2.2 Grouped grammars'));
    assert.ok(b.size >= 11);
    for (const [name, text] of b) {
      const def = dict.avpByName(name);
      assert.ok(def?.grammar, `${name} has no grammar`);
      // The spec abridges PS-Information with a "... omitted" line.
      const expected = grammar(
        text
          .split('\n')
          .filter((l) => !l.trim().startsWith('...'))
          .join('\n'),
      );
      if (def.vendorId === 10415) expected.optional.push(ANY);
      assert.deepEqual(shape(def.grammar), shape(expected), name);
      assert.ok(text.includes(`AVP Header: ${def.code}`), `${name} code`);
    }
  });
});

describe('dictionary content', () => {
  test('every grammar name resolves, except the documented undefined ones', () => {
    const unresolved = new Set<string>();
    const check = (g: Grammar): void => {
      for (const r of rulesOf(g)) if (r.avp !== '*' && !dict.avpByName(r.avp)) unresolved.add(r.avp);
    };
    for (const a of dict.allAvps()) if (a.grammar) check(a.grammar);
    for (const c of dict.allCommands()) {
      check(c.request);
      check(c.answer);
    }
    check(ANSWER_MESSAGE_GRAMMAR);
    assert.deepEqual([...unresolved].sort(), [...UNDEFINED_GRAMMAR_NAMES].sort());
  });

  test('grammars only on Grouped AVPs, enumerations only on integer types', () => {
    for (const a of dict.allAvps()) {
      if (a.grammar) assert.equal(a.type, 'Grouped', a.name);
      if (a.enums) assert.ok(['Enumerated', 'Integer32', 'Unsigned32'].includes(a.type), a.name);
      assert.match(a.source ?? '', /^builtin:/, a.name);
    }
  });

  test('applications and vendors', () => {
    assert.equal(dict.application(0)?.name, 'Diameter Common Messages');
    assert.equal(dict.application(3)?.kind, 'acct');
    assert.equal(dict.application(4)?.name, 'Diameter Credit Control');
    assert.equal(dict.application(0xffffffff)?.name, 'Relay');
    assert.equal(dict.applicationByName('relay')?.id, 0xffffffff);
    assert.deepEqual(
      [0, 10415, 5535, 13019].map((id) => dict.vendor(id)?.name),
      ['IETF', '3GPP', '3GPP2', 'ETSI'],
    );
  });

  test('base commands serve any application; unknown ones are undefined', () => {
    assert.equal(dict.command(258, 16777238)?.requestAbbrev, 'RAR');
    assert.equal(dict.command(280, 0)?.answerAbbrev, 'DWA');
    assert.equal(dict.command(272, 3), undefined);
  });

  test('builtinDictionary() is fresh each time, defaultDictionary() is shared', () => {
    const a = builtinDictionary();
    a.add({ avps: [{ name: 'Test-Only', code: 99990, vendorId: 0, type: 'Unsigned32', mandatory: 'may' }] });
    assert.equal(builtinDictionary().avpByName('Test-Only'), undefined);
    assert.equal(defaultDictionary(), defaultDictionary());
    assert.equal(defaultDictionary().avpByName('Test-Only'), undefined);
    assert.equal(defaultDictionary().command(271, 3), RF_ACCOUNTING_COMMAND);
  });

  test('resolver gives the codec the types by number', () => {
    assert.equal(dict.resolve(873, 10415)?.type, 'Grouped');
    assert.equal(dict.resolve(363, 0)?.type, 'Unsigned64');
    assert.equal(dict.resolve(873, 0), undefined);
  });
});
