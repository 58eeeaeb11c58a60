/**
 * A real CDF for the Rf tests: a DiameterNode with the RfApplication over a SQLite store in a temp
 * directory, listening on 127.0.0.1 port 0, and a client node (the CTF) connected to it over TCP with
 * node.connect(). ACRs go out with peer.request(), exactly as a library user sends them.
 * Identities are those of the vectors: CDF cdf.example.net / example.net, CTF ctf.example.com / example.com.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from '../../src/codec/types.js';
import type { CdfSettings } from '../../src/cdf/session-manager.js';
import { RfApplication, type RfOptions } from '../../src/cdf/rf-application.js';
import { SqliteStore } from '../../src/cdf/sqlite-store.js';
import type { Cdr } from '../../src/cdf/store.js';
import { messageToJson, type MessageJson } from '../../src/dictionary/message-format.js';
import { DiameterNode } from '../../src/node/node.js';
import type { Peer } from '../../src/peer/peer.js';
import { acr, dictionary, type AcrSpec } from './acr-builder.js';

export const CDF_IDENTITY = { originHost: 'cdf.example.net', originRealm: 'example.net' };
export const CTF_IDENTITY = { originHost: 'ctf.example.com', originRealm: 'example.com' };

export interface CdfOptions {
  settings?: Partial<CdfSettings>;
  supervisionTickMs?: number;
  sequenceBlock?: number;
  /** The SQLite file; default a new temp directory's cdf.db (removed by close({ keepFiles: false })). */
  path?: string;
  /** The group committer's limits (RfOptions.commit). */
  commit?: RfOptions['commit'];
  /** The CTF's identity beyond CTF_IDENTITY (e.g. its Origin-State-Id, which its CER carries). */
  ctf?: { originHost?: string; originStateId?: number };
}

export class TestCdf {
  private constructor(
    readonly path: string,
    readonly store: SqliteStore,
    readonly rf: RfApplication,
    readonly server: DiameterNode,
    readonly client: DiameterNode,
    readonly peer: Peer,
    private readonly ownDir: string | undefined,
    /** The CDF's TCP port on 127.0.0.1. */
    readonly port: number,
  ) {}

  static async start(opts: CdfOptions = {}): Promise<TestCdf> {
    const ownDir = opts.path ? undefined : mkdtempSync(join(tmpdir(), 'diamkit-cdf-'));
    const path = opts.path ?? join(ownDir!, 'cdf.db');
    const store = new SqliteStore({ path, synchronous: 'NORMAL' });
    await store.open();
    const dict = dictionary();
    const rf = new RfApplication({
      store,
      dictionary: dict,
      settings: opts.settings,
      supervisionTickMs: opts.supervisionTickMs,
      sequenceBlock: opts.sequenceBlock,
      commit: opts.commit,
    });
    await rf.start();
    const server = new DiameterNode({ dictionary: dict, identity: CDF_IDENTITY, shutdownTimeoutMs: 1000 });
    server.register(rf.application());
    const addr = await server.listen({ host: '127.0.0.1', port: 0 });
    // The CTF advertises Acct-Application-Id 3 in its CER (accounting-rf.md §2); it serves no requests.
    const client = new DiameterNode({ dictionary: dict, identity: { ...CTF_IDENTITY, ...opts.ctf }, shutdownTimeoutMs: 1000 });
    client.register({ id: 3, name: 'rf-client', kind: 'acct', commands: new Map() });
    const peer = await client.connect({ host: '127.0.0.1', port: addr.port }, { timeoutMs: 5000 });
    return new TestCdf(path, store, rf, server, client, peer, ownDir, addr.port);
  }

  /** Sends an ACR (a spec for acr-builder, or a ready message) and resolves with the ACA. */
  send(m: AcrSpec | Message): Promise<Message> {
    const msg = 'avps' in m ? m : acr(m);
    return this.peer.request(msg, { timeoutMs: 5000 });
  }

  /** Sends and returns the ACA in the JSON form. */
  async sendJson(m: AcrSpec | Message): Promise<MessageJson> {
    return messageToJson(await this.send(m), dictionary());
  }

  cdrs(sessionId?: string): Promise<Cdr[]> {
    return this.store.listCdrs({ sessionId, limit: 1000 });
  }

  /** Stops both nodes, the application and the store; removes the temp directory unless keepFiles. */
  async close(opts: { keepFiles?: boolean } = {}): Promise<void> {
    await this.client.stop();
    await this.server.stop();
    await this.rf.stop();
    await this.store.close();
    if (this.ownDir && !opts.keepFiles) rmSync(this.ownDir, { recursive: true, force: true });
  }
}

/** Result-Code of an answer in the JSON form. */
export function resultCodeOf(aca: MessageJson): number | undefined {
  const rc = aca.avps.find((a) => 'Result-Code' in a)?.['Result-Code'];
  return typeof rc === 'number' ? rc : undefined;
}

/** Polls `cond` every 10 ms until it is truthy or `timeoutMs` passes. */
export async function waitFor<T>(cond: () => Promise<T> | T, what: string, timeoutMs = 3000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
