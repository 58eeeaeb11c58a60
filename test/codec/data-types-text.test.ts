/**
 * The text and octet data types (RFC 6733 §4.3.1: UTF8String, DiameterIdentity, OctetString,
 * DiameterURI) against hand-computed octets, and the error each malformed value raises.
 * Expected bytes are written out here from the RFC layouts, never produced by the encoder under test.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DiameterError } from '../../src/codec/errors.js';
import type { DiameterUri } from '../../src/codec/types.js';
import { parseDiameterUri } from '../../src/codec/uri.js';
import { dec, decodeOneAvp, enc, rejects, refuses } from './data-types-helpers.js';

describe('UTF8String (RFC 6733 §4.3.1)', () => {
  test('octets are UTF-8, length in octets', () => {
    assert.equal(enc('UTF8String', 'héllo'), '68c3a96c6c6f');
    assert.equal(enc('UTF8String', '€'), 'e282ac');
    assert.equal(enc('UTF8String', '😀'), 'f09f9880');
    assert.equal(enc('UTF8String', ''), '');
    assert.equal(dec('UTF8String', '68c3a96c6c6f'), 'héllo');
    assert.equal(dec('UTF8String', 'f09f9880'), '😀');
    assert.equal(dec('DiameterIdentity', '6364662e6578616d706c652e6e6574'), 'cdf.example.net');
  });

  test('invalid UTF-8 → AVP_BAD_UTF8 (5004)', () => {
    for (const hex of [
      'c328', // bad continuation
      'c0af', // overlong '/'
      'e282', // truncated sequence
      'eda080', // UTF-16 surrogate D800
      'f4908080', // above U+10FFFF
      'ff',
      '80',
    ]) {
      rejects('UTF8String', hex, 'AVP_BAD_UTF8');
      rejects('DiameterIdentity', hex, 'AVP_BAD_UTF8');
      assert.throws(
        () => decodeOneAvp('UTF8String', hex),
        (e: unknown) => e instanceof DiameterError && e.code === 'AVP_BAD_UTF8' && e.resultCode === 5004,
        hex,
      );
    }
  });

  test('OctetString keeps any octets; a string is written as UTF-8', () => {
    assert.deepEqual([...(dec('OctetString', '00ff06') as Uint8Array)], [0, 255, 6]);
    assert.equal(enc('OctetString', Uint8Array.of(6)), '06');
    assert.equal(enc('OctetString', 'ab'), '6162');
    assert.equal(enc('OctetString', new Uint8Array(0)), '');
    refuses('OctetString', 5);
  });
});

describe('DiameterURI (RFC 6733 §4.3.1)', () => {
  test('FQDN only', () => {
    const u = parseDiameterUri('aaa://cdf.example.net');
    assert.deepEqual(u, { text: 'aaa://cdf.example.net', scheme: 'aaa', host: 'cdf.example.net' });
  });

  test('port, transport and protocol', () => {
    assert.deepEqual(parseDiameterUri('aaa://cdf.example.net:3868;transport=tcp;protocol=diameter'), {
      text: 'aaa://cdf.example.net:3868;transport=tcp;protocol=diameter',
      scheme: 'aaa',
      host: 'cdf.example.net',
      port: 3868,
      transport: 'tcp',
      protocol: 'diameter',
    });
    assert.deepEqual(parseDiameterUri('aaas://h.example.com:5868;transport=sctp'), {
      text: 'aaas://h.example.com:5868;transport=sctp',
      scheme: 'aaas',
      host: 'h.example.com',
      port: 5868,
      transport: 'sctp',
    });
    assert.deepEqual(parseDiameterUri('aaa://radius.example.com;transport=udp;protocol=radius'), {
      text: 'aaa://radius.example.com;transport=udp;protocol=radius',
      scheme: 'aaa',
      host: 'radius.example.com',
      transport: 'udp',
      protocol: 'radius',
    });
    assert.equal(parseDiameterUri('aaa://h;protocol=tacacs+')?.protocol, 'tacacs+');
    // The scheme is case-insensitive (RFC 3986 §3.1), and reported in lower case.
    assert.equal(parseDiameterUri('AAAS://cdf.example.net')?.scheme, 'aaas');
  });

  test('invalid URIs are rejected', () => {
    for (const s of [
      '',
      'cdf.example.net',
      'http://cdf.example.net',
      'aaa://',
      'aaa:/cdf.example.net',
      'aaa://cdf.example.net:99999',
      'aaa://cdf.example.net:',
      'aaa://cdf.example.net:abc',
      'aaa://cdf.example.net;transport=quic',
      'aaa://cdf.example.net;protocol=http',
      'aaa://cdf.example.net;color=red',
      'aaa://cdf example.net',
      'aaa://cdf.example.net/path',
      // RFC 6733 §4.3.1: udp MUST NOT be used with diameter, the default protocol.
      'aaa://cdf.example.net;transport=udp',
      'aaa://cdf.example.net;transport=udp;protocol=diameter',
    ]) {
      assert.equal(parseDiameterUri(s), undefined, s);
    }
  });

  test('codec: the text is the wire form; bad text → AVP_BAD_VALUE (5004) / ENCODE_BAD_VALUE', () => {
    const text = 'aaa://cdf.example.net:3868;transport=tcp';
    assert.equal(enc('DiameterURI', text), Buffer.from(text).toString('hex'));
    const u = dec('DiameterURI', Buffer.from(text).toString('hex')) as DiameterUri;
    assert.equal(u.host, 'cdf.example.net');
    assert.equal(u.port, 3868);
    assert.equal(
      enc('DiameterURI', {
        scheme: 'aaas',
        host: 'a.example',
        port: 5868,
        protocol: 'diameter',
      } as DiameterUri),
      Buffer.from('aaas://a.example:5868;protocol=diameter').toString('hex'),
    );
    rejects('DiameterURI', Buffer.from('http://x').toString('hex'), 'AVP_BAD_VALUE');
    rejects('DiameterURI', 'c328', 'AVP_BAD_UTF8');
    refuses('DiameterURI', 'cdf.example.net');
    assert.throws(
      () => decodeOneAvp('DiameterURI', Buffer.from('aaa://h:70000').toString('hex')),
      (e: unknown) => e instanceof DiameterError && e.code === 'AVP_BAD_VALUE' && e.resultCode === 5004,
    );
  });
});

describe('UTF8String refuses what UTF-8 cannot carry', () => {
  test('a lone UTF-16 surrogate is ENCODE_BAD_VALUE, not a silent U+FFFD', () => {
    for (const s of ['\ud800', 'abc\udc00', '\ud83d']) {
      assert.throws(
        () => enc('UTF8String', s),
        (e: unknown) => e instanceof DiameterError && e.code === 'ENCODE_BAD_VALUE',
        JSON.stringify(s),
      );
    }
    // A proper pair is fine: U+1F600 is f0 9f 98 80.
    assert.equal(enc('UTF8String', '\ud83d\ude00'), 'f09f9880');
  });
});
