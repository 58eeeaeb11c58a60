/**
 * The Rf application (Acct-Application-Id 3; TS 32.299) registered on the node: ACR → checks of
 * accounting-rf.md §5.1 → session manager → store (group commit) → ACA. An ACA with 2001 is sent only after
 * the session update or CDR it acknowledges is committed, so a crash loses nothing that was acknowledged;
 * a failed commit is answered 4002 DIAMETER_OUT_OF_SPACE (accounting-rf.md §5.6).
 */
import { DiameterError } from '../codec/errors.js';
import type { Message } from '../codec/types.js';
import { Code } from '../dictionary/codes.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import type { Application } from '../node/handlers.js';
import type { IdentityAvps } from '../node/identity.js';
import { acaForError, buildAca } from './aca.js';
import { readAcr } from './acr.js';
import { GroupCommitter } from './group-commit.js';
import { DEFAULT_CDF_SETTINGS, SessionManager, type CdfSettings } from './session-manager.js';
import type { CdrStore } from './store.js';

export interface RfOptions {
  store: CdrStore;
  dictionary: Dictionary;
  settings?: Partial<CdfSettings>;
  /** How often supervision runs (ms). */
  supervisionTickMs?: number;
}

export class RfApplication {
  readonly sessions: SessionManager;
  readonly committer: GroupCommitter;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: RfOptions) {
    this.sessions = new SessionManager(opts.dictionary, { ...DEFAULT_CDF_SETTINGS, ...opts.settings });
    this.committer = new GroupCommitter(opts.store);
  }

  /** Loads open sessions from the store (resume after restart) and starts supervision. */
  async start(): Promise<void> {
    for await (const s of this.opts.store.loadOpenSessions()) this.sessions.restore(s);
    this.sessions.setLocalSequence(await this.opts.store.allocateSequence('localRecordSequenceNumber', 1_000_000));
    const tick = this.opts.supervisionTickMs ?? 1000;
    this.timer = setInterval(() => {
      const batch = this.sessions.supervise();
      if (batch) this.committer.submit(batch).catch(() => undefined);
    }, tick);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The node Application to register. */
  application(): Application {
    return {
      id: 3,
      name: 'Diameter Base Accounting (3GPP Rf)',
      kind: 'acct',
      commands: new Map([[271, (req, ctx) => this.onAcr(req, ctx.identity)]]),
      errorAnswer: (req, err, id) => acaForError(req, id, readAcr(req), err),
    };
  }

  onAcr(req: Message, id: IdentityAvps): Message | Promise<Message> {
    const acr = readAcr(req);
    // accounting-rf.md §5.1: record type 1..4, Acct-Application-Id (if present) = 3 → else 5004.
    if (!(acr.recordType >= 1 && acr.recordType <= 4)) {
      const err = new DiameterError('AVP_BAD_VALUE', `invalid Accounting-Record-Type ${acr.recordType}`, { failedAvp: acr.recordTypeAvp });
      return acaForError(req, id, acr, err);
    }
    if (acr.acctApplicationId !== undefined && acr.acctApplicationId !== 3) {
      const failed = req.avps.find((a) => a.code === Code.ACCT_APPLICATION_ID && a.vendorId === 0);
      return acaForError(req, id, acr, new DiameterError('AVP_BAD_VALUE', `Acct-Application-Id ${acr.acctApplicationId} is not 3 (Rf)`, { failedAvp: failed }));
    }
    const out = this.sessions.apply(req, acr);
    const answer = () => buildAca(req, id, acr, 2001, { interimInterval: out.interimInterval });
    if (!out.batch.cdrs && !out.batch.sessionUpserts && !out.batch.sessionDeletes) return answer();
    return this.committer.submit(out.batch).then(answer, (e: unknown) =>
      buildAca(req, id, acr, 4002, { errorMessage: `CDR store commit failed: ${(e as Error)?.message ?? e}` }),
    );
  }
}
