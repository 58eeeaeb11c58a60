/**
 * The answer every request gets (base-protocol.md §9.5 order): header bits → duplicates →
 * application/command → routing → grammar → the application's handler; answers a handler gives later are
 * counted in flight so that stop() can wait for them. DiameterNode (node.ts) extends this with the peer
 * table, the listeners and outgoing connections, and shutdown.
 */
import { EventEmitter } from 'node:events';
import { DiameterError } from '../codec/errors.js';
import { encodeMessage } from '../codec/message.js';
import { avpText } from '../codec/raw-values.js';
import { findAvp } from '../dictionary/accessors.js';
import { FLAG_E, FLAG_T, type Message } from '../codec/types.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { Code } from '../dictionary/codes.js';
import { validateMessage, type ValidateOptions } from '../dictionary/validate.js';
import type { Connection } from '../peer/connection.js';
import { channels } from '../peer/diagnostics.js';
import type { Peer } from '../peer/peer.js';
import { answerForError, buildErrorAnswer } from './answers.js';
import { answerResultCode, publishErrorAnswer } from './error-answers.js';
import { DuplicateCache, withHopByHop } from './duplicates.js';
import { HandlerRegistry } from './handlers.js';
import { DEFAULT_IDENTITY, IdentityAvps } from './identity.js';
import type { NodeOptions } from './node-options.js';
import { RuleEngine } from './rules.js';

/** DiameterNode's request side; an EventEmitter because DiameterNode, which extends it, is one. */
export class RequestPipeline extends EventEmitter {
  readonly identity: IdentityAvps;
  readonly dictionary: Dictionary;
  readonly registry = new HandlerRegistry();
  private readonly duplicates: DuplicateCache;
  /** Answers being produced (handler promises), and who waits for there to be none (stop()). */
  private inflight = 0;
  private idle: (() => void) | undefined;
  private readonly realms?: Set<string>;
  /** What validateMessage is told (NodeOptions.allowUnknownMandatory). */
  private readonly validateOptions: ValidateOptions;
  readonly stats = { answered: 0, errors: 0, duplicates: 0, unsupported: 0, malformed: 0 };
  /** Behaviour rules: list(), add(rule) → id, remove(id), per-rule hit counters. */
  readonly rules: RuleEngine;

  constructor(readonly options: NodeOptions) {
    super();
    this.identity = new IdentityAvps({ ...DEFAULT_IDENTITY, ...options.identity });
    this.dictionary = options.dictionary;
    this.duplicates = new DuplicateCache({
      windowMs: options.duplicateWindowMs,
      maxEntries: options.duplicateMaxEntries,
    });
    if (options.realms?.length) this.realms = new Set(options.realms.map((r) => r.toLowerCase()));
    this.validateOptions = { allowUnknownMandatory: options.allowUnknownMandatory === true };
    this.rules = new RuleEngine({
      dictionary: options.dictionary,
      rules: options.rules,
      host: {
        identity: this.identity,
        answer: (p, c, r) => this.answer(p, c, r),
        track: (p) => this.track(p),
      },
    });
  }

  protected publishError(conn: Connection, error: Error): void {
    if (channels.peerError.hasSubscribers) channels.peerError.publish({ connection: conn, error });
  }

  onMalformed(peer: Peer, conn: Connection, msg: Message, err: DiameterError): void {
    this.stats.malformed++;
    this.publishError(conn, err);
    const a = answerForError(msg, this.identity, err);
    conn.sendMessage(this.refused(peer, conn, msg, a, err.resultCode, err));
  }

  /** Publishes an error answer (error-answers.ts) and returns it; only error paths call this. */
  private refused(
    peer: Peer,
    conn: Connection,
    req: Message,
    answer: Message,
    resultCode: number,
    error?: DiameterError,
  ): Message {
    return publishErrorAnswer({ resultCode, request: req, answer, error, peer, connection: conn });
  }

  onRequest(peer: Peer, conn: Connection, req: Message): void {
    // RFC 6733 §3: E set on a request → 3008 (base-protocol.md §9.5 step 2).
    if ((req.flags & FLAG_E) !== 0) {
      this.stats.errors++;
      const a = buildErrorAnswer(req, this.identity, 3008, 'E bit set on a request');
      conn.sendMessage(this.refused(peer, conn, req, a, 3008));
      return;
    }
    // Behaviour rules (rules.ts): a matching rule takes the request over. One branch when there are none.
    if (this.rules.size !== 0 && this.rules.handle(peer, conn, req)) return;
    // Duplicate detection (RFC 6733 §6.1): T-flagged retransmission of a request already answered.
    const originHost = originHostOf(req);
    if (originHost !== undefined && (req.flags & FLAG_T) !== 0) {
      const earlier = this.duplicates.lookup(originHost, req.endToEndId);
      if (earlier !== undefined) {
        this.stats.duplicates++;
        const hbh = req.hopByHopId;
        if (Buffer.isBuffer(earlier)) conn.write(withHopByHop(earlier, hbh));
        else void earlier.then((b) => b && !conn.isClosed && conn.write(withHopByHop(b, hbh)));
        return;
      }
    }
    const answer = this.answer(peer, conn, req);
    if (answer === undefined) return;
    if (answer instanceof Promise) {
      this.answerLater(peer, conn, req, originHost, answer);
      return;
    }
    const bytes = sendAnswer(conn, answer);
    if (originHost !== undefined) this.duplicates.remember(originHost, req.endToEndId, bytes);
  }

  /**
   * Sends an answer the handler gives later, and keeps its promise for a retransmission arriving
   * meanwhile (then its octets, once known). Counted in flight for stop() without a reaction of its own
   * (settled first: stop()'s wait resumes in a later microtask, after this answer is written).
   */
  private answerLater(
    peer: Peer,
    conn: Connection,
    req: Message,
    originHost: string | undefined,
    answer: Promise<Message | Buffer | undefined>,
  ): void {
    let ticket = -1;
    this.inflight++;
    const p = answer.then(
      (a) => {
        this.settled();
        let bytes: Buffer | undefined;
        try {
          bytes = sendAnswer(conn, a);
        } catch (e) {
          // An answer that cannot be encoded is the handler's failure, not the request's: 5012.
          const why = e instanceof Error ? e.message : String(e);
          bytes = this.failureBytes(
            peer,
            conn,
            req,
            new DiameterError('BAD_MESSAGE_FORM', `the answer could not be encoded: ${why}`, {
              resultCode: 5012,
            }),
          );
          conn.write(bytes);
        }
        if (bytes && ticket >= 0) this.duplicates.settle(ticket, bytes);
        return bytes;
      },
      (e: unknown) => {
        this.settled();
        const bytes = this.failureBytes(peer, conn, req, e);
        conn.write(bytes);
        if (ticket >= 0) this.duplicates.settle(ticket, bytes);
        return bytes;
      },
    );
    if (originHost !== undefined) ticket = this.duplicates.remember(originHost, req.endToEndId, p);
  }

  /** The answer to a request whose handler failed: its DiameterError, else 5012 (RFC 6733 §7.1.5). */
  private failureBytes(peer: Peer, conn: Connection, req: Message, e: unknown): Buffer {
    const err =
      e instanceof DiameterError
        ? e
        : new DiameterError('BAD_MESSAGE_FORM', (e as Error)?.message ?? String(e), { resultCode: 5012 });
    const a = answerForError(req, this.identity, err);
    return encodeMessage(this.refused(peer, conn, req, a, err.resultCode, err));
  }

  /** Counts an answer promise in flight until it settles (stop() waits for them). */
  private track(p: Promise<unknown>): void {
    this.inflight++;
    const done = () => this.settled();
    p.then(done, done);
  }

  private settled(): void {
    if (--this.inflight === 0 && this.idle) {
      this.idle();
      this.idle = undefined;
    }
  }

  /** Resolves once no answer is in flight. */
  protected whenIdle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    const before = this.idle;
    return new Promise<void>((resolve) => {
      this.idle = () => {
        before?.();
        resolve();
      };
    });
  }

  /** The answer to an application request, per base-protocol.md §9.5 steps 3–7. */
  private answer(
    peer: Peer,
    conn: Connection,
    req: Message,
  ): Message | Buffer | undefined | Promise<Message | Buffer | undefined> {
    const app = this.registry.application(req.applicationId);
    if (!app) {
      this.stats.errors++;
      const why = `application ${req.applicationId} is not supported`;
      const a = buildErrorAnswer(req, this.identity, 3007, why);
      return this.refused(peer, conn, req, a, 3007);
    }
    const handler = app.commands.get(req.commandCode);
    if (!handler) {
      this.stats.unsupported++;
      const rc = this.options.unsupportedCommand ?? 5012;
      const a = buildErrorAnswer(
        req,
        this.identity,
        rc,
        `command ${req.commandCode} not supported on application ${req.applicationId}`,
      );
      return this.refused(peer, conn, req, a, rc);
    }
    // Routing: we are a terminator (RFC 6733 §6.1.4 local processing).
    if (this.realms) {
      const realm = utf8Of(req, Code.DESTINATION_REALM);
      if (realm !== undefined && !this.realms.has(realm.toLowerCase())) {
        this.stats.errors++;
        const a = buildErrorAnswer(req, this.identity, 3003, `realm ${realm} is not served here`);
        return this.refused(peer, conn, req, a, 3003);
      }
    }
    const destHost = utf8Of(req, Code.DESTINATION_HOST);
    if (
      destHost !== undefined &&
      destHost.toLowerCase() !== this.identity.identity.originHost.toLowerCase()
    ) {
      this.stats.errors++;
      const a = buildErrorAnswer(
        req,
        this.identity,
        3002,
        `Destination-Host ${destHost} is not this node and we do not relay`,
      );
      return this.refused(peer, conn, req, a, 3002);
    }
    if (this.options.validate !== false) {
      const err = validateMessage(req, this.dictionary, this.validateOptions);
      if (err) {
        this.stats.errors++;
        const a = app.errorAnswer?.(req, err, this.identity) ?? answerForError(req, this.identity, err);
        // The application's answer may carry another code than the error's (an ACR's unusable record type: 5012).
        return this.refused(peer, conn, req, a, answerResultCode(a), err);
      }
    }
    this.stats.answered++;
    return handler(req, { peer, connection: conn, identity: this.identity, raw: req.raw });
  }
}

/**
 * Sends a handler's answer (a Message, or octets it encoded itself) and returns its octets for the
 * duplicate cache; a Message is encoded once, straight into the connection's output.
 */
function sendAnswer(conn: Connection, a: Message | Buffer): Buffer;
function sendAnswer(conn: Connection, a: Message | Buffer | undefined): Buffer | undefined;
function sendAnswer(conn: Connection, a: Message | Buffer | undefined): Buffer | undefined {
  if (a === undefined) return undefined;
  if (!Buffer.isBuffer(a)) return conn.sendMessageBytes(a);
  conn.write(a);
  return a;
}

function utf8Of(m: Message, code: number): string | undefined {
  const a = findAvp(m.avps, code);
  return a && avpText(a);
}

function originHostOf(m: Message): string | undefined {
  return utf8Of(m, Code.ORIGIN_HOST);
}
