/**
 * A lean, pipelined ACR load driver for the server benchmark (bench/server.ts). It exists so that the
 * driver costs little next to the server it measures: every ACR is a pre-encoded template copied into one
 * write buffer per socket read, with only its ids patched in place (Hop-by-Hop, End-to-End, the digits of
 * the Session-Id, Accounting-Record-Number); answers are framed and read by offset (Hop-by-Hop id,
 * Result-Code), never decoded into objects.
 *
 * Each connection has its own Origin-Host (so a server that keys peers by Origin-Host, as RFC 6733 wants,
 * sees several peers), opens with CER/CEA (RFC 6733 §5.3), keeps a fixed window of requests in flight,
 * answers the server's DWR (RFC 3539) and closes with DPR/DPA (RFC 6733 §5.4).
 *
 * Sessions follow a step pattern (e.g. START, INTERIM, INTERIM, STOP). A connection works through its
 * sessions in groups: every session of a group gets step 0, then every session gets step 1, and so on,
 * so the records of one session are sent in order and a whole group is open at a time.
 *
 * One connection's part (templates, framing, the window in flight) is in driver-connection.ts.
 */
import net from 'node:net';
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';
import type { Message } from '../../src/codec/types.js';
import { DriverConnection, type Step } from './driver-connection.js';

export { RecordType, type Step } from './driver-connection.js';

export interface DriverOptions {
  host: string;
  port: number;
  connections: number;
  /** Requests in flight per connection. */
  window: number;
  /**
   * A decoded ACR to use as the template: its Session-Id, Origin-Host, Accounting-Record-Type and
   * -Number are replaced; every other AVP is sent as it is.
   */
  acr: Message;
  /** Origin-Host of connection i is `${i}.${hostSuffix}` (default bench.example.com). */
  hostSuffix?: string;
  originRealm?: string;
  /** Wait this long after the CEA before the first request (an Erlang/OTP server drops early ones). */
  settleMs?: number;
  /** Give up on a phase that makes no progress for this long (default 30 s). */
  stallMs?: number;
}

export interface Phase {
  /** Sessions per connection. */
  sessions: number;
  /** Record types sent to every session, in order. */
  steps: readonly Step[];
  /** Accounting-Record-Number of step 0 (the next steps count up from it). */
  firstRecordNumber?: number;
  /** Session numbers of this phase start here (so a later phase can stop the sessions an earlier one opened). */
  sessionOffset?: number;
  /** Sessions open at a time per connection (default 1000). */
  group?: number;
  /** Called about every `progressEvery` answers (all connections together). */
  onProgress?: (answered: number) => void;
  progressEvery?: number;
}

export interface PhaseResult {
  sent: number;
  answered: number;
  /** Answers whose Result-Code was not 2001 (or that carried none), by Result-Code. */
  errors: Map<number, number>;
  wallMs: number;
  /** Latency of each request, µs. */
  latency: RecordableHistogram;
  /** The driver's own CPU time over the phase, µs. */
  driverCpuMicros: number;
}

/** Opens `connections` Diameter connections to a server and drives phases of ACR load over them. */
export class AcrDriver {
  readonly hostSuffix: string;
  readonly realm: string;
  private conns: DriverConnection[] = [];
  private failure: Error | undefined;
  private onFail: ((e: Error) => void) | undefined;
  private counters = { sent: 0, answered: 0 };
  private errors = new Map<number, number>();
  private latency: RecordableHistogram = createHistogram();
  private progress: { every: number; next: number; fn: (n: number) => void; base: number } | undefined;
  private lastProgressAt = 0;

  constructor(readonly opts: DriverOptions) {
    this.hostSuffix = opts.hostSuffix ?? 'bench.example.com';
    this.realm = opts.originRealm ?? 'example.com';
  }

  fail(e: Error): void {
    this.failure ??= e;
    this.onFail?.(e);
  }

  noteSent(n: number): void {
    this.counters.sent += n;
  }

  noteAnswered(n: number): void {
    this.counters.answered += n;
    this.lastProgressAt = performance.now();
    const p = this.progress;
    if (p && this.counters.answered - p.base >= p.next) {
      p.next += p.every;
      p.fn(this.counters.answered - p.base);
    }
  }

  noteError(rc: number): void {
    this.errors.set(rc, (this.errors.get(rc) ?? 0) + 1);
  }

  noteLatency(ms: number): void {
    this.latency.record(Math.max(1, Math.round(ms * 1000)));
  }

  /** Connects every connection and exchanges capabilities. */
  async connect(): Promise<void> {
    const { host, port } = this.opts;
    for (let i = 0; i < this.opts.connections; i++) {
      const socket = await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect({ host, port }, () => {
          s.off('error', reject);
          resolve(s);
        });
        s.once('error', reject);
      });
      const c = new DriverConnection(i, this, socket);
      this.conns.push(c);
      await c.capabilities();
    }
    if (this.opts.settleMs) await new Promise((r) => setTimeout(r, this.opts.settleMs));
  }

  /** Runs one phase on every connection at once; resolves when every request is answered. */
  async run(phase: Phase): Promise<PhaseResult> {
    if (this.failure) throw this.failure;
    this.counters = { sent: 0, answered: 0 };
    this.errors = new Map();
    this.latency = createHistogram();
    this.progress = phase.onProgress ? { every: phase.progressEvery ?? 100_000, next: phase.progressEvery ?? 100_000, fn: phase.onProgress, base: 0 } : undefined;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    this.lastProgressAt = t0;
    const stallMs = this.opts.stallMs ?? 30_000;
    await new Promise<void>((resolve, reject) => {
      let left = this.conns.length;
      const watch = setInterval(() => {
        if (performance.now() - this.lastProgressAt > stallMs) {
          cleanup();
          reject(new Error(`no answer for ${stallMs} ms (${this.counters.answered}/${this.counters.sent} answered)`));
        }
      }, 500);
      const cleanup = () => {
        clearInterval(watch);
        this.onFail = undefined;
      };
      this.onFail = (e) => {
        cleanup();
        reject(e);
      };
      for (const c of this.conns) {
        c.start(phase, () => {
          if (--left === 0) {
            cleanup();
            resolve();
          }
        });
      }
    });
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return {
      sent: this.counters.sent,
      answered: this.counters.answered,
      errors: this.errors,
      wallMs,
      latency: this.latency,
      driverCpuMicros: cpu.user + cpu.system,
    };
  }

  /** DPR on every connection, then close. */
  async close(): Promise<void> {
    await Promise.all(this.conns.map((c) => c.disconnect()));
    this.conns = [];
  }
}
