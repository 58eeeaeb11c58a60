/**
 * Wireshark XML dictionaries: the entity includes, vendor names, typedefn chains, enums and grouped AVPs
 * of the format (fixtures written for these tests), merging with the built-in dictionary, and Wireshark's
 * own dictionary as the Debian `tshark` package installs it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDiameterError } from '../../src/codec/errors.js';
import { decodeMessage } from '../../src/codec/message.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { Dictionary } from '../../src/dictionary/dictionary.js';
import { loadDictionaryFile } from '../../src/dictionary/load.js';
import { messageToJson } from '../../src/dictionary/message-format.js';
import { parseWiresharkDictionary } from '../../src/dictionary/wireshark-xml.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/dictionaries/', import.meta.url));
const MAIN = join(FIXTURES, 'wireshark', 'dictionary.xml');
const ACME_XML = join(FIXTURES, 'wireshark', 'Acme.xml');
const BETA_XML = join(FIXTURES, 'wireshark', 'sub', 'Beta.xml');
const ACME = 99999;
const TGPP = 10415;

/** Runs `f`, expecting a DiameterError with `code`; returns its message. */
function errorOf(code: string, f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(isDiameterError(e), `expected a DiameterError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e.message;
  }
  assert.fail(`expected ${code}`);
}

describe('Wireshark XML fixture, parsed on its own', () => {
  const { data, warnings } = parseWiresharkDictionary(MAIN);
  const avp = (name: string) => data.avps.find((a) => a.name === name);

  test('expands external entities relative to the including file, in document order', () => {
    // Acme.xml sits beside dictionary.xml, Beta.xml in sub/: both contribute, each as its own source.
    assert.equal(avp('Acme-Counter')?.source, ACME_XML);
    assert.equal(avp('Beta-Level')?.source, BETA_XML);
    assert.equal(avp('Result-Code')?.source, MAIN);
    // The first declaration of an entity binds (XML 1.0 §4.2): the second &Acme; (not-used.xml) is ignored,
    // and "&Unused;" inside a comment is not a reference (it is declared nowhere).
    assert.ok(data.avps.every((a) => a.source === MAIN || a.source === ACME_XML || a.source === BETA_XML));
  });

  test('resolves vendor names through <vendor> elements, across fragments', () => {
    assert.deepEqual(
      data.vendors.map((v) => [v.id, v.name]),
      [
        [TGPP, '3GPP'],
        [ACME, 'Acme Corp'],
      ],
      'vendor 0 ("None") is the IETF, not registered',
    );
    assert.equal(
      avp('Acme-Counter')?.vendorId,
      ACME,
      'inside <vendor> without vendor-id: the enclosing vendor',
    );
    assert.equal(avp('Acme-Mode')?.vendorId, ACME);
    assert.equal(avp('Acme-Note')?.vendorId, ACME, 'Beta.xml uses the vendor Acme.xml declared');
    assert.equal(avp('Beta-Level')?.vendorId, TGPP, 'TGPP declared in the main file');
    assert.equal(avp('Result-Code')?.vendorId, 0);
    assert.equal(avp('Beta-Unknown-Vendor'), undefined);
    assert.ok(
      warnings.some(
        (w) => w.startsWith(`${BETA_XML}:11:`) && w.includes('Beta-Unknown-Vendor') && w.includes('Nobody'),
      ),
      warnings.join('\n'),
    );
  });

  test('maps type names, following typedefn chains; unknown types become OctetString with a warning', () => {
    assert.equal(avp('Acme-Counter')?.type, 'Unsigned32', 'AcmeCounterType → AppId → Unsigned32');
    assert.equal(avp('Acme-Address')?.type, 'Address', 'IPAddress is the Address format');
    assert.equal(avp('Acme-Note')?.type, 'UTF8String');
    assert.equal(avp('Acme-Start')?.type, 'Time');
    assert.equal(avp('Acme-Hex-Code')?.type, 'Unsigned64');
    assert.equal(avp('Acme-Hex-Code')?.code, 16, 'code="0x10"');
    assert.equal(avp('Acme-Opaque')?.type, 'OctetString');
    assert.ok(
      warnings.some((w) => w.startsWith(`${ACME_XML}:30:`) && w.includes('AcmeOpaque')),
      warnings.join('\n'),
    );
  });

  test('reads enums (trimmed names, negative values) and flag rules', () => {
    const mode = avp('Acme-Mode');
    assert.equal(mode?.type, 'Enumerated');
    assert.deepEqual(
      [...(mode?.enums ?? [])],
      [
        [0, 'OFF'],
        [1, 'ON'],
        [-1, 'MINUS_ONE'],
      ],
    );
    assert.equal(mode?.mandatory, 'mustnot');
    assert.equal(avp('Acme-Counter')?.mandatory, 'must');
    assert.equal(avp('Acme-Group')?.mandatory, 'may', 'shouldnot: not set when we encode');
    assert.equal(avp('Acme-Group')?.protected, 'mustnot');
    assert.equal(avp('Acme-Address')?.mandatory, 'may', 'the DTD default');
  });

  test('grouped AVPs list their members and allow any other; unknown members are left out', () => {
    const g = avp('Acme-Group');
    assert.equal(g?.type, 'Grouped');
    assert.deepEqual(g?.grammar?.fixed, []);
    assert.deepEqual(g?.grammar?.required, []);
    assert.deepEqual(
      g?.grammar?.optional.map((r) => [r.avp, r.min, r.max]),
      [
        ['Acme-Counter', 0, Infinity],
        ['Acme-Mode', 0, Infinity],
        ['Acme-Note', 0, Infinity],
        ['Origin-Host', 0, Infinity],
        ['*', 0, Infinity],
      ],
    );
    assert.ok(
      warnings.some((w) => w.includes('No-Such-Avp')),
      warnings.join('\n'),
    );
  });

  test('within one dictionary a later duplicate replaces the earlier one, with a warning naming both places', () => {
    assert.equal(avp('Acme-Note-Old'), undefined);
    assert.equal(data.avps.filter((a) => a.code === 5 && a.vendorId === ACME).length, 1);
    const w = warnings.find((x) => x.includes('Acme-Note-Old'));
    assert.ok(w?.startsWith(`${BETA_XML}:5:`) && w.includes(`${ACME_XML}:26`), w);
  });

  test('commands get their application, long abbreviations and permissive grammars', () => {
    const q = data.commands.find((c) => c.name === 'Beta-Query');
    assert.equal(q?.code, 8388999);
    assert.equal(q?.applicationId, 16777999);
    assert.equal(q?.requestAbbrev, 'Beta-Query-Request');
    assert.equal(q?.answerAbbrev, 'Beta-Query-Answer');
    assert.equal(q?.proxiable, true);
    assert.deepEqual(q?.request, {
      fixed: [],
      required: [],
      optional: [{ avp: '*', min: 0, max: Infinity }],
    });
    assert.equal(
      data.commands.find((c) => c.code === 257)?.proxiable,
      false,
      'RFC 6733 §5.3: CER is not proxiable',
    );
    assert.equal(
      data.applications.find((a) => a.id === 16777999)?.name,
      'Beta & Co Application',
      '&amp; decoded',
    );
  });
});

describe('Wireshark XML merged into the built-in dictionary', () => {
  test('same name and number merge: the built-in definition stays, only new enum values are added', () => {
    const d = builtinDictionary();
    const before = d.avpByName('Result-Code')!;
    const cer = d.commandByName('CER')!;
    const report = loadDictionaryFile(MAIN, d);
    assert.equal(report.format, 'wireshark-xml');
    assert.equal(report.merged, 2, 'Result-Code and Origin-Host');

    const rc = d.avpByName('Result-Code')!;
    assert.equal(rc.type, before.type, 'Wireshark says Enumerated; the built-in type is kept');
    assert.equal(rc.enums?.get(2001), before.enums?.get(2001), 'the built-in value name is kept');
    assert.equal(rc.enums?.get(4999), 'ACME_TEST_ONLY');
    assert.equal(d.avpByName('Origin-Host')?.source, 'builtin:rfc6733');
    assert.ok(report.warnings.some((w) => w.includes('Result-Code') && w.includes('Enumerated')));

    assert.equal(d.commandByName('CER'), cer, 'the built-in CER (with its grammar) stays');
    assert.equal(d.commandByName('Capabilities-Exchange'), cer);
    assert.equal(d.vendor(TGPP)?.source, 'builtin:rfc6733');

    assert.equal(d.avp(1, ACME)?.name, 'Acme-Counter');
    assert.equal(d.avp(5, ACME)?.name, 'Acme-Note');
    assert.equal(d.vendor(ACME)?.name, 'Acme Corp');
    assert.equal(d.commandByName('Beta-Query-Request')?.code, 8388999);
  });

  test('another name for a loaded AVP number is reported naming both names and both files', () => {
    const file = join(FIXTURES, 'wireshark-conflict.xml');
    // Default: kept out, reported as a warning.
    const d = builtinDictionary();
    const report = loadDictionaryFile(file, d);
    const w = report.warnings.find((x) => x.startsWith('conflict:'));
    assert.ok(w, report.warnings.join('\n'));
    for (const part of ['AVP 263', 'Session-Id', 'builtin:rfc6733', 'Acme-Session', file])
      assert.ok(w.includes(part), w);
    assert.equal(d.avp(263)?.name, 'Session-Id');
    assert.equal(d.avpByName('Acme-Session'), undefined);
    assert.equal(d.avpByName('Acme-Fine')?.code, 88001, 'the rest of the file still loads');

    // Strict: an error with the same facts.
    const msg = errorOf('DICTIONARY_CONFLICT', () =>
      loadDictionaryFile(file, builtinDictionary(), { wiresharkConflicts: 'error' }),
    );
    for (const part of ['AVP 263', 'Session-Id', 'builtin:rfc6733', 'Acme-Session', file])
      assert.ok(msg.includes(part), msg);
  });
});

describe('malformed Wireshark XML', () => {
  const broken = (name: string) => join(FIXTURES, 'broken', name);

  test('an undeclared entity names the file, line and entity', () => {
    const msg = errorOf('DICTIONARY_BAD_FILE', () =>
      parseWiresharkDictionary(broken('undeclared-entity.xml')),
    );
    assert.match(msg, /undeclared-entity\.xml:4: entity &Missing; is not declared/);
  });

  test('a missing included file names it and the file that includes it', () => {
    const msg = errorOf('DICTIONARY_BAD_FILE', () => parseWiresharkDictionary(broken('missing-include.xml')));
    assert.ok(
      msg.includes(broken('gone.xml')) &&
        msg.includes('included from') &&
        msg.includes('missing-include.xml'),
      msg,
    );
  });

  test('a file that includes itself is refused', () => {
    const msg = errorOf('DICTIONARY_BAD_FILE', () => parseWiresharkDictionary(broken('self-include.xml')));
    assert.match(msg, /includes itself/);
  });

  test('an unclosed element names where it was opened', () => {
    const msg = errorOf('DICTIONARY_BAD_FILE', () => parseWiresharkDictionary(broken('unclosed.xml')));
    assert.match(msg, /unclosed\.xml:6: <\/base> does not close <avp> opened at line 4/);
  });
});

// ---------------------------------------------------------------------------------------------------
// Wireshark's own dictionary (Debian package tshark / libwireshark-data).

const WIRESHARK_DICTIONARY = '/usr/share/wireshark/diameter/dictionary.xml';

function requireWiresharkDictionary(t: TestContext): boolean {
  if (existsSync(WIRESHARK_DICTIONARY)) return true;
  const reason = `needs ${WIRESHARK_DICTIONARY} (Debian package tshark, installed by .ci/run)`;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${reason}`);
  t.skip(reason);
  return false;
}

/** AVPs that the built-in dictionary does not define, as TS 29.229/29.329 and RFC 2865 give them. */
const WIRESHARK_ONLY = [
  { name: 'Public-Identity', code: 601, vendorId: TGPP, type: 'UTF8String' }, // TS 29.229 §6.3.2
  { name: 'User-Identity', code: 700, vendorId: TGPP, type: 'Grouped' }, // TS 29.329 §6.3.1
  { name: 'MSISDN', code: 701, vendorId: TGPP, type: 'OctetString' }, // TS 29.329 §6.3.2
  { name: 'Service-Type', code: 6, vendorId: 0, type: 'Enumerated' }, // RFC 2865 §5.6
  { name: 'Framed-IP-Address', code: 8, vendorId: 0, type: 'Address' }, // IPAddress in Wireshark
] as const;

describe("Wireshark's own dictionary.xml", () => {
  test('loads into an empty dictionary', (t) => {
    if (!requireWiresharkDictionary(t)) return;
    const d = new Dictionary();
    const report = loadDictionaryFile(WIRESHARK_DICTIONARY, d);
    t.diagnostic(`added ${JSON.stringify(report.added)}, ${report.warnings.length} warnings`);
    assert.ok(report.added.avps > 1000, `only ${report.added.avps} AVPs`);
    for (const x of WIRESHARK_ONLY) {
      const def = d.avpByName(x.name);
      assert.equal(def?.code, x.code, x.name);
      assert.equal(def?.vendorId, x.vendorId, x.name);
      assert.equal(def?.type, x.type, x.name);
    }
    assert.equal(d.avpByName('Service-Type')?.enums?.get(2), 'Framed', 'RFC 2865 §5.6: 2 Framed');
    const members = d.avpByName('User-Identity')?.grammar?.optional.map((r) => r.avp);
    assert.deepEqual(members, ['Public-Identity', 'MSISDN', '*']);
    assert.equal(d.vendor(TGPP)?.name, '3GPP');
    assert.equal(d.command(306, 16777217)?.name, 'User-Data', 'TS 29.329 §6.1.1: UDR is 306 in Sh');
  });

  test('loads on top of the built-in dictionary without changing what the built-in defines', (t) => {
    if (!requireWiresharkDictionary(t)) return;
    const d = builtinDictionary();
    const fresh = builtinDictionary();
    for (const x of WIRESHARK_ONLY)
      assert.equal(fresh.avp(x.code, x.vendorId), undefined, `${x.name} is built in now`);
    const report = loadDictionaryFile(WIRESHARK_DICTIONARY, d);
    t.diagnostic(
      `added ${JSON.stringify(report.added)}, merged ${report.merged}, ${report.warnings.length} warnings`,
    );
    assert.ok(report.merged > 50, `only ${report.merged} merged`);

    for (const x of WIRESHARK_ONLY) assert.equal(d.avpByName(x.name)?.type, x.type, x.name);
    for (const def of fresh.allAvps()) {
      const now = d.avp(def.code, def.vendorId);
      assert.equal(now?.name, def.name, `${def.name} renamed`);
      assert.equal(now?.type, def.type, `${def.name} retyped`);
      assert.equal(now?.mandatory, def.mandatory, `${def.name} M rule changed`);
      assert.deepEqual(now?.grammar, def.grammar, `${def.name} grammar changed`);
      for (const [v, n] of def.enums ?? [])
        assert.equal(now?.enums?.get(v), n, `${def.name} value ${v} renamed`);
    }
    for (const c of fresh.allCommands()) {
      assert.deepEqual(d.command(c.code, c.applicationId), c, `${c.name} changed`);
      assert.deepEqual(d.commandByName(c.requestAbbrev), c, `${c.requestAbbrev} now names another command`);
    }
    // Wireshark calls AVP 50 Accounting-Multi-Session-Id; RFC 6733 §9.8.6 Acct-Multi-Session-Id.
    assert.ok(
      report.warnings.some(
        (w) => w.startsWith('conflict: AVP 50 ') && w.includes('Accounting-Multi-Session-Id'),
      ),
      report.warnings.filter((w) => w.startsWith('conflict')).join('\n'),
    );
  });

  test('a message using AVPs known only from Wireshark decodes by name', (t) => {
    if (!requireWiresharkDictionary(t)) return;
    // UDR (TS 29.329 §6.1.1: code 306, Sh application 16777217, R and P set), written out by hand:
    // Session-Id "s;1", then User-Identity { Public-Identity "sip:a@x" }, both 3GPP AVPs with V and M set.
    const bytes = Buffer.from(
      [
        '01 000040 c0 000132 01000001 00000001 00000002',
        '00000107 40 00000b 733b31 00', // Session-Id (263), length 11 + 1 padding
        '000002bc c0 000020 000028af', // User-Identity (700), vendor 10415, length 32
        '00000259 c0 000013 000028af 7369703a614078 00', // Public-Identity (601), length 19 + 1 padding
      ]
        .join('')
        .replace(/\s+/g, ''),
      'hex',
    );
    assert.equal(bytes.length, 0x40);

    const builtin = builtinDictionary();
    const plain = messageToJson(decodeMessage(bytes, builtin.resolve), builtin);
    assert.equal(plain.command, 306, 'the built-in dictionary does not know UDR');
    assert.deepEqual(plain.avps[1], {
      code: 700,
      vendor: TGPP,
      flags: 'VM',
      hex: '00000259c0000013000028af7369703a61407800',
    });

    const d = builtinDictionary();
    loadDictionaryFile(WIRESHARK_DICTIONARY, d);
    const json = messageToJson(decodeMessage(bytes, d.resolve), d);
    assert.equal(json.command, 'User-Data-Request');
    assert.equal(json.application, 16777217);
    assert.deepEqual(json.avps, [
      { 'Session-Id': 's;1' },
      { 'User-Identity': [{ 'Public-Identity': 'sip:a@x' }] },
    ]);
  });
});
