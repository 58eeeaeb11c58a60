/**
 * The rule engine on its own (src/node/rules.ts): which request a rule matches (command, record type,
 * Session-Id, AVP paths, percentage, time window, limit), the order of rules, the list/add/remove API,
 * and the errors that name the field of a rule that cannot be used. Clock and random source are injected.
 * The actions themselves are exercised over TCP in rules-tcp.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Message } from '../../src/codec/types.js';
import { RuleEngine, RuleError, type RuleSpec } from '../../src/node/rules.js';
import {
  acr,
  dictionary,
  imsServiceInformation,
  pgwServiceInformation,
  sdc,
} from '../helpers/acr-builder.js';

const dict = dictionary();

function ims(
  opts: {
    sessionId?: string;
    recordType?: 'EVENT_RECORD' | 'START_RECORD' | 'STOP_RECORD';
    msisdn?: string;
  } = {},
): Message {
  return acr({
    sessionId: opts.sessionId ?? 'ctf.example.com;1;1',
    recordType: opts.recordType ?? 'EVENT_RECORD',
    recordNumber: 0,
    serviceInformation: imsServiceInformation({
      subscription: { type: 'END_USER_E164', data: opts.msisdn ?? '46700000001' },
    }),
  });
}

function engine(
  rules: RuleSpec[] = [],
  opts: { random?: () => number; now?: () => number } = {},
): RuleEngine {
  return new RuleEngine({ dictionary: dict, rules, ...opts });
}

const reject = { action: { result: 5030 } } as const;

function matches(
  spec: RuleSpec,
  m: Message,
  opts: { random?: () => number; now?: () => number } = {},
): boolean {
  return engine([spec], opts).match(m) !== undefined;
}

describe('matching', () => {
  test('no match section: every request', () => {
    assert.equal(matches({ ...reject }, ims()), true);
  });

  test('command by abbreviation, full name or code; application by id or name', () => {
    assert.equal(matches({ match: { command: 'ACR' }, ...reject }, ims()), true);
    assert.equal(matches({ match: { command: 'Accounting' }, ...reject }, ims()), true);
    assert.equal(matches({ match: { command: 271 }, ...reject }, ims()), true);
    assert.equal(matches({ match: { command: 272 }, ...reject }, ims()), false);
    assert.equal(matches({ match: { application: 3 }, ...reject }, ims()), true);
    assert.equal(matches({ match: { application: 4 }, ...reject }, ims()), false);
  });

  test('record type by name, short name, number or list', () => {
    const start = ims({ recordType: 'START_RECORD' });
    assert.equal(matches({ match: { recordType: 'START_RECORD' }, ...reject }, start), true);
    assert.equal(matches({ match: { recordType: 'start' }, ...reject }, start), true);
    assert.equal(matches({ match: { recordType: 2 }, ...reject }, start), true);
    assert.equal(matches({ match: { recordType: ['EVENT', 'STOP'] }, ...reject }, start), false);
    assert.equal(
      matches({ match: { recordType: ['EVENT', 'STOP'] }, ...reject }, ims({ recordType: 'STOP_RECORD' })),
      true,
    );
  });

  test('Session-Id: exact, any of a list, regex', () => {
    const m = ims({ sessionId: 'pgw.example.com;42;7' });
    assert.equal(matches({ match: { sessionId: 'pgw.example.com;42;7' }, ...reject }, m), true);
    assert.equal(matches({ match: { sessionId: 'pgw.example.com;42' }, ...reject }, m), false);
    assert.equal(matches({ match: { sessionId: ['x', 'pgw.example.com;42;7'] }, ...reject }, m), true);
    assert.equal(matches({ match: { sessionId: { regex: '^pgw\\.' } }, ...reject }, m), true);
    assert.equal(matches({ match: { sessionId: { regex: '^ctf\\.' } }, ...reject }, m), false);
  });

  test('AVP by path: text compared to a YAML number, enumerated by name, Unsigned64, present', () => {
    const m = ims({ msisdn: '46700000001' });
    const path = 'Service-Information/Subscription-Id/Subscription-Id-Data';
    assert.equal(matches({ match: { avp: { [path]: 46700000001 } }, ...reject }, m), true);
    assert.equal(matches({ match: { avp: { [path]: '46700000002' } }, ...reject }, m), false);
    const type = 'Service-Information/Subscription-Id/Subscription-Id-Type';
    assert.equal(matches({ match: { avp: { [type]: 'END_USER_E164' } }, ...reject }, m), true);
    assert.equal(matches({ match: { avp: { [type]: 0 } }, ...reject }, m), true);
    assert.equal(matches({ match: { avp: { [type]: 'END_USER_IMSI' } }, ...reject }, m), false);
    assert.equal(matches({ match: { avp: { [type]: { regex: 'E164' } } }, ...reject }, m), true);
    assert.equal(
      matches({ match: { avp: { 'Service-Information/IMS-Information': { present: true } } }, ...reject }, m),
      true,
    );
    assert.equal(
      matches({ match: { avp: { 'Service-Information/PS-Information': { present: true } } }, ...reject }, m),
      false,
    );
    assert.equal(
      matches({ match: { avp: { 'Service-Information/PS-Information': { present: false } } }, ...reject }, m),
      true,
    );

    const pgw = acr({
      sessionId: 'pgw;1',
      recordType: 'INTERIM_RECORD',
      recordNumber: 1,
      serviceInformation: pgwServiceInformation([
        sdc({
          ratingGroup: 100,
          uplink: 5_000_000_000n,
          downlink: 1,
          localSequenceNumber: 1,
          changeTime: '2024-01-01T00:05:00Z',
        }),
      ]),
    });
    const up = 'Service-Information/PS-Information/Service-Data-Container/Accounting-Input-Octets';
    assert.equal(matches({ match: { avp: { [up]: '5000000000' } }, ...reject }, pgw), true);
    assert.equal(matches({ match: { avp: { [up]: 5000000001 } }, ...reject }, pgw), false);
    const rg = 'Service-Information/PS-Information/Service-Data-Container/Rating-Group';
    assert.equal(matches({ match: { avp: { [rg]: [200, 100] } }, ...reject }, pgw), true);
  });

  test('every condition must hold', () => {
    const m = ims({ recordType: 'START_RECORD', msisdn: '46700000001' });
    const avp = { 'Service-Information/Subscription-Id/Subscription-Id-Data': '46700000001' };
    assert.equal(matches({ match: { recordType: 'START', avp }, ...reject }, m), true);
    assert.equal(matches({ match: { recordType: 'STOP', avp }, ...reject }, m), false);
  });

  test('percent: a share of the matching requests, drawn from the random source', () => {
    const draws = [0.1, 0.49, 0.5, 0.9];
    let i = 0;
    const e = engine([{ match: { percent: 50 }, ...reject }], { random: () => draws[i++]! });
    assert.deepEqual(
      draws.map(() => e.match(ims()) !== undefined),
      [true, true, false, false],
    );
    assert.equal(matches({ match: { percent: 0 }, ...reject }, ims(), { random: () => 0 }), false);
    assert.equal(matches({ match: { percent: 100 }, ...reject }, ims(), { random: () => 0.999999 }), true);
  });

  test('percent is drawn only for requests the other conditions match', () => {
    let draws = 0;
    const e = engine([{ match: { command: 272, percent: 50 }, ...reject }], { random: () => (draws++, 0) });
    assert.equal(e.match(ims()), undefined);
    assert.equal(draws, 0);
  });

  test('window: after/for relative to when the rule was added', () => {
    let now = 1_000_000;
    const e = engine([], { now: () => now });
    e.add({ match: { window: { after: 10, for: 5 } }, ...reject });
    const at = (t: number) => ((now = 1_000_000 + t), e.match(ims()) !== undefined);
    assert.deepEqual(
      [at(0), at(9_999), at(10_000), at(14_999), at(15_000)],
      [false, false, true, true, false],
    );
  });

  test('window: from/until as date-times (until exclusive)', () => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    const e = engine(
      [{ match: { window: { from: '2025-01-01T01:00:00Z', until: '2025-01-01T02:00:00Z' } }, ...reject }],
      {
        now: () => now,
      },
    );
    const at = (iso: string) => ((now = Date.parse(iso)), e.match(ims()) !== undefined);
    assert.equal(at('2025-01-01T00:59:59Z'), false);
    assert.equal(at('2025-01-01T01:00:00Z'), true);
    assert.equal(at('2025-01-01T01:59:59Z'), true);
    assert.equal(at('2025-01-01T02:00:00Z'), false);
  });
});

describe('list / add / remove', () => {
  test('ids: given or rule-N; order; add at a position; remove', () => {
    const e = engine([{ id: 'a', ...reject }, { ...reject }]);
    assert.equal(e.size, 2);
    const c = e.add({ id: 'c', ...reject }, { at: 0 });
    assert.equal(c, 'c');
    assert.deepEqual(
      e.list().map((r) => [r.id, r.position]),
      [
        ['c', 0],
        ['a', 1],
        ['rule-1', 2],
      ],
    );
    assert.equal(e.remove('a'), true);
    assert.equal(e.remove('a'), false);
    assert.deepEqual(
      e.list().map((r) => r.id),
      ['c', 'rule-1'],
    );
    const d = e.add({ ...reject });
    assert.equal(d, 'rule-2');
    assert.throws(() => e.add({ id: 'c', ...reject }), /id.*exists already/);
  });

  test('the first matching rule is the one reported', () => {
    const e = engine([
      { id: 'stop-only', match: { recordType: 'STOP' }, ...reject },
      { id: 'any', ...reject },
    ]);
    assert.equal(e.match(ims({ recordType: 'STOP_RECORD' }))?.id, 'stop-only');
    assert.equal(e.match(ims({ recordType: 'EVENT_RECORD' }))?.id, 'any');
  });

  test('list() returns copies: changing them changes no rule', () => {
    const e = engine([{ id: 'x', match: { command: 'ACR' }, ...reject }]);
    const [info] = e.list();
    info!.spec.match!.command = 'CCR';
    assert.equal(e.match(ims())?.id, 'x');
    assert.equal(e.get('x')?.spec.match?.command, 'ACR');
    assert.equal(e.get('x')?.hits, 0);
  });
});

describe('rules that cannot be used name the field', () => {
  const cases: [string, RuleSpec, string[], RegExp][] = [
    [
      'unknown AVP in a path',
      { match: { avp: { 'Service-Information/No-Such-Avp': 'x' } }, ...reject },
      ['match', 'avp', 'Service-Information/No-Such-Avp'],
      /unknown AVP "No-Such-Avp"/,
    ],
    [
      'a path through a non-Grouped AVP',
      { match: { avp: { 'Session-Id/User-Name': 'x' } }, ...reject },
      ['match', 'avp', 'Session-Id/User-Name'],
      /not a Grouped AVP/,
    ],
    [
      'an enumerated name that does not exist',
      { match: { avp: { 'Accounting-Record-Type': 'NOPE' } }, ...reject },
      ['match', 'avp', 'Accounting-Record-Type'],
      /Enumerated/,
    ],
    [
      'a value for a Grouped AVP',
      { match: { avp: { 'Service-Information': 'x' } }, ...reject },
      ['match', 'avp', 'Service-Information'],
      /present/,
    ],
    [
      'a bad regex',
      { match: { sessionId: { regex: '(' } }, ...reject },
      ['match', 'sessionId'],
      /regular expression/,
    ],
    ['an unknown command', { match: { command: 'XYZ' }, ...reject }, ['match', 'command'], /unknown command/],
    [
      'a record type out of range',
      { match: { recordType: 7 }, ...reject },
      ['match', 'recordType'],
      /Accounting-Record-Type/,
    ],
    ['a percentage above 100', { match: { percent: 101 }, ...reject }, ['match', 'percent'], /0-100/],
    [
      'a bad date-time',
      { match: { window: { from: 'tomorrow' } }, ...reject },
      ['match', 'window', 'from'],
      /ISO 8601/,
    ],
    ['no effect at all', { action: {} }, ['action'], /at least one of/],
    [
      'result and experimentalResult',
      { action: { result: 5030, experimentalResult: { code: 5030 } } },
      ['action', 'experimentalResult'],
      /not both/,
    ],
    [
      'drop with a result',
      { action: { drop: true, result: 5030 } },
      ['action', 'result'],
      /drop sends no answer/,
    ],
    ['close and dpr', { action: { close: true, dpr: true } }, ['action', 'dpr'], /not both/],
    [
      'an unknown Disconnect-Cause',
      { action: { dpr: { cause: 'SLEEPY' as 'BUSY' } } },
      ['action', 'dpr'],
      /REBOOTING/,
    ],
    [
      'errorMessage without a result',
      { action: { delay: 1, errorMessage: 'x' } },
      ['action', 'errorMessage'],
      /goes with result/,
    ],
    ['a negative delay', { action: { delay: -1 } }, ['action', 'delay'], /seconds >= 0/],
    ['a limit of 0', { limit: 0, ...reject }, ['limit'], /> 0/],
  ];
  for (const [name, spec, path, message] of cases) {
    test(name, () => {
      const e = engine();
      assert.throws(
        () => e.add(spec),
        (err: unknown) => {
          assert.ok(err instanceof RuleError, String(err));
          assert.deepEqual(err.field, path);
          assert.equal(err.code, 'RULE_INVALID');
          assert.match(err.message, message);
          return true;
        },
      );
      assert.equal(e.size, 0, 'a refused rule is not added');
    });
  }

  test('rules given to the constructor are named by their index', () => {
    assert.throws(
      () => engine([{ ...reject }, { match: { command: 'XYZ' }, ...reject }]),
      (err: unknown) => err instanceof RuleError && err.field.join('.') === '1.match.command',
    );
  });
});
