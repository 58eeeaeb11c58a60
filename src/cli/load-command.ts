/**
 * `diamkit load`: Rf accounting load against one Diameter server (src/client/load/). Thin: parses the
 * flags into LoadOptions, shows progress, prints the report. Exit status: 0 after a run in which every
 * connection stayed up and something was answered, 1 otherwise, 2 for bad arguments or when the
 * server cannot be reached or refuses the connection.
 */
import type { Command } from 'commander';
import { loadTemplate, TemplateError } from '../client/load/acr-template.js';
import { ConnectError } from '../client/load/load-connection.js';
import {
  LoadOptionError,
  parseDurationMs,
  parseHolding,
  parsePeer,
  positiveInteger,
  positiveNumber,
  type LoadOptions,
} from '../client/load/options.js';
import { ProgressPrinter } from '../client/load/progress.js';
import { formatReport } from '../client/load/report.js';
import { resolveWorkers, runLoad } from '../client/load/run-load.js';
import { DiameterError } from '../codec/errors.js';
import { CliError } from './io.js';
import { addClientTlsFlags, clientTlsFrom, type TlsFlags } from './tls-flags.js';

interface LoadFlags extends TlsFlags {
  peer: string;
  rate?: string;
  concurrency?: string;
  holding: string;
  interim: string;
  followInterim?: boolean;
  event?: boolean;
  template: string;
  connections: string;
  workers: string;
  duration?: string;
  count?: string;
  warmup: string;
  startDelay: string;
  timeout: string;
  originHost: string;
  originRealm: string;
  destinationRealm?: string;
  destinationHost?: string;
  sameOriginHost?: boolean;
  maxInFlight: string;
  seed?: string;
  json?: boolean;
  progress: boolean;
  progressInterval: string;
  dictionary: string[];
}

const DEFAULT_DURATION_MS = 10_000;
const DEFAULT_CONCURRENCY = 10;

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** Flags → options; throws LoadOptionError / TemplateError / CliError (the TLS flags) naming the flag. */
export function loadOptionsFrom(f: LoadFlags): { options: LoadOptions; notes: string[] } {
  const notes: string[] = [];
  const { host, port } = parsePeer(f.peer);
  if (f.rate !== undefined && f.concurrency !== undefined)
    throw new LoadOptionError('--rate (open loop) and --concurrency (closed loop) exclude each other');
  const mode = f.rate !== undefined ? 'open' : 'closed';
  const rate = f.rate !== undefined ? positiveNumber(f.rate, '--rate') : 0;
  const concurrency =
    f.concurrency !== undefined
      ? positiveInteger(f.concurrency, '--concurrency')
      : mode === 'closed'
        ? DEFAULT_CONCURRENCY
        : 0;
  const count = f.count !== undefined ? positiveInteger(f.count, '--count') : undefined;
  let durationMs = f.duration !== undefined ? parseDurationMs(f.duration, '--duration') : undefined;
  if (durationMs === undefined && count === undefined) durationMs = DEFAULT_DURATION_MS;
  if (durationMs !== undefined && durationMs <= 0) throw new LoadOptionError('--duration: must be above 0');
  let connections = positiveInteger(f.connections, '--connections');
  if (f.workers !== 'auto') positiveInteger(f.workers, '--workers');
  const workers = resolveWorkers(f.workers, connections);
  if (workers > connections) {
    notes.push(
      `--workers ${workers} needs as many connections: using ${workers} connections instead of ${connections}`,
    );
    connections = workers;
  }
  if (mode === 'closed' && concurrency < workers)
    throw new LoadOptionError(
      `--concurrency ${concurrency} is below --workers ${workers}: every thread needs a session`,
    );
  const interimSeconds = parseDurationMs(f.interim, '--interim') / 1000;
  if (f.followInterim && f.event)
    notes.push('--follow-interim does nothing with --event: an EVENT session has no INTERIMs');
  const timeoutMs = parseDurationMs(f.timeout, '--timeout');
  if (timeoutMs <= 0) throw new LoadOptionError('--timeout: must be above 0');
  const startDelayMs = parseDurationMs(f.startDelay, '--start-delay');
  if (startDelayMs > 60_000) throw new LoadOptionError('--start-delay: at most 1m');
  const options: LoadOptions = {
    host,
    port,
    tls: clientTlsFrom(f),
    mode,
    rate,
    concurrency,
    holding: parseHolding(f.holding),
    interimSeconds,
    followInterim: !!f.followInterim,
    event: !!f.event,
    template: loadTemplate(f.template),
    connections,
    workers,
    durationMs,
    count,
    warmupMs: parseDurationMs(f.warmup, '--warmup'),
    startDelayMs,
    timeoutMs,
    originHost: f.originHost,
    originRealm: f.originRealm,
    destinationRealm: f.destinationRealm,
    destinationHost: f.destinationHost,
    sameOriginHost: !!f.sameOriginHost,
    seed: f.seed === undefined ? undefined : positiveInteger(f.seed, '--seed'),
    dictionaryFiles: f.dictionary,
    maxInFlightPerConnection: positiveInteger(f.maxInFlight, '--max-in-flight'),
  };
  if (options.maxInFlightPerConnection > 1 << 20)
    throw new LoadOptionError('--max-in-flight: at most 1048576');
  return { options, notes };
}

export function registerLoadCommand(program: Command): void {
  const load = program
    .command('load')
    .description(
      'generate Rf accounting traffic (ACR) against a Diameter server; report throughput and latency',
    )
    .requiredOption('--peer <host:port>', 'the server to load, e.g. 127.0.0.1:3868');
  // The same TLS flags as send and run, read the same way (tls-flags.ts).
  addClientTlsFlags(load)
    .option('--rate <sessions/s>', 'open loop: new sessions per second (Poisson arrivals)')
    .option(
      '--concurrency <n>',
      `closed loop: sessions in flight (default ${DEFAULT_CONCURRENCY} without --rate)`,
    )
    .option('--holding <time>', 'session holding time: SECONDS, fixed:S, uniform:MIN,MAX or exp:MEAN', '0')
    .option('--interim <seconds>', 'seconds between INTERIM records of a session (0: none)', '0')
    .option(
      '--follow-interim',
      'a session adopts the Acct-Interim-Interval of its ACAs (0: no more INTERIMs), as a production CTF does',
    )
    .option('--event', 'one EVENT record per session instead of START/INTERIM/STOP')
    .option(
      '--template <ims|pgw|file>',
      'ACR template: built-in ims or pgw, or a JSON/YAML message file',
      'ims',
    )
    .option('--connections <n>', 'transport connections (each with its own Origin-Host)', '1')
    .option(
      '--workers <n|auto>',
      'threads generating traffic (auto: one per core, at most one per connection)',
      '1',
    )
    .option(
      '--duration <time>',
      `measured length of the run, e.g. 30s, 5m (default ${DEFAULT_DURATION_MS / 1000}s unless --count)`,
    )
    .option('--count <sessions>', 'start this many sessions, end when they have ended')
    .option('--warmup <time>', 'traffic before measuring starts (not counted)', '0')
    .option(
      '--start-delay <time>',
      'wait after the CER/CEA before the first ACR, e.g. 200ms (Erlang/OTP diameter drops requests that come too soon)',
      '0',
    )
    .option('--timeout <time>', 'answer timeout per request', '5s')
    .option(
      '--origin-host <fqdn>',
      'our Origin-Host (with several connections: load-1.localdomain, load-2…)',
      'load.localdomain',
    )
    .option('--origin-realm <realm>', 'our Origin-Realm', 'localdomain')
    .option(
      '--destination-realm <realm>',
      "Destination-Realm (default: the server's Origin-Realm from its CEA)",
    )
    .option('--destination-host <fqdn>', 'add Destination-Host to every ACR')
    .option(
      '--same-origin-host',
      'every connection uses --origin-host as is (diamkit serve needs --multiple-connections)',
    )
    .option('--max-in-flight <n>', 'requests in flight per connection at most', '65536')
    .option('--seed <n>', 'seed of the random arrivals and holding times (repeatable runs)')
    .option('--json', 'print the final report as JSON on stdout')
    .option('--no-progress', 'no live progress on stderr')
    .option('--progress-interval <time>', 'time between progress updates', '1s')
    .option(
      '-d, --dictionary <file>',
      'extra dictionary (our JSON/YAML or Wireshark XML); repeatable',
      collect,
      [],
    )
    .action(async (f: LoadFlags) => {
      let options: LoadOptions;
      let notes: string[];
      try {
        ({ options, notes } = loadOptionsFrom(f));
      } catch (e) {
        return fail(e);
      }
      const progressMs = (() => {
        try {
          return parseDurationMs(f.progressInterval, '--progress-interval');
        } catch (e) {
          fail(e);
          return undefined;
        }
      })();
      if (progressMs === undefined) return;
      const tty = !!process.stderr.isTTY;
      const printer = f.progress ? new ProgressPrinter(process.stderr, tty) : undefined;
      const abort = new AbortController();
      const onSigint = () => {
        process.stderr.write('\ndiamkit load: stopping (Ctrl-C again to quit at once)\n');
        process.off('SIGINT', onSigint);
        abort.abort();
      };
      process.on('SIGINT', onSigint);
      try {
        const report = await runLoad(options, {
          signal: abort.signal,
          progressIntervalMs: Math.max(100, progressMs),
          onProgress: printer ? (p) => printer.update(p) : undefined,
          onConnected: (peer) => {
            if (printer && !tty)
              process.stderr.write(
                `connected to ${options.host}:${options.port} (${peer.originHost}); running\n`,
              );
          },
        });
        printer?.done();
        report.notes.unshift(...notes);
        process.stdout.write(f.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
        process.exitCode = report.errors.length || report.requests.answered === 0 ? 1 : 0;
      } catch (e) {
        printer?.done();
        fail(e);
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}

function fail(e: unknown): void {
  const known =
    e instanceof LoadOptionError ||
    e instanceof CliError ||
    e instanceof TemplateError ||
    e instanceof ConnectError ||
    e instanceof DiameterError;
  process.stderr.write(
    `diamkit load: ${known ? (e as Error).message : ((e as Error)?.stack ?? String(e))}\n`,
  );
  process.exitCode = 2;
}
