/**
 * Values that repeat across open sessions, kept once (DESIGN.md, memory habits): a million sessions hold a
 * handful of Origin-Hosts, realms and Service-Context-Ids, and a burst of ACRs a handful of instants.
 */
import { ownText } from './own-text.js';

export class SharedValues {
  private readonly texts = new Map<string, string>();
  private readonly lastDates: Date[] = [];

  /** One copy of each text (its own string, not a slice of an ACR's), for the first 10,000 of them. */
  text(s: string): string {
    let v = this.texts.get(s);
    if (v === undefined) {
      v = ownText(s);
      if (this.texts.size < 10_000) this.texts.set(v, v);
    }
    return v;
  }

  /**
   * One Date object per instant: the sessions opened or updated in the same millisecond (or with the same
   * Event-Timestamp) share it rather than holding a copy each. Nothing mutates a session's Dates.
   */
  date(d: Date): Date {
    const t = d.getTime();
    const c = this.lastDates;
    for (let i = 0; i < c.length; i++) if (c[i]!.getTime() === t) return c[i]!;
    if (c.length >= 4) c.shift();
    c.push(d);
    return d;
  }
}
