/**
 * Load templates (src/client/load/acr-template.ts): a template compiled once and patched per request must
 * give the message a person would write by hand for that session and record — checked by decoding the
 * patched octets with the codec and reading fields by offset, against values written out here.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  compileAcr,
  compileTemplates,
  loadTemplate,
  sessionDigits,
  sessionIdOf,
  TemplateError,
  writeAcr,
  type TemplateSource,
  type TemplateVars,
} from '../../src/client/load/acr-template.js';
import { decodeMessage } from '../../src/codec/message.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { messageToJson } from '../../src/dictionary/message-format.js';
import { parse, find, strOf, u32Of } from '../helpers/raw-peer.js';

const dict = builtinDictionary();
const vars: TemplateVars = {
  originHost: 'load-1.localdomain',
  originRealm: 'localdomain',
  destinationRealm: 'example.net',
  sessionHigh: 1700000000,
};
const tmp = mkdtempSync(join(tmpdir(), 'diamkit-load-template-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Patches a compiled kind for session `n`, record `rec`, and returns the octets. */
function render(
  src: TemplateSource,
  kind: 'start' | 'interim' | 'stop' | 'event',
  n: number,
  rec: number,
  ntp = -1,
): Buffer {
  const t = compileAcr(src, kind, vars, dict, Date.UTC(2024, 0, 1));
  const out = Buffer.alloc(t.bytes.length + 8, 0xee);
  const end = writeAcr(out, 4, t, sessionDigits(n), rec, 0x0a0b0c0d, 0x01020304, ntp);
  assert.equal(end, 4 + t.bytes.length);
  assert.equal(out[3], 0xee, 'nothing written before pos');
  assert.equal(out[end], 0xee, 'nothing written after the message');
  return out.subarray(4, end);
}

describe('built-in templates', () => {
  for (const name of ['ims', 'pgw']) {
    test(`${name}: every kind is an ACR carrying this session's ids and its record type/number`, () => {
      const src = loadTemplate(name);
      const expectedType = { event: 1, start: 2, interim: 3, stop: 4 } as const;
      for (const kind of ['start', 'interim', 'stop', 'event'] as const) {
        const bytes = render(src, kind, 42, 7, 3913056000);
        const m = parse(bytes);
        assert.equal(m.command, 271);
        assert.equal(m.appId, 3);
        assert.equal(m.flags, 0xc0, 'R and P (ACR is proxiable)');
        assert.equal(m.hbh, 0x0a0b0c0d);
        assert.equal(m.e2e, 0x01020304);
        assert.equal(strOf(m, 263), 'load-1.localdomain;1700000000;0000000042');
        assert.equal(m.avps[0]!.code, 263, 'Session-Id first (RFC 6733 §9.7.1)');
        assert.equal(strOf(m, 264), 'load-1.localdomain');
        assert.equal(strOf(m, 296), 'localdomain');
        assert.equal(strOf(m, 283), 'example.net');
        assert.equal(u32Of(m, 480), expectedType[kind]);
        assert.equal(u32Of(m, 485), 7);
        assert.equal(u32Of(m, 55), 3913056000, 'Event-Timestamp patched');
        // The whole message still decodes through the dictionary, every AVP typed.
        const j = JSON.stringify(messageToJson(decodeMessage(bytes, dict.resolve), dict));
        assert.ok(j.includes('0000000042'));
        assert.ok(!/[\u0001-\u0008]/.test(j), 'no sentinel left');
      }
    });
  }

  test('ims: the session number lands in every string that names the session', () => {
    const m = decodeMessage(render(loadTemplate('ims'), 'start', 1234567, 0), dict.resolve);
    const j = JSON.stringify(messageToJson(m, dict));
    for (const s of [
      'user0001234567@localdomain',
      'sip:user0001234567@localdomain',
      'call-0001234567@load-1.localdomain',
      'icid-0001234567',
    ]) {
      assert.ok(j.includes(`"${s}"`), `${s} in ${j}`);
    }
    assert.ok(j.includes('"SIP-Method":"INVITE"'));
    const stop = JSON.stringify(
      messageToJson(decodeMessage(render(loadTemplate('ims'), 'stop', 1, 1), dict.resolve), dict),
    );
    assert.ok(stop.includes('"SIP-Method":"BYE"'));
  });

  test('pgw: IMSI is 15 digits from the session number; containers only on INTERIM and STOP', () => {
    const start = JSON.stringify(
      messageToJson(decodeMessage(render(loadTemplate('pgw'), 'start', 9, 0), dict.resolve), dict),
    );
    assert.ok(start.includes('"Subscription-Id-Data":"001010000000009"'));
    assert.ok(!start.includes('Service-Data-Container'));
    const stop = JSON.stringify(
      messageToJson(decodeMessage(render(loadTemplate('pgw'), 'stop', 9, 3), dict.resolve), dict),
    );
    assert.ok(stop.includes('Service-Data-Container') && stop.includes('Stop-Time'));
  });

  test('ntpSeconds < 0 leaves the template time; a new session number overwrites the old digits', () => {
    const src = loadTemplate('ims');
    const t = compileAcr(src, 'start', vars, dict, Date.UTC(2024, 0, 1));
    const out = Buffer.alloc(t.bytes.length);
    writeAcr(out, 0, t, sessionDigits(9999999999), 0, 1, 1, 3913056000);
    writeAcr(out, 0, t, sessionDigits(5), 0, 1, 1, -1);
    const m = parse(out);
    assert.equal(strOf(m, 263), 'load-1.localdomain;1700000000;0000000005');
    // 2024-01-01T00:00:00Z is NTP 3913056000 (test-vectors.md, vector 05).
    assert.equal(u32Of(m, 55), 3913056000);
    assert.equal(sessionIdOf(vars, 5), 'load-1.localdomain;1700000000;0000000005');
  });
});

describe('times: ${sent}, ${sessionStart} and ${sinceLast}', () => {
  type J = { [k: string]: unknown }[];
  /** The value of the first AVP called `name` in a JSON-form AVP list. */
  const pick = (list: unknown, name: string): unknown => (list as J).find((a) => name in a)?.[name];
  const sent = 3913056090; // 2024-01-01T00:01:30Z in NTP seconds
  const began = 3913056000; // 2024-01-01T00:00:00Z
  const compiledAt = Date.UTC(2023, 0, 1);

  function written(name: string, kind: 'start' | 'stop', ntp: number, start: number, since = -1) {
    const t = compileAcr(loadTemplate(name), kind, vars, dict, compiledAt);
    const out = Buffer.alloc(t.bytes.length);
    writeAcr(out, 0, t, sessionDigits(1), kind === 'stop' ? 3 : 0, 1, 1, ntp, start, since);
    return messageToJson(decodeMessage(out, dict.resolve), dict).avps;
  }

  test('pgw STOP: Start-Time is the session start; Stop-Time and the container’s Change-Time the send time', () => {
    const ps = pick(pick(written('pgw', 'stop', sent, began, 42), 'Service-Information'), 'PS-Information');
    assert.equal(pick(ps, 'Start-Time'), '2024-01-01T00:00:00Z');
    assert.equal(pick(ps, 'Stop-Time'), '2024-01-01T00:01:30Z');
    assert.equal(pick(pick(ps, 'Service-Data-Container'), 'Change-Time'), '2024-01-01T00:01:30Z');
    assert.equal(pick(pick(ps, 'Service-Data-Container'), 'Time-Usage'), 42, '${sinceLast}');
  });

  test('ims: the SIP request and response timestamps are the send time', () => {
    const ims = pick(pick(written('ims', 'start', sent, began), 'Service-Information'), 'IMS-Information');
    const ts = pick(ims, 'Time-Stamps');
    assert.equal(pick(ts, 'SIP-Request-Timestamp'), '2024-01-01T00:01:30Z');
    assert.equal(pick(ts, 'SIP-Response-Timestamp'), '2024-01-01T00:01:30Z');
  });

  test('not patched (< 0), they read as the compile time, like ${now}, and 0 seconds', () => {
    const ps = pick(pick(written('pgw', 'stop', -1, -1), 'Service-Information'), 'PS-Information');
    assert.equal(pick(ps, 'Start-Time'), '2023-01-01T00:00:00Z');
    assert.equal(pick(ps, 'Stop-Time'), '2023-01-01T00:00:00Z');
    assert.equal(pick(pick(ps, 'Service-Data-Container'), 'Time-Usage'), 0);
  });

  test('anywhere but the whole value of a Time AVP they are refused', () => {
    const f = join(tmp, 'sent-in-text.yaml');
    writeFileSync(f, 'command: ACR\navps:\n  - User-Name: "at ${sent}"\n');
    assert.throws(
      () => compileAcr(loadTemplate(f), 'start', vars, dict),
      (e: Error) => e instanceof TemplateError && /may only be the whole value of a Time AVP/.test(e.message),
    );
    const g = join(tmp, 'since-in-text.yaml');
    writeFileSync(g, 'command: ACR\navps:\n  - User-Name: "${sinceLast} s"\n');
    assert.throws(
      () => compileAcr(loadTemplate(g), 'start', vars, dict),
      (e: Error) => e instanceof TemplateError && /sinceLast\} may only be the whole value of an Unsigned32 AVP/.test(e.message),
    );
  });
});

describe('user templates', () => {
  test('a minimal YAML file gets the required AVPs in grammar order; its record type/number are replaced', () => {
    const f = join(tmp, 'min.yaml');
    writeFileSync(
      f,
      [
        'command: ACR',
        'avps:',
        '  - Accounting-Record-Number: "${seq}"',
        '  - User-Name: "imsi-${sessionNumber}"',
        '  - Accounting-Record-Type: EVENT_RECORD',
        '',
      ].join('\n'),
    );
    const src = loadTemplate(f);
    const m = parse(render(src, 'interim', 77, 3));
    assert.deepEqual(
      m.avps.map((a) => a.code),
      [263, 264, 296, 283, 480, 485, 1],
      'Session-Id, Origin-Host, Origin-Realm, Destination-Realm, Record-Type, Record-Number, User-Name',
    );
    assert.equal(u32Of(m, 480), 3);
    assert.equal(u32Of(m, 485), 3);
    assert.equal(strOf(m, 1), 'imsi-0000000077');
    assert.equal(find(m, 55), undefined, 'no Event-Timestamp added');
  });

  test('a map of kinds: each kind uses its own message, a missing one falls back to start', () => {
    const src: TemplateSource = {
      name: 'map',
      messages: {
        start: { command: 'ACR', avps: [{ 'User-Name': 'first' }] },
        stop: { command: 'ACR', avps: [{ 'User-Name': 'last' }] },
      },
    };
    const t = compileTemplates(src, vars, dict);
    assert.equal(strOf(parse(t.start.bytes), 1), 'first');
    assert.equal(strOf(parse(t.interim.bytes), 1), 'first');
    assert.equal(strOf(parse(t.stop.bytes), 1), 'last');
  });

  test('Destination-Host is added when asked for', () => {
    const t = compileAcr(loadTemplate('ims'), 'start', { ...vars, destinationHost: 'cdf.example.net' }, dict);
    assert.equal(strOf(parse(t.bytes), 293), 'cdf.example.net');
  });

  test('errors name the file and the problem', () => {
    const bad = (body: string) => {
      const f = join(tmp, `bad-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(f, body);
      return f;
    };
    assert.throws(
      () =>
        compileAcr(loadTemplate(bad('command: ACR\navps:\n  - User-Name: "${user}"\n')), 'start', vars, dict),
      (e: Error) => e instanceof TemplateError && /unknown placeholder \$\{user\}/.test(e.message),
    );
    assert.throws(
      () =>
        compileAcr(
          loadTemplate(bad('command: ACR\navps:\n  - Acct-Interim-Interval: "${sessionNumber}"\n')),
          'start',
          vars,
          dict,
        ),
      TemplateError,
    );
    assert.throws(
      () => compileAcr(loadTemplate(bad('command: 272\navps: []\n')), 'start', vars, dict),
      (e: Error) => /ACR requests/.test(e.message),
    );
    assert.throws(
      () => loadTemplate(bad('begin:\n  command: ACR\n  avps: []\n')),
      (e: Error) => /unknown key "begin"/.test(e.message),
    );
    assert.throws(
      () => loadTemplate(join(tmp, 'missing.yaml')),
      (e: Error) => /neither a built-in template \(ims, pgw\)/.test(e.message),
    );
    assert.throws(
      () => compileAcr(loadTemplate(bad('command: ACR\navps:\n  - No-Such-Avp: 1\n')), 'start', vars, dict),
      (e: Error) => e instanceof TemplateError && /No-Such-Avp/.test(e.message),
    );
  });
});
