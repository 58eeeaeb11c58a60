/**
 * What one `diamkit load` run does, and the parsing of the command-line forms of its values
 * (HOST:PORT, durations, holding-time specifications). Everything here is plain data, so the options can
 * be posted to worker threads as they are (the TLS files' contents arrive there as Uint8Arrays:
 * clientTlsFromClone).
 */
import type { ClientTls } from '../client-tls.js';
import type { Holding } from './random.js';
import type { TemplateSource } from './acr-template.js';

export type LoopMode = 'open' | 'closed';

export interface LoadOptions {
  host: string;
  port: number;
  /** Connect with TLS from the first byte (RFC 6733 §2.1) with these settings; absent: plain TCP. */
  tls?: ClientTls;
  /** open: new sessions arrive at `rate` per second (Poisson); closed: `concurrency` sessions at all times. */
  mode: LoopMode;
  rate: number;
  concurrency: number;
  holding: Holding;
  /** Seconds between INTERIM records of a session; 0 = none (START then STOP). */
  interimSeconds: number;
  /**
   * Adopt the Acct-Interim-Interval of an ACA to a session's START or INTERIM for its next INTERIMs, as
   * a production CTF does (RFC 6733 §9.1, §9.8.2; 0 = no more INTERIMs); an ACA without it leaves the
   * session's interval as it was. Off (absent): every session keeps `interimSeconds`.
   */
  followInterim?: boolean;
  /** One EVENT record per session instead of START … STOP (event-based charging). */
  event: boolean;
  template: TemplateSource;
  /** Transport connections, over all threads. */
  connections: number;
  /** Threads that generate traffic (1 = the main thread only). */
  workers: number;
  /** Length of the measured part of the run; at least one of durationMs and count is set. */
  durationMs?: number;
  /** Sessions to start in the measured part of the run. */
  count?: number;
  /** Traffic before the measured part (not counted: JIT warm-up, connection ramp-up). */
  warmupMs: number;
  /** Per-request answer timeout. */
  timeoutMs: number;
  /**
   * Wait this long after every connection's CER/CEA before the first ACR (0 or absent: none). Some servers
   * are not ready the moment they send their CEA: Erlang/OTP's diameter (2.2.7) registers the peer a
   * little later and silently drops requests that arrive in between.
   */
  startDelayMs?: number;
  originHost: string;
  originRealm: string;
  /** Default: the Origin-Realm of the peer's CEA. */
  destinationRealm?: string;
  destinationHost?: string;
  /** Every connection uses `originHost` as is (the server must accept several connections per host). */
  sameOriginHost: boolean;
  seed?: number;
  /** Extra dictionary files (our JSON/YAML or Wireshark XML), reloaded by each worker. */
  dictionaryFiles: string[];
  /** Transport-level maximum of requests in flight per connection. */
  maxInFlightPerConnection: number;
}

export class LoadOptionError extends Error {}

/** "127.0.0.1:3868", "[::1]:3868", "localhost:3868". */
export function parsePeer(s: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m) throw new LoadOptionError(`--peer: expected HOST:PORT (IPv6 as [::1]:PORT), got "${s}"`);
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new LoadOptionError(`--peer: port must be 1-65535, got "${m[2]}"`);
  return { host: m[1]!, port };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "10" (seconds), "1.5s", "250ms", "2m", "1h" → milliseconds. */
export function parseDurationMs(s: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(s);
  if (!m) throw new LoadOptionError(`${flag}: expected a duration such as 10, 2.5s, 500ms or 5m, got "${s}"`);
  return Number(m[1]) * UNITS[m[2] ?? 's']!;
}

/**
 * Holding time: "0" or "30s" (fixed), "fixed:30", "uniform:10,60", "exp:30" / "exponential:30" (mean).
 * Values in seconds unless they carry a unit.
 */
export function parseHolding(s: string): Holding {
  const flag = '--holding';
  const sec = (v: string) => parseDurationMs(v, flag) / 1000;
  const [kind, rest] = s.includes(':')
    ? [s.slice(0, s.indexOf(':')), s.slice(s.indexOf(':') + 1)]
    : ['fixed', s];
  switch (kind) {
    case 'fixed':
      return { kind: 'fixed', seconds: sec(rest) };
    case 'uniform': {
      const parts = rest.split(',');
      if (parts.length !== 2) throw new LoadOptionError(`${flag}: uniform needs MIN,MAX, got "${s}"`);
      const min = sec(parts[0]!);
      const max = sec(parts[1]!);
      if (max < min) throw new LoadOptionError(`${flag}: uniform MIN must not exceed MAX, got "${s}"`);
      return { kind: 'uniform', min, max };
    }
    case 'exp':
    case 'exponential': {
      const mean = sec(rest);
      if (mean <= 0) throw new LoadOptionError(`${flag}: an exponential mean must be above 0, got "${s}"`);
      return { kind: 'exponential', mean };
    }
    default:
      throw new LoadOptionError(
        `${flag}: expected SECONDS, fixed:S, uniform:MIN,MAX or exp:MEAN, got "${s}"`,
      );
  }
}

export function positiveNumber(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0)
    throw new LoadOptionError(`${flag}: expected a number above 0, got "${s}"`);
  return n;
}

export function positiveInteger(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0)
    throw new LoadOptionError(`${flag}: expected a whole number above 0, got "${s}"`);
  return n;
}

/**
 * The Origin-Host of connection `index` (0-based) of `total`: the configured one when there is a single
 * connection (or --same-origin-host), else "-N" added to its first label (load.localdomain →
 * load-1.localdomain), because RFC 6733 §5.6 lets a server keep one connection per peer identity.
 */
export function connectionOriginHost(
  originHost: string,
  index: number,
  total: number,
  same: boolean,
): string {
  if (same || total === 1) return originHost;
  const dot = originHost.indexOf('.');
  return dot < 0
    ? `${originHost}-${index + 1}`
    : `${originHost.slice(0, dot)}-${index + 1}${originHost.slice(dot)}`;
}
