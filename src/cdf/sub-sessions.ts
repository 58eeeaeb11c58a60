/**
 * The keys of the open sessions that have an Accounting-Sub-Session-Id, by Session-Id: a STOP without one
 * closes them all (accounting-rf.md §5.1, RFC 6733 §9.8.6). Empty unless a CTF uses sub-sessions.
 */
export class SubSessionIndex {
  private readonly bySession = new Map<string, Set<string>>();

  get size(): number {
    return this.bySession.size;
  }

  has(sessionId: string): boolean {
    return this.bySession.has(sessionId);
  }

  /** The keys under `sessionId`, as a list the caller may close them from. */
  keysOf(sessionId: string): string[] {
    const keys = this.bySession.get(sessionId);
    return keys ? [...keys] : [];
  }

  add(sessionId: string, key: string): void {
    let keys = this.bySession.get(sessionId);
    if (!keys) this.bySession.set(sessionId, (keys = new Set()));
    keys.add(key);
  }

  delete(sessionId: string, key: string): void {
    const keys = this.bySession.get(sessionId);
    if (keys?.delete(key) && keys.size === 0) this.bySession.delete(sessionId);
  }
}
