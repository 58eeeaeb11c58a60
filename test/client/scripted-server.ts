/**
 * A Diameter server scripted by hand for the load generator's tests (answers built with
 * test/helpers/raw-peer.ts, not the codec under test): it accepts the CER, answers each ACR as the test
 * says (AVPs, a delay, or never), answers DPR, and records what it received and when. Also the load
 * options the tests start from.
 */
import net from 'node:net';
import { after } from 'node:test';
import { loadTemplate } from '../../src/client/load/acr-template.js';
import type { LoadOptions } from '../../src/client/load/options.js';
import { avp, ipv4, message, RawPeer, find, strOf, u32Of, type RawMessage } from '../helpers/raw-peer.js';

// Every server a test file starts is closed when that file's tests are done.
const servers: ScriptedServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

export interface Seen {
  conn: number;
  sessionId: string;
  type: number;
  number: number;
  at: number;
}

/** What the server does with one ACR: answer with these AVPs after `delayMs`, or never (null). */
export type Reply = { avps: Buffer[]; delayMs?: number } | null;

export class ScriptedServer {
  readonly peers: RawPeer[] = [];
  /** CERs in the order they arrived. */
  readonly cers: RawMessage[] = [];
  /** The CER of each connection, by its index in accept order (`Seen.conn`): not the arrival order. */
  readonly cerOf: RawMessage[] = [];
  readonly acrs: Seen[] = [];
  readonly dwas: RawMessage[] = [];
  readonly dpas: RawMessage[] = [];
  private readonly sockets = new Set<net.Socket>();
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(
    onAcr: (m: RawMessage, s: ScriptedServer) => Reply,
    cea: (cer: RawMessage) => Buffer = acceptCea,
    onOpen?: (p: RawPeer) => void,
  ): Promise<ScriptedServer> {
    const holder: { self?: ScriptedServer } = {};
    const server = net.createServer((sock) => {
      const s = holder.self!;
      s.sockets.add(sock);
      sock.on('close', () => s.sockets.delete(sock));
      const peer = new RawPeer(sock);
      const idx = s.peers.push(peer) - 1;
      void (async () => {
        try {
          for (;;) {
            const m = await peer.next(30_000);
            if (m.command === 257 && m.flags & 0x80) {
              s.cers.push(m);
              s.cerOf[idx] = m;
              peer.send(cea(m));
              onOpen?.(peer);
            } else if (m.command === 271 && m.flags & 0x80) {
              s.acrs.push({
                conn: idx,
                sessionId: strOf(m, 263)!,
                type: u32Of(m, 480)!,
                number: u32Of(m, 485)!,
                at: performance.now(),
              });
              const r = onAcr(m, s);
              if (!r) continue;
              const bytes = aca(m, r.avps);
              if (r.delayMs) setTimeout(() => !peer.closed && peer.send(bytes), r.delayMs);
              else peer.send(bytes);
            } else if (m.command === 282 && m.flags & 0x80) {
              peer.send(
                message({ flags: 0, command: 282, hbh: m.hbh, e2e: m.e2e }, [
                  avp(268, 2001),
                  avp(264, 'scripted.example.net'),
                  avp(296, 'example.net'),
                ]),
              );
            } else if (m.command === 280 && !(m.flags & 0x80)) {
              s.dwas.push(m);
            } else if (m.command === 282 && !(m.flags & 0x80)) {
              s.dpas.push(m);
            }
          }
        } catch {
          /* closed */
        }
      })();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const self = new ScriptedServer(server, (server.address() as net.AddressInfo).port);
    holder.self = self;
    servers.push(self);
    return self;
  }

  bySession(): Map<string, Seen[]> {
    const m = new Map<string, Seen[]>();
    for (const a of this.acrs) m.set(a.sessionId, [...(m.get(a.sessionId) ?? []), a]);
    return m;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

export function acceptCea(cer: RawMessage): Buffer {
  return message({ flags: 0, command: 257, hbh: cer.hbh, e2e: cer.e2e }, [
    avp(268, 2001),
    avp(264, 'scripted.example.net'),
    avp(296, 'example.net'),
    avp(257, ipv4('127.0.0.1')),
    avp(266, 0),
    avp(269, 'scripted', { flags: 0 }),
    avp(259, 3),
  ]);
}

/** An ACA: Session-Id copied, then the given AVPs, then record type and number copied (RFC 6733 §9.7.2). */
export function aca(req: RawMessage, avps: Buffer[]): Buffer {
  const copy = (code: number) => {
    const a = find(req, code)!;
    return req.bytes.subarray(a.offset, a.offset + ((a.length + 3) & ~3));
  };
  return message({ flags: req.flags & 0x40, command: 271, appId: 3, hbh: req.hbh, e2e: req.e2e }, [
    copy(263),
    ...avps,
    avp(264, 'scripted.example.net'),
    avp(296, 'example.net'),
    copy(480),
    copy(485),
  ]);
}

export const ok: Reply = { avps: [avp(268, 2001)] };

export function options(port: number, o: Partial<LoadOptions>): LoadOptions {
  return {
    host: '127.0.0.1',
    port,
    mode: 'closed',
    rate: 0,
    concurrency: 1,
    holding: { kind: 'fixed', seconds: 0 },
    interimSeconds: 0,
    event: false,
    template: loadTemplate('ims'),
    connections: 1,
    workers: 1,
    warmupMs: 0,
    timeoutMs: 2000,
    originHost: 'load.localdomain',
    originRealm: 'localdomain',
    sameOriginHost: false,
    seed: 1,
    dictionaryFiles: [],
    maxInFlightPerConnection: 1024,
    ...o,
  };
}
