/**
 * One thread's part of a load run, as engine.ts sees it: what the engine is given (its share of the
 * connections, rate and session numbers), the state it keeps per session and per connection, and what it
 * gives back when the run is over.
 */
import type { PeerCapabilities } from '../../peer/capabilities.js';
import type { CompiledTemplates, RecordKind } from './acr-template.js';
import type { LoadConnection } from './load-connection.js';
import type { StatsSnapshot } from './stats.js';

/** This thread's part of the run. */
export interface EngineShare {
  /** Global indexes of this thread's connections (they name the Origin-Host). */
  connectionIndexes: number[];
  rate: number;
  concurrency: number;
  count?: number;
  /** Session numbers: start, start + step, … (unique over all threads). */
  sessionNumberStart: number;
  sessionNumberStep: number;
  /** Seconds since 1970 at the start of the run: the high part of every Session-Id. */
  sessionHigh: number;
  seed?: number;
}

export interface EngineResult {
  snapshot: StatsSnapshot;
  /** From the end of the warm-up to the last answer. */
  measuredMs: number;
  /** Event-loop utilisation of this thread over the measured part (0–1). */
  busy: number;
  peer: PeerCapabilities | undefined;
  errors: string[];
  notes: string[];
}

export interface Session {
  number: number;
  digits: Uint8Array;
  ci: number;
  startMs: number;
  endMs: number;
  /** Its interval between INTERIMs, ms: `--interim`, or the server's once adopted (0 = no INTERIMs). */
  interimMs: number;
  /** Whether it has adopted an Acct-Interim-Interval from an ACA (--follow-interim). */
  following: boolean;
  /** Intended send time of the record before the current one (${sinceLast}). */
  prevAtMs: number;
  /** The record to send next (or in flight), its kind and intended time. */
  record: number;
  kind: RecordKind;
  atMs: number;
  /** Its STOP was brought forward by the end of the run: counted, but its latency is not recorded. */
  closing: boolean;
}

export interface ConnState {
  conn: LoadConnection<Session>;
  templates: CompiledTemplates;
  /** Sessions whose record is due but could not be sent yet (slot table or socket full), in order. */
  waiting: Session[];
  waitHead: number;
  alive: boolean;
}
