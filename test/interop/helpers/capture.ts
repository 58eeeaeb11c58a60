/**
 * A packet capture around an interop test (dumpcap), read back with tshark (tshark.ts) into the
 * Diameter messages on the wire. Re-exported by peers.ts.
 */
import { join } from 'node:path';
import { FLAG_R } from '../../../src/codec/types.js';
import { describeExit, spawnChild } from './child.js';
import { makeTempDir } from './dirs.js';
import type { Netns } from './netns.js';
import { tsharkDecode, tsharkFields, type TsharkDecode } from './tshark.js';

// ---------------------------------------------------------------------------------------------------
// capture

export interface Capture {
  file: string;
  /** Stops the capture (SIGINT, so dumpcap finishes the file) and resolves with the pcap path. */
  stop(): Promise<string>;
}

/**
 * Captures `tcp port PORT` on `lo` with dumpcap (Wireshark's capture engine, which tshark itself runs)
 * into a fresh pcap; resolves once dumpcap reports that it is capturing.
 */
export async function startCapture(port: number, opts: { netns?: Netns } = {}): Promise<Capture> {
  const file = join(makeTempDir('capture'), `port-${port}.pcap`);
  const child = spawnChild('dumpcap', 'dumpcap', ['-i', 'lo', '-f', `tcp port ${port}`, '-P', '-w', file], {
    netns: opts.netns,
  });
  await child.waitFor(/Capturing on/, 15_000, 'the "Capturing on" line');
  return {
    file,
    stop: async () => {
      // Let the last segments reach the capture before it ends.
      await new Promise((r) => setTimeout(r, 300));
      const status = await child.stop('SIGINT', 5000);
      if (status.code !== 0 && status.signal === null)
        throw new Error(`dumpcap failed (${describeExit(status)})\n${child.output}`);
      return file;
    },
  };
}

/** One Diameter message of a capture, as tshark read it. */
export interface WireMessage {
  srcPort: number;
  flags: number;
  cmd: number;
  /** Result-Code values tshark found in the message (top level and nested). */
  resultCodes: string[];
}

export interface CaptureReading {
  decode: TsharkDecode;
  messages: WireMessage[];
  /** Expert items of severity Error or Warn (tshark's "Errors (n)" / "Warns (n)"), less the allowed ones. */
  serious: string[];
}

/**
 * Expert items that say nothing about the Diameter bytes: TCP sequence analysis (retransmissions,
 * D-SACK) that a loaded loopback produces now and then.
 */
export const TRANSPORT_EXPERT = /^\w+: \d+ Sequence TCP /;

/**
 * Reads a capture with tshark (decoding TCP `port` as Diameter): the full decode with its malformed
 * count and expert report, and one row per Diameter message. The tshark runs go in parallel.
 * `allow` lists further expert items a test expects (an unknown command it sent on purpose).
 */
export async function readCapture(pcap: string, port: number, allow: RegExp[] = []): Promise<CaptureReading> {
  const [decode, rows] = await Promise.all([
    tsharkDecode(pcap, port),
    tsharkFields(pcap, port, ['tcp.srcport', 'diameter.flags', 'diameter.cmd.code', 'diameter.Result-Code']),
  ]);
  const messages: WireMessage[] = [];
  for (const [src, flags, cmds, rcs] of rows) {
    // One TCP segment may carry several messages: tshark lists each field once per message.
    (cmds ?? []).forEach((cmd, i) => {
      messages.push({
        srcPort: Number(src![0]),
        flags: Number(flags![i]),
        cmd: Number(cmd),
        resultCodes: rcs ?? [],
      });
    });
  }
  const serious = decode.expertLines.filter(
    (l) => /^(Error|Warn)/.test(l) && !TRANSPORT_EXPERT.test(l) && !allow.some((re) => re.test(l)),
  );
  return { decode, messages, serious };
}

/** Names each message "side:codeR" / "side:codeA", e.g. "us:257A", for comparing exchanges. */
export function wireSequence(
  messages: WireMessage[],
  serverPort: number,
  server: string,
  client: string,
): string[] {
  return messages.map(
    (m) => `${m.srcPort === serverPort ? server : client}:${m.cmd}${m.flags & FLAG_R ? 'R' : 'A'}`,
  );
}
