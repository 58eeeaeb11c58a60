/**
 * The highest Origin-State-Id each CTF told (RFC 6733 §8.16), by Origin-Host as sent: a rise means the CTF
 * restarted and lost its sessions (accounting-rf.md §5.5; SessionManager.noteOriginState).
 */
import { ownText } from './own-text.js';

/** CTFs remembered at most (one entry per Origin-Host that sends an Origin-State-Id). */
const MAX_ORIGIN_STATES = 100_000;

export class OriginStates {
  private readonly byHost = new Map<string, number>();

  /** The value in force for `originHost`, if it told one. */
  get(originHost: string): number | undefined {
    return this.byHost.get(originHost);
  }

  /** What a session stored before a restart of the CDF said: the value is at least this. */
  seed(originHost: string, originStateId: number): void {
    if (!((this.byHost.get(originHost) ?? -1) >= originStateId)) this.byHost.set(originHost, originStateId);
  }

  /**
   * Takes a value the CTF tells now. Returns the value it replaces when this one is higher (the CTF
   * restarted), undefined otherwise (the first one heard, the same, or a lower one, which is kept out).
   */
  rise(originHost: string, originStateId: number): number | undefined {
    const prev = this.byHost.get(originHost);
    if (prev !== undefined && originStateId <= prev) return undefined;
    if (prev !== undefined || this.byHost.size < MAX_ORIGIN_STATES) this.byHost.set(ownText(originHost), originStateId);
    return prev;
  }
}
