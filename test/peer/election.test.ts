import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareIdentities, elect } from '../../src/peer/election.js';

describe('election (RFC 6733 §5.6.4)', () => {
  it('the higher local Origin-Host wins', () => {
    assert.equal(elect('bravo.example.net', 'alpha.example.net'), 'win');
    assert.equal(elect('alpha.example.net', 'bravo.example.net'), 'lose');
    // First differing octet decides, not length: "b" > "aaaa…".
    assert.equal(elect('b.example', 'aaaaaaaaaaaa.example'), 'win');
  });

  it('ASCII letters compare case-insensitively', () => {
    // As raw octets 'Z' (0x5a) < 'a' (0x61); folded, 'z' > 'a'.
    assert.equal(elect('Zulu.example.net', 'alpha.example.net'), 'win');
    assert.equal(elect('alpha.example.net', 'Zulu.example.net'), 'lose');
    assert.equal(elect('ALPHA.example.net', 'bravo.example.net'), 'lose');
    assert.equal(compareIdentities('Peer.Example.NET', 'peer.example.net'), 0);
  });

  it('a proper prefix sorts first', () => {
    assert.equal(elect('peer.example.net', 'peer.example'), 'win');
    assert.equal(elect('peer.example', 'peer.example.net'), 'lose');
  });

  it('digits and hyphens sort below letters, as octets', () => {
    assert.equal(elect('a.example', '9.example'), 'win'); // 0x61 > 0x39
    assert.equal(elect('hss-1.example', 'hss1.example'), 'lose'); // '-' 0x2d < '1' 0x31
  });

  it('equal identities: no Win-Election on either side', () => {
    assert.equal(elect('cdf.example.net', 'cdf.example.net'), 'lose');
    assert.equal(elect('CDF.example.net', 'cdf.EXAMPLE.net'), 'lose');
  });

  it('takes raw AVP octets, compared unsigned, only ASCII letters folded', () => {
    assert.equal(elect(Buffer.from('bravo.example'), 'alpha.example'), 'win');
    assert.equal(elect(new Uint8Array([0x42]), Buffer.from('a')), 'win'); // 'B' vs 'a' → 'b' > 'a'
    assert.equal(elect(new Uint8Array([0xff]), new Uint8Array([0x7f])), 'win'); // unsigned
    // 0xc1 and 0xe1 are not ASCII letters: no folding, 0xc1 < 0xe1.
    assert.equal(elect(new Uint8Array([0xc1]), new Uint8Array([0xe1])), 'lose');
    assert.notEqual(compareIdentities(new Uint8Array([0xc1]), new Uint8Array([0xe1])), 0);
  });

  it('exactly one side wins whenever the identities differ (the two nodes agree)', () => {
    const label = fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/);
    const identity = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
    fc.assert(
      fc.property(identity, identity, (a, b) => {
        const same = a.toLowerCase() === b.toLowerCase();
        const ab = elect(a, b);
        const ba = elect(b, a);
        if (same) return ab === 'lose' && ba === 'lose';
        return ab !== ba;
      }),
      { numRuns: 2000, interruptAfterTimeLimit: 2000 },
    );
  });

  it('agrees with comparing lower-cased strings for host names', () => {
    const label = fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/);
    const identity = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
    fc.assert(
      fc.property(identity, identity, (a, b) => {
        const x = a.toLowerCase();
        const y = b.toLowerCase();
        const expected = x > y ? 'win' : 'lose';
        return elect(a, b) === expected;
      }),
      { numRuns: 2000, interruptAfterTimeLimit: 2000 },
    );
  });
});
