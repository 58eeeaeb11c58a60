/**
 * Writes Diameter messages into a classic libpcap file (Ethernet / IPv4 / TCP) so that a real
 * dissector (tshark) can judge our bytes. 127.0.0.1 ↔ 127.0.0.1, one message per TCP segment unless
 * asked to split.
 *
 * No SYN/SYN-ACK is written on purpose: tshark reports the handshake as "Chat" expert info, and the
 * interop tests require a capture with no expert info at all. Sequence and acknowledgement numbers
 * stay consistent across both directions so that tshark's TCP analysis sees an in-order stream.
 */
import { writeFileSync } from 'node:fs';

export interface PcapMessage {
  bytes: Uint8Array;
  /** true: client (port 40000) → server (the given port); false: the other way. */
  fromClient: boolean;
}

export const CLIENT_PORT = 40000;

const PCAP_MAGIC = 0xa1b2c3d4; // classic pcap, microsecond timestamps
const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 262144;
const ETH_LEN = 14;
const IP_LEN = 20;
const TCP_LEN = 20;
/** IPv4 total length is 16 bits. */
const MAX_PAYLOAD = 0xffff - IP_LEN - TCP_LEN;

const CLIENT_MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const SERVER_MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
const LOOPBACK = [127, 0, 0, 1];

/** Ones'-complement sum of 16-bit big-endian words (RFC 1071), not yet inverted. */
function onesComplementSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function checksum(bytes: Uint8Array, initial = 0): number {
  return ~onesComplementSum(bytes, initial) & 0xffff;
}

function frame(
  payload: Uint8Array,
  fromClient: boolean,
  serverPort: number,
  seq: number,
  ack: number,
  ipId: number,
): Uint8Array {
  const out = new Uint8Array(ETH_LEN + IP_LEN + TCP_LEN + payload.length);
  const view = new DataView(out.buffer);

  // Ethernet II
  out.set(fromClient ? SERVER_MAC : CLIENT_MAC, 0);
  out.set(fromClient ? CLIENT_MAC : SERVER_MAC, 6);
  view.setUint16(12, 0x0800);

  // IPv4 (RFC 791), DF set, no options
  const ip = ETH_LEN;
  out[ip] = 0x45;
  view.setUint16(ip + 2, IP_LEN + TCP_LEN + payload.length);
  view.setUint16(ip + 4, ipId & 0xffff);
  view.setUint16(ip + 6, 0x4000);
  out[ip + 8] = 64;
  out[ip + 9] = 6;
  out.set(LOOPBACK, ip + 12);
  out.set(LOOPBACK, ip + 16);
  view.setUint16(ip + 10, checksum(out.subarray(ip, ip + IP_LEN)));

  // TCP (RFC 9293), PSH+ACK, no options
  const tcp = ip + IP_LEN;
  view.setUint16(tcp, fromClient ? CLIENT_PORT : serverPort);
  view.setUint16(tcp + 2, fromClient ? serverPort : CLIENT_PORT);
  view.setUint32(tcp + 4, seq >>> 0);
  view.setUint32(tcp + 8, ack >>> 0);
  out[tcp + 12] = (TCP_LEN / 4) << 4;
  out[tcp + 13] = 0x18;
  view.setUint16(tcp + 14, 65535);
  out.set(payload, tcp + TCP_LEN);

  // TCP checksum over the pseudo-header (src, dst, zero, protocol, TCP length) and the segment.
  const pseudo = new Uint8Array(12);
  pseudo.set(LOOPBACK, 0);
  pseudo.set(LOOPBACK, 4);
  pseudo[9] = 6;
  new DataView(pseudo.buffer).setUint16(10, TCP_LEN + payload.length);
  view.setUint16(tcp + 16, checksum(out.subarray(tcp), onesComplementSum(pseudo)));
  return out;
}

export interface PcapOptions {
  /**
   * Largest TCP payload per segment (default and maximum: what fits one IPv4 packet). A smaller value
   * splits messages across segments, which exercises tshark's TCP reassembly of Diameter.
   */
  segmentSize?: number;
}

/** The bytes of a pcap file holding `messages`, in order, each in as few TCP segments as fit. */
export function buildPcap(
  messages: readonly PcapMessage[],
  port: number,
  options: PcapOptions = {},
): Uint8Array {
  const segmentSize = options.segmentSize ?? MAX_PAYLOAD;
  if (!Number.isInteger(segmentSize) || segmentSize < 1 || segmentSize > MAX_PAYLOAD) {
    throw new RangeError(`segmentSize must be 1..${MAX_PAYLOAD}, got ${segmentSize}`);
  }
  if (!Number.isInteger(port) || port <= 0 || port > 0xffff || port === CLIENT_PORT) {
    throw new RangeError(`server port must be 1..65535 and not ${CLIENT_PORT}, got ${port}`);
  }
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(24);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, PCAP_MAGIC, true);
  hv.setUint16(4, 2, true);
  hv.setUint16(6, 4, true);
  hv.setUint32(16, SNAPLEN, true);
  hv.setUint32(20, LINKTYPE_ETHERNET, true);
  parts.push(header);

  // Arbitrary but fixed initial sequence numbers; relative numbering in tshark starts from them.
  let clientSeq = 0x10000000;
  let serverSeq = 0x20000000;
  const baseSeconds = 1_700_000_000;
  let packets = 0;
  messages.forEach((m, i) => {
    if (m.bytes.length === 0) throw new RangeError(`message ${i} is empty`);
    for (let start = 0; start < m.bytes.length; start += segmentSize) {
      const payload = m.bytes.subarray(start, Math.min(start + segmentSize, m.bytes.length));
      const seq = m.fromClient ? clientSeq : serverSeq;
      const ack = m.fromClient ? serverSeq : clientSeq;
      packets += 1;
      const packet = frame(payload, m.fromClient, port, seq, ack, packets);
      if (m.fromClient) clientSeq = (clientSeq + payload.length) >>> 0;
      else serverSeq = (serverSeq + payload.length) >>> 0;

      // One packet per millisecond: distinct, increasing timestamps.
      const rec = new Uint8Array(16);
      const rv = new DataView(rec.buffer);
      rv.setUint32(0, baseSeconds + Math.floor(packets / 1000), true);
      rv.setUint32(4, (packets % 1000) * 1000, true);
      rv.setUint32(8, packet.length, true);
      rv.setUint32(12, packet.length, true);
      parts.push(rec, packet);
    }
  });

  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Writes `messages` as a pcap at `path` (client 127.0.0.1:40000, server 127.0.0.1:`port`). */
export function writePcap(
  path: string,
  messages: readonly PcapMessage[],
  port: number,
  options: PcapOptions = {},
): void {
  writeFileSync(path, buildPcap(messages, port, options));
}
