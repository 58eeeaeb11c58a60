/**
 * Wireshark's dissector judges bytes our encoder produces (issue 2): every vector after a trip through
 * decode → JSON form → encode, and 3GPP ACRs built from the JSON form with Service-Information →
 * IMS-Information and PS-Information → Service-Data-Container. No malformed packet, no expert info, and
 * the values tshark reads are the ones we meant (expected values are written here, not taken from our codec).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage, encodeMessage } from '../../src/codec/message.js';
import { FLAG_R } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { messageFromJson, messageToJson, type MessageJson } from '../../src/dictionary/message-format.js';
import { loadVectors } from '../helpers/vectors.js';
import { requireTool } from './helpers/require-tool.js';
import { tsharkCheckMessages } from './helpers/tshark.js';

const PORT = 3997;
const dict = builtinDictionary();

const IMS_ACR: MessageJson = {
  command: 'ACR',
  hopByHop: '0x00000101',
  endToEnd: '0x00000201',
  avps: [
    { 'Session-Id': 'scscf.example.com;1;77' },
    { 'Origin-Host': 'scscf.example.com' },
    { 'Origin-Realm': 'example.com' },
    { 'Destination-Realm': 'example.net' },
    { 'Accounting-Record-Type': 'START_RECORD' },
    { 'Accounting-Record-Number': 0 },
    { 'Acct-Application-Id': 3 },
    { 'Event-Timestamp': '2025-03-01T12:00:00Z' },
    { 'Service-Context-Id': '32260@3gpp.org' },
    {
      'Service-Information': [
        {
          'Subscription-Id': [
            { 'Subscription-Id-Type': 'END_USER_SIP_URI' },
            { 'Subscription-Id-Data': 'sip:carol@example.com' },
          ],
        },
        {
          'IMS-Information': [
            { 'Event-Type': [{ 'SIP-Method': 'INVITE' }] },
            { 'Role-Of-Node': 'TERMINATING_ROLE' },
            { 'Node-Functionality': 'S-CSCF' },
            { 'User-Session-Id': 'call-77@example.com' },
            { 'Calling-Party-Address': 'sip:dave@example.org' },
            { 'Called-Party-Address': 'sip:carol@example.com' },
            {
              'Time-Stamps': [
                { 'SIP-Request-Timestamp': '2025-03-01T11:59:58Z' },
                { 'SIP-Response-Timestamp': '2025-03-01T12:00:00Z' },
              ],
            },
            { 'IMS-Charging-Identifier': 'icid-77' },
          ],
        },
      ],
    },
  ],
};

const PGW_ACR: MessageJson = {
  command: 'ACR',
  hopByHop: '0x00000102',
  endToEnd: '0x00000202',
  avps: [
    { 'Session-Id': 'pgw.example.com;1;9' },
    { 'Origin-Host': 'pgw.example.com' },
    { 'Origin-Realm': 'example.com' },
    { 'Destination-Realm': 'example.net' },
    { 'Accounting-Record-Type': 'INTERIM_RECORD' },
    { 'Accounting-Record-Number': 1 },
    { 'Acct-Application-Id': 3 },
    { 'Service-Context-Id': '32251@3gpp.org' },
    {
      'Service-Information': [
        {
          'Subscription-Id': [
            { 'Subscription-Id-Type': 'END_USER_IMSI' },
            { 'Subscription-Id-Data': '001010000000009' },
          ],
        },
        {
          'PS-Information': [
            { '3GPP-Charging-Id': 4242 },
            { 'PDP-Address': '2001:db8::9' },
            { 'GGSN-Address': '192.0.2.40' },
            { 'Called-Station-Id': 'ims' },
            {
              'Service-Data-Container': [
                { 'Accounting-Input-Octets': '5000000000' },
                { 'Accounting-Output-Octets': '18446744073709551615' },
                { 'Rating-Group': 200 },
                { 'Local-Sequence-Number': 7 },
                { 'Time-Usage': 60 },
                { 'Change-Time': '2025-03-01T12:01:00Z' },
              ],
            },
            {
              'Service-Data-Container': [{ 'Accounting-Input-Octets': '1' }, { 'Rating-Group': 300 }],
            },
          ],
        },
      ],
    },
  ],
};

test('tshark reads every vector after decode → JSON → encode by diamkit', async (t) => {
  if (!requireTool(t, 'tshark')) return;
  const messages = loadVectors().map((v) => {
    const json = messageToJson(decodeMessage(v.bytes, dict.resolve), dict);
    const bytes = encodeMessage(messageFromJson(JSON.parse(JSON.stringify(json)) as MessageJson, dict));
    assert.equal(bytes.toString('hex'), v.hex, `${v.name} re-encodes identically`);
    return { bytes, fromClient: (bytes[4]! & FLAG_R) !== 0 };
  });
  const r = await tsharkCheckMessages(messages, { port: PORT });
  assert.equal(r.malformedCount, 0, r.text);
  assert.deepEqual(r.expertLines, []);
});

test('tshark reads a 3GPP IMS ACR and a P-GW ACR built from the JSON form', async (t) => {
  if (!requireTool(t, 'tshark')) return;
  const ims = encodeMessage(messageFromJson(IMS_ACR, dict));
  const pgw = encodeMessage(messageFromJson(PGW_ACR, dict));
  const r = await tsharkCheckMessages(
    [
      { bytes: ims, fromClient: true },
      { bytes: pgw, fromClient: true },
    ],
    {
      port: PORT,
      fields: [
        'diameter.IMS-Charging-Identifier',
        'diameter.User-Session-ID',
        'diameter.Rating-Group',
        'diameter.Accounting-Output-Octets',
        'diameter.3GPP-Charging-Id',
      ],
    },
  );
  assert.equal(r.malformedCount, 0, r.text);
  assert.deepEqual(r.expertLines, []);
  const [imsRow, pgwRow] = r.fields;
  assert.deepEqual(imsRow?.[0], ['icid-77']);
  assert.deepEqual(imsRow?.[1], ['call-77@example.com']);
  assert.deepEqual(pgwRow?.[2], ['200', '300']);
  assert.deepEqual(pgwRow?.[3], ['18446744073709551615']);
  // Wireshark types 3GPP-Charging-Id as OctetString and prints hex: 4242 = 0x00001092.
  assert.deepEqual(pgwRow?.[4], ['00001092']);
  // tshark's own tree shows the nesting we built.
  assert.match(r.text, /Service-Information[\s\S]*PS-Information[\s\S]*Service-Data-Container/);
  assert.match(r.text, /Service-Information[\s\S]*IMS-Information[\s\S]*Time-Stamps/);
});
