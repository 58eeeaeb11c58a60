/**
 * diamkit's own dictionary format (docs/dictionary-format.md) in YAML and JSON, the loader's choice of
 * reader, conflicts between files, and errors that name the file, line and field.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDiameterError } from '../../src/codec/errors.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { detectFormat, loadDictionaries, loadDictionaryFile } from '../../src/dictionary/load.js';
import type { AvpDef, CommandDef } from '../../src/dictionary/types.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/dictionaries/', import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);
const ACME = 99999;

const tmp = mkdtempSync(join(tmpdir(), 'diamkit-dict-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
/** Writes `text` to a fresh file named `name` in the temporary folder. */
function write(name: string, text: string): string {
  const dir = join(tmp, String(n++));
  const path = join(dir, name);
  mkdirSync(dir); // a folder per file: names stay short and readable in messages
  writeFileSync(path, text, { flag: 'w' });
  return path;
}

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

/**
 * A definition without its source, and without the optional properties it leaves unset (the dictionary
 * keeps every AVP definition with all its properties, unset ones undefined, so that all share one shape).
 */
function withoutSource<T extends { source?: string }>(x: T | undefined): Omit<T, 'source'> | undefined {
  if (!x) return undefined;
  const { source: _s, ...rest } = x;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Omit<T, 'source'>;
}

describe('acme.yaml', () => {
  const d = builtinDictionary();
  const report = loadDictionaryFile(fixture('acme.yaml'), d);

  test('adds its vendor, application, AVPs and command', () => {
    assert.equal(report.format, 'yaml');
    assert.deepEqual(report.added, { vendors: 1, applications: 1, avps: 4, commands: 1 });
    assert.equal(d.vendor(ACME)?.name, 'Acme');
    assert.deepEqual(withoutSource(d.application(16777998)), {
      id: 16777998,
      name: 'Acme Control',
      kind: 'auth',
    });
    assert.equal(d.avp(1, ACME)?.source, fixture('acme.yaml'));
  });

  test('AVPs: vendor by name or number, type, M rule (default may), enums', () => {
    assert.deepEqual(withoutSource(d.avp(1, ACME)), {
      name: 'Acme-Level',
      code: 1,
      vendorId: ACME,
      type: 'Unsigned32',
      mandatory: 'must',
    });
    const mode = d.avpByName('Acme-Mode');
    assert.equal(mode?.vendorId, ACME);
    assert.equal(mode?.mandatory, 'mustnot');
    assert.deepEqual(
      [...(mode?.enums ?? [])].sort((a, b) => a[0] - b[0]),
      [
        [-1, 'UNKNOWN'],
        [0, 'OFF'],
        [1, 'ON'],
      ],
    );
    assert.equal(d.avpByName('Acme-Tag')?.mandatory, 'may');
  });

  test('grouped grammar: CCF rules with RFC 6733 §3.2 qualifiers, names defined later in the file', () => {
    assert.deepEqual(d.avpByName('Acme-Info')?.grammar, {
      fixed: [],
      required: [
        { avp: 'Acme-Level', min: 1, max: 1 },
        { avp: 'Acme-Tag', min: 1, max: 3 },
      ],
      optional: [
        { avp: 'Acme-Mode', min: 0, max: 1 },
        { avp: '*', min: 0, max: Infinity },
      ],
    });
  });

  test('command: abbreviations, application by name, grammars naming built-in AVPs', () => {
    const c = d.commandByName('AKR');
    assert.equal(c, d.commandByName('aka'));
    assert.equal(c, d.command(8388998, 16777998));
    assert.equal(c?.name, 'Acme-Control');
    assert.equal(c?.proxiable, true);
    assert.deepEqual(c?.request.fixed, [{ avp: 'Session-Id', min: 1, max: 1 }]);
    assert.deepEqual(
      c?.request.required.map((r) => r.avp),
      ['Origin-Host', 'Origin-Realm', 'Destination-Realm', 'Auth-Application-Id'],
    );
    assert.deepEqual(c?.request.optional, [
      { avp: 'Acme-Info', min: 0, max: 1 },
      { avp: 'Proxy-Info', min: 0, max: Infinity },
      { avp: '*', min: 0, max: Infinity },
    ]);
    assert.deepEqual(
      c?.answer.required.map((r) => r.avp),
      ['Result-Code', 'Origin-Host', 'Origin-Realm'],
    );
  });
});

test('acme.json defines exactly what acme.yaml defines', () => {
  const y = builtinDictionary();
  const j = builtinDictionary();
  loadDictionaryFile(fixture('acme.yaml'), y);
  const report = loadDictionaryFile(fixture('acme.json'), j);
  assert.equal(report.format, 'json');
  const avps = (d: typeof y) =>
    [...d.allAvps()].filter((a) => a.vendorId === ACME).map((a) => withoutSource<AvpDef>(a));
  const cmds = (d: typeof y) =>
    [...d.allCommands()].filter((c) => c.code === 8388998).map((c) => withoutSource<CommandDef>(c));
  assert.equal(avps(j).length, 4);
  assert.deepEqual(avps(j), avps(y));
  assert.deepEqual(cmds(j), cmds(y));
  assert.deepEqual(withoutSource(j.application(16777998)), withoutSource(y.application(16777998)));
});

test('redefining a built-in AVP to name a value keeps what the file leaves out', () => {
  const d = builtinDictionary();
  const before = d.avpByName('Result-Code')!;
  loadDictionaryFile(fixture('extend-builtin.yaml'), d);
  const rc = d.avpByName('Result-Code')!;
  assert.equal(rc.mandatory, before.mandatory);
  assert.equal(rc.enums?.get(4999), 'ACME_TRY_LATER');
  assert.equal(rc.enums?.get(2001), before.enums?.get(2001));
});

test('a vendor the loaded dictionary knows can be named without declaring it', () => {
  const file = write(
    'tgpp.yaml',
    'avps:\n  - { name: Acme-3GPP-Thing, code: 70001, vendor: 3gpp, type: Unsigned32 }\n',
  );
  const d = builtinDictionary();
  loadDictionaryFile(file, d);
  assert.equal(d.avpByName('Acme-3GPP-Thing')?.vendorId, 10415);
});

describe('conflicts name the definition and both files', () => {
  test('between two user files', () => {
    const d = builtinDictionary();
    const msg = errorOf('DICTIONARY_CONFLICT', () =>
      loadDictionaries([fixture('acme.yaml'), fixture('acme-conflict.yaml')], d),
    );
    for (const part of [
      `AVP 1/${ACME}`,
      'Acme-Level',
      'Acme-Other-Level',
      fixture('acme.yaml'),
      fixture('acme-conflict.yaml'),
    ])
      assert.ok(msg.includes(part), msg);
  });

  test('with the built-in dictionary', () => {
    const file = write('session.yaml', 'avps:\n  - { name: Acme-Session, code: 263, type: UTF8String }\n');
    const msg = errorOf('DICTIONARY_CONFLICT', () => loadDictionaryFile(file, builtinDictionary()));
    for (const part of ['AVP 263', 'Session-Id', 'builtin:rfc6733', 'Acme-Session', file])
      assert.ok(msg.includes(part), msg);
  });

  test('a built-in name for another number', () => {
    const file = write(
      'name.yaml',
      'avps:\n  - { name: Origin-Host, code: 70001, type: DiameterIdentity }\n',
    );
    const msg = errorOf('DICTIONARY_CONFLICT', () => loadDictionaryFile(file, builtinDictionary()));
    for (const part of ['Origin-Host', '264/0', '70001/0', 'builtin:rfc6733', file])
      assert.ok(msg.includes(part), msg);
  });

  test('an identical redefinition is not a conflict', () => {
    const file = write('same.yaml', 'avps:\n  - { name: Origin-Host, code: 264, type: DiameterIdentity }\n');
    const d = builtinDictionary();
    const report = loadDictionaryFile(file, d);
    assert.equal(report.merged, 1);
    assert.equal(d.avpByName('Origin-Host')?.mandatory, 'must', 'the built-in M rule stays');
  });
});

describe('errors name the file, line and field', () => {
  test('YAML: a wrong type and a misspelt field, each at its own line', () => {
    const file = fixture('bad-schema.yaml');
    const msg = errorOf('DICTIONARY_BAD_FILE', () => loadDictionaryFile(file, builtinDictionary()));
    assert.ok(msg.includes(`${file}:11: avps[1].type: `) && msg.includes('"Unsigned33"'), msg);
    assert.ok(msg.includes(`${file}:12: avps[1].mandatroy: unknown field`), msg);
  });

  test('JSON: a missing field, at the object that lacks it', () => {
    const file = fixture('bad-schema.json');
    const msg = errorOf('DICTIONARY_BAD_FILE', () => loadDictionaryFile(file, builtinDictionary()));
    assert.ok(msg.includes(`${file}:3: commands[0].answer: `), msg);
  });

  const cases: [string, string, RegExp][] = [
    [
      'an unknown AVP in a grammar',
      'avps:\n  - name: G\n    code: 70001\n    type: Grouped\n    grammar:\n      - "{ Origin-Host }"\n      - "[ No-Such ]"\n',
      /:7: avps\[0\]\.grammar\[1\]: unknown AVP No-Such/,
    ],
    [
      'a malformed grammar rule',
      'commands:\n  - name: X\n    code: 9000000\n    request: XR\n    answer: XA\n    requestGrammar: ["{ Origin-Host ]"]\n',
      /:6: commands\[0\]\.requestGrammar\[0\]: cannot read grammar rule/,
    ],
    [
      'an unknown vendor name',
      'avps:\n  - { name: V, code: 70001, vendor: Nobody, type: Unsigned32 }\n',
      /:2: avps\[0\]\.vendor: unknown vendor "Nobody"/,
    ],
    [
      'enums on a string type',
      'avps:\n  - name: E\n    code: 70001\n    type: UTF8String\n    enums: { A: 1 }\n',
      /:5: avps\[0\]\.enums: only Enumerated, Integer32 and Unsigned32/,
    ],
    [
      'an Enumerated value out of Integer32 range',
      'avps:\n  - name: E\n    code: 70001\n    type: Enumerated\n    enums:\n      BIG: 4294967295\n',
      /:6: avps\[0\]\.enums\.BIG: 4294967295 is not a Enumerated value/,
    ],
    [
      'the same AVP twice in one file',
      'avps:\n  - { name: A1, code: 70001, type: Unsigned32 }\n  - { name: A2, code: 70001, type: Unsigned32 }\n',
      /:3: avps\[1\]\.code: AVP 70001\/0 is already defined at avps\[0\]/,
    ],
    [
      'an unknown application name',
      'commands:\n  - { name: X, code: 9000000, request: XR, answer: XA, application: Nope }\n',
      /:2: commands\[0\]\.application: unknown application "Nope"/,
    ],
    [
      'a code out of range',
      'avps:\n  - { name: A, code: -1, type: Unsigned32 }\n',
      /:2: avps\[0\]\.code: .*\(got -1\)/,
    ],
    [
      'a name with a space',
      'avps:\n  - { name: "A B", code: 1, type: Unsigned32 }\n',
      /:2: avps\[0\]\.name: a name of letters/,
    ],
    ['YAML syntax', 'avps:\n  - name: [unclosed\n', /\.yaml:\d+:\d+: not valid YAML/],
  ];
  for (const [what, text, expected] of cases) {
    test(what, () => {
      const file = write('case.yaml', text);
      const msg = errorOf('DICTIONARY_BAD_FILE', () => loadDictionaryFile(file, builtinDictionary()));
      assert.ok(msg.includes(file), msg);
      assert.match(msg, expected);
    });
  }

  test('JSON syntax, with the line', () => {
    const file = write('broken.json', '{\n  "avps": [\n    { "name": "A", }\n  ]\n}\n');
    const msg = errorOf('DICTIONARY_BAD_FILE', () => loadDictionaryFile(file, builtinDictionary()));
    assert.match(msg, /broken\.json:3: not valid JSON/);
  });

  test('a file that cannot be read', () => {
    const file = join(tmp, 'absent.yaml');
    const msg = errorOf('DICTIONARY_BAD_FILE', () => loadDictionaryFile(file, builtinDictionary()));
    assert.ok(msg.includes(file), msg);
  });
});

test('the reader is chosen by extension, then by content', () => {
  assert.equal(detectFormat('x.XML'), 'wireshark-xml');
  assert.equal(detectFormat('x.json'), 'json');
  assert.equal(detectFormat('x.yml'), 'yaml');
  assert.equal(detectFormat(write('a.dict', '\uFEFF  <?xml version="1.0"?><dictionary/>')), 'wireshark-xml');
  assert.equal(detectFormat(write('b.dict', '\n{ "avps": [] }')), 'json');
  assert.equal(detectFormat(write('c.dict', 'avps: []\n')), 'yaml');
  // And the choice is used: a JSON file without the extension loads.
  const file = write('d.dict', '{ "avps": [{ "name": "Acme-X", "code": 70001, "type": "Unsigned32" }] }');
  const d = builtinDictionary();
  assert.equal(loadDictionaryFile(file, d).format, 'json');
  assert.equal(d.avpByName('Acme-X')?.code, 70001);
});
