/**
 * Loading diamkit.yaml (src/config/load.ts): a wrong type, an unknown key, a missing required field, a
 * YAML syntax error and an unusable rule each give one line naming file:line, the field and what was
 * expected; line numbers are those of the texts written here. The shipped example passes; relative
 * paths are resolved against the config file; the JSON Schema describes the same keys.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load.js';
import { configJsonSchema } from '../../src/config/schema.js';
import { serveExtras } from '../../src/config/to-options.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'diamkit-config-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const HEAD = ['identity:', '  originHost: cdf.example.net', '  originRealm: example.net'];

/** The ConfigError message for `lines` loaded as FILE (fails if the text loads). */
function errorOf(lines: string[], file = 'diamkit.yaml'): ConfigError {
  try {
    parseConfig(lines.join('\n'), file);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.ok(!e.summary.includes('\n'), 'one line');
    return e;
  }
  assert.fail('the config was accepted');
}

describe('errors name file:line, the field and what was expected', () => {
  test('wrong type', () => {
    const e = errorOf([...HEAD, 'timers:', '  watchdog: thirty']);
    assert.equal(
      e.summary,
      'diamkit.yaml:5: timers.watchdog: expected seconds >= 6 (RFC 3539: Tw), got "thirty"',
    );
  });

  test('a number out of range', () => {
    const e = errorOf([...HEAD, 'listeners:', '  - transport: tcp', '    port: 70000']);
    assert.equal(e.summary, 'diamkit.yaml:6: listeners[0].port: expected a port number 0-65535, got 70000');
  });

  test('cdf.heapGrowthPercent must be a whole percent; a valid one reaches the server options', () => {
    const e = errorOf([...HEAD, 'cdf:', '  heapGrowthPercent: 12.5']);
    assert.equal(e.summary, 'diamkit.yaml:5: cdf.heapGrowthPercent: expected a whole percent 0..1000, got 12.5');
    const c = parseConfig([...HEAD, 'cdf:', '  heapGrowthPercent: 35'].join('\n'), 'diamkit.yaml');
    assert.equal(serveExtras(c.config, 'diamkit.yaml').heapGrowthPercent, 35);
    assert.equal(serveExtras(parseConfig(HEAD.join('\n'), 'diamkit.yaml').config, 'diamkit.yaml').heapGrowthPercent, undefined);
  });

  test('cdf.closeOnCtfRestart must be a boolean; false reaches the CDF settings', () => {
    const e = errorOf([...HEAD, 'cdf:', '  closeOnCtfRestart: sometimes']);
    assert.equal(e.summary, 'diamkit.yaml:5: cdf.closeOnCtfRestart: expected true or false, got "sometimes"');
    const c = parseConfig([...HEAD, 'cdf:', '  closeOnCtfRestart: false'].join('\n'), 'diamkit.yaml');
    assert.equal(serveExtras(c.config, 'diamkit.yaml').cdf.closeOnCtfRestart, false);
    assert.equal('closeOnCtfRestart' in serveExtras(parseConfig(HEAD.join('\n'), 'diamkit.yaml').config, 'diamkit.yaml').cdf, false);
  });

  test('cdf.stopGraceSeconds must be whole seconds >= 0; a valid one reaches the CDF settings', () => {
    const e = errorOf([...HEAD, 'cdf:', '  stopGraceSeconds: -1']);
    assert.match(e.summary, /^diamkit\.yaml:5: cdf\.stopGraceSeconds: expected whole seconds >= 0, got -1$/);
    const c = parseConfig([...HEAD, 'cdf:', '  stopGraceSeconds: 0'].join('\n'), 'diamkit.yaml');
    assert.equal(serveExtras(c.config, 'diamkit.yaml').cdf.stopGraceSeconds, 0);
  });

  test('timers.duplicateMaxEntries must be a whole number of answers; a valid one reaches the node options', () => {
    for (const [value, got] of [['2.5', '2.5'], ['-1', '-1'], ['lots', '"lots"'], ['1073741824', '1073741824']]) {
      const e = errorOf([...HEAD, 'timers:', '  duplicateWindow: 30', `  duplicateMaxEntries: ${value}`]);
      assert.equal(
        e.summary,
        `diamkit.yaml:6: timers.duplicateMaxEntries: expected a whole number of answers 0..1073741823, got ${got}`,
      );
    }
    const c = parseConfig([...HEAD, 'timers:', '  duplicateMaxEntries: 0'].join('\n'), 'diamkit.yaml');
    assert.equal(serveExtras(c.config, 'diamkit.yaml').node.duplicateMaxEntries, 0, '0 (detection off) is kept');
    assert.equal('duplicateMaxEntries' in serveExtras(parseConfig(HEAD.join('\n'), 'diamkit.yaml').config, 'diamkit.yaml').node, false);
  });

  test('unknown key, with the likely intended one', () => {
    const e = errorOf([...HEAD, 'timers:', '  watchdog: 30', '  requestTimout: 5']);
    assert.equal(
      e.summary,
      'diamkit.yaml:6: timers.requestTimout: unknown key (did you mean requestTimeout?)',
    );
  });

  test('unknown top-level key lists the known ones', () => {
    const e = errorOf([...HEAD, 'frobnicate: true']);
    assert.match(
      e.summary,
      /^diamkit\.yaml:4: frobnicate: unknown key \(expected one of: identity, listeners, peers, /,
    );
  });

  test('missing required field: the line of the mapping that lacks it', () => {
    const e = errorOf(['logging:', '  level: info', 'identity:', '  originRealm: example.net']);
    assert.equal(
      e.summary,
      'diamkit.yaml:3: identity.originHost: required field missing: expected a DiameterIdentity (an FQDN such as cdf.example.net)',
    );
  });

  test('missing identity altogether', () => {
    const e = errorOf(['logging:', '  level: info']);
    assert.match(
      e.summary,
      /^diamkit\.yaml:1: identity: required field missing: expected a mapping with originHost and originRealm$/,
    );
  });

  test('a value from a fixed set', () => {
    const e = errorOf([...HEAD, 'logging:', '  level: loud']);
    assert.equal(
      e.summary,
      'diamkit.yaml:5: logging.level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    );
  });

  test('a listener of an unknown transport', () => {
    const e = errorOf([...HEAD, 'listeners:', '  - transport: sctp', '    port: 3868']);
    assert.equal(e.summary, 'diamkit.yaml:5: listeners[0].transport: expected tcp or tls, got "sctp"');
  });

  test('a TLS listener without its key', () => {
    const e = errorOf([
      ...HEAD,
      'listeners:',
      '  - transport: tcp',
      '    port: 3868',
      '  - transport: tls',
      '    port: 5868',
      '    cert: c.pem',
    ]);
    assert.equal(
      e.summary,
      'diamkit.yaml:7: listeners[1].key: required field missing: expected a file path (relative to this config file)',
    );
  });

  test('YAML syntax error', () => {
    const e = errorOf([...HEAD, 'rules: [', '  - action: {']);
    assert.match(e.summary, /^diamkit\.yaml:\d+: YAML: /);
  });

  test('duplicate key', () => {
    const e = errorOf([...HEAD, 'timers:', '  watchdog: 30', '  watchdog: 40']);
    assert.match(e.summary, /^diamkit\.yaml:6: YAML: Map keys must be unique/);
  });

  test('several problems: the first by line, and how many more', () => {
    const e = errorOf([...HEAD, 'timers:', '  watchdog: 1', 'logging:', '  level: loud', '  colour: true']);
    assert.equal(e.problems.length, 3);
    assert.deepEqual(
      e.problems.map((p) => [p.line, p.field]),
      [
        [5, 'timers.watchdog'],
        [7, 'logging.level'],
        [8, 'logging.colour'],
      ],
    );
    assert.match(e.summary, /^diamkit\.yaml:5: timers\.watchdog: .* \(and 2 more problems\)$/);
  });
});

describe('rules are checked against the dictionary at load time', () => {
  test('unknown AVP in a path', () => {
    const e = errorOf([
      ...HEAD,
      'rules:',
      '  - id: r1',
      '    match:',
      '      avp:',
      '        Service-Information/Subscription-Id/Subscription-Data: "46700000001"',
      '    action: { result: 5030 }',
    ]);
    assert.equal(
      e.summary,
      'diamkit.yaml:8: rules[0].match.avp.Service-Information/Subscription-Id/Subscription-Data: unknown AVP "Subscription-Data" in path "Service-Information/Subscription-Id/Subscription-Data"',
    );
  });

  test('an action that contradicts itself', () => {
    const e = errorOf([
      ...HEAD,
      'rules:',
      '  - action: { delay: 1 }',
      '  - action:',
      '      drop: true',
      '      result: 5030',
    ]);
    assert.equal(
      e.summary,
      'diamkit.yaml:8: rules[1].action.result: drop sends no answer, so result has nothing to act on',
    );
  });

  test('an action of the wrong shape is a schema error', () => {
    const e = errorOf([...HEAD, 'rules:', '  - action:', '      delay: soon']);
    assert.equal(e.summary, 'diamkit.yaml:6: rules[0].action.delay: expected seconds >= 0, got "soon"');
  });

  test('two rules with one id', () => {
    const e = errorOf([
      ...HEAD,
      'rules:',
      '  - id: a',
      '    action: { delay: 1 }',
      '  - id: a',
      '    action: { delay: 2 }',
    ]);
    assert.equal(e.summary, 'diamkit.yaml:7: rules[1].id: a rule with id "a" exists already');
  });
});

describe('files', () => {
  test('the shipped example loads, with its rules', () => {
    const { config } = loadConfigFile(join(ROOT, 'examples/diamkit.yaml'));
    assert.equal(config.identity.originHost, 'cdf.example.net');
    assert.deepEqual(
      config.rules?.map((r) => r.id),
      ['unknown-subscriber', 'slow-stop', 'lossy'],
    );
  });

  test('a file that does not exist', () => {
    assert.throws(
      () => loadConfigFile(join(tmp, 'nope.yaml')),
      (e: unknown) =>
        e instanceof ConfigError && /nope\.yaml:1: cannot read the file: ENOENT/.test(e.summary),
    );
  });

  test('paths are relative to the config file; URLs are left alone', () => {
    const file = join(tmp, 'paths.yaml');
    writeFileSync(join(tmp, 'c.pem'), 'x');
    writeFileSync(join(tmp, 'k.pem'), 'x');
    writeFileSync(
      file,
      [
        ...HEAD,
        'store: data/cdr.db',
        'listeners:',
        '  - { transport: tcp, port: 0 }',
        '  - { transport: tls, port: 0, cert: c.pem, key: k.pem }',
      ].join('\n'),
    );
    const { config } = loadConfigFile(file);
    assert.equal(config.store, join(tmp, 'data/cdr.db'));
    const tls = config.listeners?.[1];
    assert.ok(tls?.transport === 'tls');
    assert.equal(tls.cert, join(tmp, 'c.pem'));
    const pg = parseConfig([...HEAD, 'store: postgres://u:p@127.0.0.1/db'].join('\n'), file);
    assert.equal(pg.config.store, 'postgres://u:p@127.0.0.1/db');
  });

  test('a TLS file that does not exist is named with its line', () => {
    const e = errorOf([
      ...HEAD,
      'listeners:',
      '  - { transport: tcp, port: 0 }',
      '  - { transport: tls, port: 0, cert: /nonexistent/c.pem, key: /nonexistent/k.pem }',
    ]);
    assert.equal(
      e.summary,
      'diamkit.yaml:6: listeners[1].cert: no such file: /nonexistent/c.pem (and 1 more problem)',
    );
  });
});

describe('JSON Schema', () => {
  test('strict objects, identity required, the same sections as the loader', () => {
    const s = configJsonSchema() as {
      type: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { properties?: Record<string, unknown>; additionalProperties?: boolean }>;
    };
    assert.equal(s.type, 'object');
    assert.deepEqual(s.required, ['identity']);
    assert.equal(s.additionalProperties, false);
    assert.deepEqual(Object.keys(s.properties).sort(), [
      'admin',
      'allowUnknownMandatory',
      'cdf',
      'dictionaries',
      'identity',
      'listeners',
      'logging',
      'peers',
      'rules',
      'store',
      'timers',
      'unsupportedCommand',
    ]);
    assert.equal(s.properties.timers?.additionalProperties, false);
    assert.ok(s.properties.identity?.properties?.originHost);
    // The same JSON round-trips (editors read it as plain JSON).
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
  });
});
