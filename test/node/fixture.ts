/**
 * The node the node tests talk to: a DiameterNode over the built-in dictionary with one test application
 * (id 3, 'test-acct') whose only command, ACR (271), is answered 2001 — and a way to attach in-memory
 * raw clients to it (node.accept over a duplex pair), as aedes' tests attach plain streams.
 */
import assert from 'node:assert/strict';
import type { Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { buildAnswer } from '../../src/node/answers.js';
import type { RequestContext } from '../../src/node/handlers.js';
import { DiameterNode, type NodeOptions } from '../../src/node/node.js';
import { duplexPair } from '../helpers/duplex-pair.js';
import { AVP, RawPeer, cer, resultCode, type CerFields } from '../helpers/raw-peer.js';

/** The CDF identity of the test vectors (02-cea, 04-dwa, 08-dpa, 09-error-3001-ebit). */
export const SERVER = {
  originHost: 'cdf.example.net',
  originRealm: 'example.net',
  vendorId: 0,
  productName: 'cdf-sim',
  originStateId: 1700000100,
  firmwareRevision: undefined,
};
/** The address vector 02's CEA gives in Host-IP-Address. */
export const SERVER_ADDRESS = '192.0.2.20';

export interface TestNode {
  node: DiameterNode;
  /** Every ACR the test application's handler was called with. */
  calls: Message[];
}

/** A node serving the test application; `answer` overrides the handler (default: ACA 2001). */
export function testNode(
  opts: Partial<NodeOptions> = {},
  answer?: (
    req: Message,
    ctx: RequestContext,
  ) => Message | Buffer | undefined | Promise<Message | Buffer | undefined>,
): TestNode {
  const calls: Message[] = [];
  const node = new DiameterNode({ dictionary: builtinDictionary(), identity: SERVER, ...opts });
  const handler = (req: Message, ctx: RequestContext) => {
    calls.push(req);
    if (answer) return answer(req, ctx);
    // The ACA keeps the ACR's Accounting-Record-Type/-Number (accounting-rf.md §1.2).
    const keep = req.avps.filter(
      (a) =>
        a.vendorId === 0 &&
        (a.code === AVP.ACCOUNTING_RECORD_TYPE || a.code === AVP.ACCOUNTING_RECORD_NUMBER),
    );
    return buildAnswer(req, ctx.identity, 2001, { avps: keep });
  };
  node.register({ id: 3, name: 'test-acct', kind: 'acct', commands: new Map([[271, handler]]) });
  return { node, calls };
}

/** A raw client on one end of an in-memory pair whose other end the node accepted. */
export function attach(node: DiameterNode, localAddress = SERVER_ADDRESS): RawPeer {
  const [ours, theirs] = duplexPair();
  ours.localAddress = localAddress;
  node.accept(ours);
  return new RawPeer(theirs);
}

/**
 * Attaches a client and completes CER/CEA 2001. The client answers DWRs by itself: a node sends one
 * at once to a peer that reconnects (RFC 3539 REOPEN), which would otherwise come out of next().
 */
export async function openClient(node: DiameterNode, f: CerFields = {}): Promise<RawPeer> {
  const c = attach(node);
  c.answerWatchdogs = true;
  if (f.originHost) c.originHost = f.originHost;
  const cea = await c.exchange(cer(f));
  assert.equal(resultCode(cea), 2001, 'CEA Result-Code');
  return c;
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every 5 ms until it holds or `timeoutMs` passes (then fails with `what`). */
export async function until(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for: ${what}`);
    await sleep(5);
  }
}
