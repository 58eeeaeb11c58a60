/**
 * What the client fills in (src/client/request-defaults.ts): the routing AVPs a request's grammar has and
 * the message leaves out — Session-Id first (RFC 6733 §8.8), then Origin-Host, Origin-Realm,
 * Destination-Realm — and nothing else; Session-Ids of the RFC 6733 §8.8 form.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SessionIds, fillRequest } from '../../src/client/request-defaults.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { messageFromJson, messageToJson, type MessageJson } from '../../src/dictionary/message-format.js';

const dict = builtinDictionary();
const defaults = {
  originHost: 'ctf.example.com',
  originRealm: 'example.com',
  destinationRealm: 'example.net',
  sessionId: () => 'ctf.example.com;7;1',
};

function filled(j: MessageJson): { avps: MessageJson['avps']; added: string[] } {
  const m = messageFromJson(j, dict);
  const added = fillRequest(m, defaults, dict);
  return { avps: messageToJson(m, dict).avps, added };
}

describe('fillRequest', () => {
  test('an ACR with none of them gets all four, Session-Id first; the rest keep their order', () => {
    const r = filled({
      command: 'ACR',
      avps: [{ 'Accounting-Record-Type': 'EVENT_RECORD' }, { 'Accounting-Record-Number': 0 }],
    });
    assert.deepEqual(r.avps, [
      { 'Session-Id': 'ctf.example.com;7;1' },
      { 'Origin-Host': 'ctf.example.com' },
      { 'Origin-Realm': 'example.com' },
      { 'Destination-Realm': 'example.net' },
      { 'Accounting-Record-Type': 'EVENT_RECORD' },
      { 'Accounting-Record-Number': 0 },
    ]);
    assert.deepEqual(r.added, ['Session-Id', 'Origin-Host', 'Origin-Realm', 'Destination-Realm']);
  });

  test('what the message has is kept as written, and nothing else is invented', () => {
    const r = filled({
      command: 'ACR',
      avps: [
        { 'Session-Id': 'mine;1;1' },
        { 'Accounting-Record-Type': 'START_RECORD' },
        { 'Origin-Realm': 'other.org' },
      ],
    });
    assert.deepEqual(r.avps, [
      { 'Session-Id': 'mine;1;1' },
      { 'Origin-Host': 'ctf.example.com' },
      { 'Destination-Realm': 'example.net' },
      { 'Accounting-Record-Type': 'START_RECORD' },
      { 'Origin-Realm': 'other.org' },
    ]);
    assert.ok(
      !r.avps.some((a) => 'Accounting-Record-Number' in a),
      'a missing required AVP stays missing (the 5005 test)',
    );
  });

  test("only what the command's grammar has: a DWR gets no Session-Id nor Destination-Realm", () => {
    const r = filled({ command: 'DWR', avps: [] });
    assert.deepEqual(r.added, ['Origin-Host', 'Origin-Realm']);
  });

  test('a command the dictionary does not know gets all four', () => {
    const r = filled({ command: 999, application: 3, avps: [] });
    assert.deepEqual(r.added, ['Session-Id', 'Origin-Host', 'Origin-Realm', 'Destination-Realm']);
  });
});

test('Session-Ids: <Origin-Host>;<start seconds>;<counter>;<client tag> (RFC 6733 §8.8), all different', () => {
  const ids = new SessionIds('ctf.example.com', 1700000000, 'a1b2c3');
  assert.equal(ids.next(), 'ctf.example.com;1700000000;1;a1b2c3');
  assert.equal(ids.next(), 'ctf.example.com;1700000000;2;a1b2c3');
  const many = new Set(Array.from({ length: 1000 }, () => ids.next()));
  assert.equal(many.size, 1000);
  // Two clients with the same identity started in the same second.
  const [a, b] = [
    new SessionIds('ctf.example.com', 1700000000),
    new SessionIds('ctf.example.com', 1700000000),
  ];
  assert.match(a.next(), /^ctf\.example\.com;1700000000;1;[0-9a-f]{6}$/);
  assert.notEqual(a.next(), b.next());
});
