/**
 * The Rf application (Acct-Application-Id 3; TS 32.299) registered on the node: ACR → checks of
 * accounting-rf.md §5.1 → session manager → store (group commit) → ACA. An ACA with 2001 is sent only after
 * the session update or CDR it acknowledges is committed, so a crash loses nothing that was acknowledged;
 * a failed commit is answered 4002 DIAMETER_OUT_OF_SPACE (accounting-rf.md §5.6).
 */
import { DiameterError, ResultCode } from '../codec/errors.js';
import type { Message } from '../codec/types.js';
import { Code } from '../dictionary/codes.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import type { Application } from '../node/handlers.js';
import { buildErrorAnswer } from '../node/answers.js';
import { answerResultCode, publishErrorAnswer } from '../node/error-answers.js';
import type { IdentityAvps } from '../node/identity.js';
import { acaForError, buildAca, invalidRecordType } from './aca.js';
import { readAcr, type AcrFields } from './acr.js';
import { GroupCommitter, type GroupCommitOptions } from './group-commit.js';
import { DEFAULT_CDF_SETTINGS, SessionManager, type CdfSettings } from './session-manager.js';
import type { AccountingSession, CdrStore, StoreBatch } from './store.js';

const SEQUENCE = 'localRecordSequenceNumber';

export interface RfOptions {
  store: CdrStore;
  dictionary: Dictionary;
  settings?: Partial<CdfSettings>;
  /** How often supervision runs (ms). */
  supervisionTickMs?: number;
  /** localRecordSequenceNumbers reserved per CdrStore.allocateSequence call (default 1,000,000). */
  sequenceBlock?: number;
  /** The group committer's limits (group-commit.ts; defaults there). */
  commit?: GroupCommitOptions;
}

export class RfApplication {
  readonly sessions: SessionManager;
  readonly committer: GroupCommitter;
  private timer: NodeJS.Timeout | undefined;
  private readonly sequenceBlock: number;
  private allocating = false;
  /** Per session key, the commit of the latest ACR still in flight: a duplicate waits for it (see onAcr). */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly opts: RfOptions) {
    this.sessions = new SessionManager(opts.dictionary, { ...DEFAULT_CDF_SETTINGS, ...opts.settings });
    this.committer = new GroupCommitter(opts.store, opts.commit);
    this.sequenceBlock = Math.max(1, opts.sequenceBlock ?? 1_000_000);
  }

  /** Loads open sessions from the store (resume after restart) and starts supervision. */
  async start(): Promise<void> {
    for await (const s of this.opts.store.loadOpenSessions()) this.sessions.restore(s);
    await this.restoreClosedKeys();
    this.sessions.sequence.add(await this.opts.store.allocateSequence(SEQUENCE, this.sequenceBlock), this.sequenceBlock);
    const tick = this.opts.supervisionTickMs ?? 1000;
    this.timer = setInterval(() => this.commitClosed(this.sessions.supervise()), tick);
    this.timer.unref();
  }

  /**
   * A CTF's Origin-State-Id (from its ACR, CER, CEA or DWR): if it went up, the CTF restarted and the
   * sessions it lost are closed now (accounting-rf.md §5.5; SessionManager.noteOriginState).
   */
  noteOriginState(originHost: string, originStateId: number): void {
    this.commitClosed(this.sessions.noteOriginState(originHost, originStateId));
  }

  /**
   * Stores the CDRs of sessions closed without an ACR (supervision, a CTF restart). Nobody waits for an
   * answer: if the commit fails, the sessions stay open in the store and a restart resumes them.
   */
  private commitClosed(batch: StoreBatch | undefined): void {
    if (!batch) return;
    this.refillSequence();
    this.committer.submit(batch).catch(() => undefined);
  }

  /**
   * Duplicate keys of recently closed sessions live in memory; after a restart they are rebuilt from the
   * final CDRs written within the window (their last ACR's Accounting-Record-Number).
   */
  private async restoreClosedKeys(): Promise<void> {
    const windowS = this.sessions.settings.closedKeyWindow;
    const since = new Date(Date.now() - windowS * 1000);
    for await (const cdr of this.opts.store.exportCdrs({ since })) {
      const raw = cdr.rawAvps as { first?: unknown; last?: unknown } | null;
      const n = recordNumberIn(raw?.last) ?? recordNumberIn(raw?.first);
      if (n === undefined) continue;
      // Partial CDRs of a session still open are skipped by restoreClosed; the highest number wins.
      this.sessions.restoreClosed(cdr.sessionId, cdr.subSessionId, n, cdr.createdAt);
    }
  }

  /** Stops supervision and waits for every submitted batch to commit (the store stays open). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.committer.close();
  }

  /**
   * Reserves the next block of localRecordSequenceNumbers when the current one is half used, so CDF
   * instances sharing a database never give two CDRs the same number (CdrStore.allocateSequence).
   */
  private refillSequence(): void {
    if (this.allocating || this.sessions.sequence.hasSpare || this.sessions.sequence.remaining() > this.sequenceBlock / 2) return;
    this.allocating = true;
    this.opts.store
      .allocateSequence(SEQUENCE, this.sequenceBlock)
      .then((first) => this.sessions.sequence.add(first, this.sequenceBlock))
      .catch(() => undefined) // tried again at the next ACR
      .finally(() => (this.allocating = false));
  }

  /** The node Application to register. */
  application(): Application {
    return {
      id: 3,
      name: 'Diameter Base Accounting (3GPP Rf)',
      kind: 'acct',
      commands: new Map([[271, (req, ctx) => this.onAcr(req, ctx.identity)]]),
      errorAnswer: (req, err, id) => acaForError(req, id, readAcr(req), err),
      onOriginStateId: (host, osi) => this.noteOriginState(host, osi),
    };
  }

  onAcr(req: Message, id: IdentityAvps): Message | Promise<Message> {
    const acr = readAcr(req);
    // accounting-rf.md §5.1: record type 1..4, Acct-Application-Id (if present) = 3 → else 5004.
    // (The validator normally catches a bad record type first; this check serves validate: false.)
    if (!(acr.recordType >= 1 && acr.recordType <= 4)) {
      if (acr.recordTypeAvp) return refused(req, invalidRecordType(req, id, acr));
      const err = new DiameterError('AVP_MISSING', 'Accounting-Record-Type missing');
      return refused(req, acaForError(req, id, acr, err), err);
    }
    if (acr.acctApplicationId !== undefined && acr.acctApplicationId !== 3) {
      const failed = req.avps.find((a) => a.code === Code.ACCT_APPLICATION_ID && a.vendorId === 0);
      const err = new DiameterError('AVP_BAD_VALUE', `Acct-Application-Id ${acr.acctApplicationId} is not 3 (Rf)`, { failedAvp: failed });
      return refused(req, acaForError(req, id, acr, err), err);
    }
    // §5.5: an ACR may be the first sign of its CTF's restart; the sessions it lost close before this one.
    if (acr.originStateId !== undefined) this.noteOriginState(acr.originHost, acr.originStateId);
    const out = this.sessions.apply(req, acr);
    this.refillSequence();
    const interim = out.interimInterval;
    // Session-Id alone when there is no sub-session (no string built per ACR); NUL cannot occur in either.
    const key = acr.subSessionId === undefined ? acr.sessionId : `${acr.sessionId}\u0000${acr.subSessionId}`;
    if (!out.batch.cdrs && !out.batch.sessionUpserts && !out.batch.sessionDeletes) {
      // A duplicate changes nothing, but its 2001 promises the original is stored: if the original's commit
      // is still in flight, answer when it settles, with its outcome (RFC 6733 §9.6: the same answer).
      const pending = this.inFlight.get(key);
      if (!pending) return stored(req, id, acr, interim);
      return pending.then(
        () => stored(req, id, acr, interim),
        (e: unknown) => notStored(req, id, acr, e),
      );
    }
    const committed = this.committer.submit(out.batch);
    this.inFlight.set(key, committed);
    // One reaction per ACR: forget the key, then answer. (Two closures per ACR, no more: each named one
    // would also cost tsx's keepNames helper a defineProperty.)
    return committed.then(
      () => {
        if (this.inFlight.get(key) === committed) this.inFlight.delete(key);
        return stored(req, id, acr, interim);
      },
      async (e: unknown) => {
        if (this.inFlight.get(key) === committed) this.inFlight.delete(key);
        // Memory already holds this ACR's effect; the store does not. Unless a later ACR of the session is
        // still on its way to the store (its commit carries the whole session), go back to the stored state
        // before answering 4002, so the CTF's retry is applied again instead of being taken for a duplicate.
        // (The key is gone now unless a later ACR replaced it.)
        if (!this.inFlight.has(key)) await this.rollback(acr);
        return notStored(req, id, acr, e);
      },
    );
  }

  private async rollback(acr: AcrFields): Promise<void> {
    let inStore: AccountingSession | undefined;
    try {
      inStore = await this.opts.store.getSession({ sessionId: acr.sessionId, subSessionId: acr.subSessionId });
    } catch {
      this.sessions.forgetClosed(acr.sessionId, acr.subSessionId);
      return;
    }
    this.sessions.rollback(acr.sessionId, acr.subSessionId, inStore);
  }
}

/** The ACA 2001 of an ACR whose update is committed (Acct-Interim-Interval when the CDF imposes one). */
function stored(req: Message, id: IdentityAvps, acr: AcrFields, interimInterval: number | undefined): Message {
  return buildAca(req, id, acr, 2001, { interimInterval });
}

/**
 * accounting-rf.md §5.6: a store that cannot commit now → ACA 4002 (keep the record, send it again); a CDF
 * with more records waiting than it takes → 3004 DIAMETER_TOO_BUSY, E bit (send it to another CDF).
 */
function notStored(req: Message, id: IdentityAvps, acr: AcrFields, e: unknown): Message {
  const err = e instanceof DiameterError ? e : undefined;
  if (err?.resultCode === ResultCode.TOO_BUSY) {
    return refused(req, buildErrorAnswer(req, id, ResultCode.TOO_BUSY, `CDF overloaded: ${err.message}`), err);
  }
  return refused(req, buildAca(req, id, acr, 4002, { errorMessage: `CDR store commit failed: ${(e as Error)?.message ?? e}` }), err);
}

/**
 * An error ACA the CDF makes itself, told to diamkit:answer:error (node/error-answers.ts); error paths only.
 * onAcr is not given the peer: subscribers take the CTF from the request's Origin-Host.
 */
function refused(req: Message, answer: Message, error?: DiameterError): Message {
  return publishErrorAnswer({ resultCode: answerResultCode(answer), request: req, answer, error });
}

/** The Accounting-Record-Number in an ACR's JSON form (a list of {Name: value}). */
function recordNumberIn(avps: unknown): number | undefined {
  if (!Array.isArray(avps)) return undefined;
  for (const a of avps) {
    if (a && typeof a === 'object' && 'Accounting-Record-Number' in a) {
      const v = (a as Record<string, unknown>)['Accounting-Record-Number'];
      if (typeof v === 'number') return v;
    }
  }
  return undefined;
}
