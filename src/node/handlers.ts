/**
 * The handler registry: application requests by (Application-Id, Command-Code). An application
 * registers the commands it serves; the node advertises its applications in CER/CEA.
 */
import type { DiameterError } from '../codec/errors.js';
import type { Avp, Message } from '../codec/types.js';
import type { Connection } from '../peer/connection.js';
import type { Peer } from '../peer/peer.js';
import type { IdentityAvps } from './identity.js';

export interface RequestContext {
  peer: Peer;
  connection: Connection;
  identity: IdentityAvps;
  /** Encoded request bytes (a view: copy what must outlive the call). */
  raw?: Uint8Array;
}

/**
 * Returns the answer (a Message, or already-encoded bytes), or undefined to send nothing. May be async:
 * the CDF answers only after the store committed.
 */
export type RequestHandler = (req: Message, ctx: RequestContext) => Message | Buffer | undefined | Promise<Message | Buffer | undefined>;

/** Builds the application's own answer for a validation error (RFC 6733 §7.1.5: 5xxx in the command's answer). */
export type ErrorAnswerBuilder = (req: Message, err: DiameterError, identity: IdentityAvps) => Message | undefined;

export interface Application {
  id: number;
  name: string;
  kind: 'auth' | 'acct';
  /** Vendor-Specific-Application-Id vendor, when advertised that way. */
  vendorId?: number;
  commands: Map<number, RequestHandler>;
  errorAnswer?: ErrorAnswerBuilder;
  /** AVPs the application wants on every answer it did not build itself. */
  extraAnswerAvps?: Avp[];
  /**
   * A peer's Origin-State-Id, told in its CER or CEA (when the connection opens) or in a DWR (RFC 6733
   * §8.16): a higher value than before means the peer restarted and lost its state.
   */
  onOriginStateId?(originHost: string, originStateId: number, from: 'CER' | 'CEA' | 'DWR'): void;
}

export class HandlerRegistry {
  private readonly apps = new Map<number, Application>();

  register(app: Application): void {
    this.apps.set(app.id, app);
  }

  application(id: number): Application | undefined {
    return this.apps.get(id);
  }

  handler(appId: number, commandCode: number): RequestHandler | undefined {
    return this.apps.get(appId)?.commands.get(commandCode);
  }

  get applications(): Application[] {
    return [...this.apps.values()];
  }
}
