/**
 * What an open session of the CDF keeps between ACRs (session-manager.ts), and its stored form.
 */
import type { NamedValue } from './cdr-builder.js';
import type { JsonObject, KeptAcrsSource } from './store.js';
import { encodeJson } from './store-records.js';

/** Shared empty lists (a session copies on its first write): most sessions never need their own. */
export const NO_MISSING: readonly number[] = Object.freeze([]);
export const NO_CONTAINERS: readonly JsonObject[] = Object.freeze([]);

/**
 * What an open session keeps between ACRs, in memory and as AccountingSession.data in the store. The ACRs
 * themselves are kept as their bytes: the TS 32.298 fields and the JSON form of the AVPs (rawAvps) are built
 * from them only when a CDR is written (expand), so an ACR that writes no CDR decodes nothing beyond what
 * the node already did, and a session holds one string, not a tree of objects. In memory the bytes are a
 * latin1 string (one character per octet: the smallest string V8 has), not a Buffer: a Buffer under 4 KB
 * is a slice of a shared 8 KB pool slab that lives as long as any of its slices, so sessions keeping ACRs
 * for the length of a call, their INTERIMs replaced meanwhile, would pin slabs several times their size
 * (docs/perf.md, change 25); strings are compacted by the collector. A store keeps them as bytes beside
 * the rest (KeptAcrsSource); in the JSON form (toJSON) they are base64, as JSON text cannot carry NUL.
 */
export class KeptData implements KeptAcrsSource {
  /** Format of the stored form (older stores held SessionData itself; restore() converts those). */
  readonly v = 2;
  /** The ACR that opened the record (START, or the INTERIM/STOP/EVENT it was built from). */
  first: string;
  /** The latest ACR applied after the first (INTERIM); undefined while there is none. */
  last: string | undefined = undefined;
  /** The first ACR's Service-Information has PS-Information (the closing cause depends on it, §6.4). */
  ps = false;
  /** P-GW service data containers, in arrival order, de-duplicated (§5.2), as the CDR lists them. */
  containers: JsonObject[] = NO_CONTAINERS as JsonObject[];
  /** P-GW traffic data volumes (Traffic-Data-Volumes → listOfTrafficVolumes), kept the same way. */
  volumes: JsonObject[] = NO_CONTAINERS as JsonObject[];
  recordNumbers: { max: number; missing: number[] };
  /** When the last ACR applied happened, ms since the epoch (its Event-Timestamp, else when it was received). */
  lastEventAt: number | undefined;
  /** Inter-Operator-Identifier of the latest ACR whose IMS-Information carried one (§5.2 INTERIM, §6.2). */
  iois: NamedValue[] | undefined = undefined;
  /**
   * The CTF's Origin-State-Id when the record opened (its ACR's, else the last its Origin-Host told): a
   * higher one later means the CTF restarted and lost the session (§5.5, session-manager.ts).
   */
  originStateId: number | undefined = undefined;
  /**
   * Set when the record's STOP came while INTERIMs were missing and the record waits for them (§5.3,
   * session-manager.ts): the STOP's event time (ms) and T flag. The STOP is then `last`.
   */
  stopped: { at: number; retransmitted: boolean } | undefined = undefined;

  constructor(first: string, recordNumber: number, lastEventAt: number | undefined) {
    this.first = first;
    this.recordNumbers = { max: recordNumber, missing: NO_MISSING as number[] };
    this.lastEventAt = lastEventAt;
  }

  /** The stored form: plain JSON, the ACRs in base64. */
  toJSON(): JsonObject {
    const o: JsonObject = { v: 2, first: binToBase64(this.first), ps: this.ps, containers: this.containers, recordNumbers: this.recordNumbers };
    if (this.last !== undefined) o.last = binToBase64(this.last);
    if (this.lastEventAt !== undefined) o.lastEventAt = this.lastEventAt;
    if (this.iois !== undefined) o.iois = this.iois as JsonObject[];
    if (this.originStateId !== undefined) o.originStateId = this.originStateId;
    if (this.volumes.length) o.volumes = this.volumes;
    if (this.stopped !== undefined) o.stopped = { at: this.stopped.at, retransmitted: this.stopped.retransmitted };
    return o;
  }

  /**
   * The stored form as JSON text (store.ts JsonTextSource), the same text as JSON.stringify(toJSON()):
   * every START and INTERIM writes the session row, and the base64 ACRs, which need no escaping, go in
   * as they are instead of through JSON.stringify's replacer walk. (The base64 of `first` is not kept
   * between writes: it would add 40 % to a session's memory for about a microsecond per INTERIM.)
   */
  toJsonText(): string {
    return this.#jsonText(true);
  }

  /** The stored form without the ACRs (store.ts KeptAcrsSource): what an INTERIM rewrites beside their bytes. */
  keptJsonText(): string {
    return this.#jsonText(false);
  }

  /** The JSON text of toJSON(), in its key order, with or without the ACRs. */
  #jsonText(withAcrs: boolean): string {
    const containers = this.containers.length === 0 ? '[]' : encodeJson(this.containers, 'containers');
    let t = `{"v":2${withAcrs ? `,"first":"${binToBase64(this.first)}"` : ''},"ps":${this.ps},"containers":${containers},"recordNumbers":${JSON.stringify(this.recordNumbers)}`;
    if (withAcrs && this.last !== undefined) t += `,"last":"${binToBase64(this.last)}"`;
    if (this.lastEventAt !== undefined) t += `,"lastEventAt":${JSON.stringify(this.lastEventAt)}`;
    if (this.iois !== undefined) t += `,"iois":${encodeJson(this.iois, 'iois')}`;
    if (this.originStateId !== undefined) t += `,"originStateId":${this.originStateId}`;
    if (this.volumes.length) t += `,"volumes":${encodeJson(this.volumes, 'volumes')}`;
    if (this.stopped !== undefined) t += `,"stopped":{"at":${this.stopped.at},"retransmitted":${this.stopped.retransmitted}}`;
    return `${t}}`;
  }

  /** The kept ACRs' bytes (store.ts KeptAcrsSource). */
  keptAcrs(): { first: Buffer; last: Buffer | undefined } {
    return { first: Buffer.from(this.first, 'latin1'), last: this.last === undefined ? undefined : Buffer.from(this.last, 'latin1') };
  }

  /** Reads the stored form. */
  static fromJSON(j: { [k: string]: unknown }): KeptData {
    const rn = j.recordNumbers as { max: number; missing: number[] };
    const d = new KeptData(base64ToBin(j.first as string), rn.max, j.lastEventAt as number | undefined);
    d.recordNumbers = rn;
    if (typeof j.last === 'string') d.last = base64ToBin(j.last);
    d.ps = j.ps === true;
    if (Array.isArray(j.containers) && j.containers.length) d.containers = j.containers as JsonObject[];
    if (j.iois !== undefined) d.iois = j.iois as NamedValue[];
    if (typeof j.originStateId === 'number') d.originStateId = j.originStateId;
    if (Array.isArray(j.volumes) && j.volumes.length) d.volumes = j.volumes as JsonObject[];
    const st = j.stopped as { at?: unknown; retransmitted?: unknown } | undefined;
    if (st && typeof st.at === 'number') d.stopped = { at: st.at, retransmitted: st.retransmitted === true };
    return d;
  }
}

function binToBase64(bin: string): string {
  return Buffer.from(bin, 'latin1').toString('base64');
}

function base64ToBin(b64: string): string {
  return Buffer.from(b64, 'base64').toString('latin1');
}
