/**
 * `diamkit send` (one request, its answer printed) and `diamkit run` (scenarios, docs/scenarios.md).
 * Thin: src/client/ does the work; this file reads flags and files, prints, and sets the exit status —
 * 0 success, 1 an unmet expectation (or a non-success Result-Code), 2 bad input or no connection.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Dictionary } from '../dictionary/dictionary.js';
import type { MessageJson } from '../dictionary/message-format.js';
import type { ScenarioResult } from '../client/runner.js';
import type { Scenario } from '../client/scenario.js';
import type { DiameterClient } from '../client/send.js';
import type { ScopeValue } from '../client/template.js';
import { CLIENT_ORIGIN_HOST, CLIENT_ORIGIN_REALM, DEFAULT_TIMEOUT_MS } from '../client/request-defaults.js';
import { CliError, describeError, readInput } from './io.js';
import { addClientTlsFlags, clientTlsFrom, type TlsFlags } from './tls-flags.js';

// The client modules (node, peer, YAML, colours) are loaded when a client command runs, so that
// `diamkit decode` does not pay for them at start-up.
const lib = async () => {
  const [builtin, load, format, send, scenario, runner, report, junit, template, yaml] = await Promise.all([
    import('../dictionary/builtin.js'),
    import('../dictionary/load.js'),
    import('../dictionary/message-format.js'),
    import('../client/send.js'),
    import('../client/scenario.js'),
    import('../client/runner.js'),
    import('../client/report.js'),
    import('../client/junit.js'),
    import('../client/template.js'),
    import('yaml'),
  ]);
  return {
    ...builtin,
    ...load,
    ...format,
    ...send,
    ...scenario,
    ...runner,
    ...report,
    ...junit,
    ...template,
    YAML: yaml.default,
  };
};
type Lib = Awaited<ReturnType<typeof lib>>;

interface ConnectionFlags extends TlsFlags {
  peer: string;
  originHost: string;
  originRealm: string;
  startDelay?: string;
  originStateId?: string;
  dictionary: string[];
  color: boolean;
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function connectionOptions(c: Command): Command {
  return addClientTlsFlags(
    c
      .option('--peer <host:port>', 'the Diameter server to connect to', '127.0.0.1:3868')
      .option('--origin-host <fqdn>', 'our Origin-Host', CLIENT_ORIGIN_HOST)
      .option('--origin-realm <realm>', 'our Origin-Realm', CLIENT_ORIGIN_REALM),
  )
    .option(
      '--start-delay <ms>',
      'wait this long after the CEA before the first request (ms, or 200ms, 1s): Erlang/OTP diameter drops requests that come too soon',
    )
    .option(
      '--origin-state-id <n>',
      'send this Origin-State-Id in CER and DWR (default: none); a higher one than before tells the server we restarted',
    )
    .option(
      '-d, --dictionary <file>',
      'extra dictionary (our JSON/YAML or Wireshark XML); repeatable',
      collect,
      [],
    )
    .option('--no-color', 'no colour, even on a terminal');
}

function dictionaryFor(L: Lib, files: string[]): Dictionary {
  const dict = L.builtinDictionary();
  if (files.length) L.loadDictionaries(files, dict);
  return dict;
}

function peerOf(L: Lib, f: ConnectionFlags): { host: string; port: number } {
  try {
    return L.parsePeerAddress(f.peer);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

function timeoutOf(L: Lib, v: string | undefined): number {
  if (v === undefined) return DEFAULT_TIMEOUT_MS;
  const ms = L.parseDuration(/^\d+$/.test(v) ? Number(v) : v);
  if (ms === undefined || ms <= 0)
    throw new CliError(`--timeout: expected milliseconds or a duration such as 5s, got "${v}"`);
  return ms;
}

/** --start-delay: milliseconds (or a duration), 0 … 1 min; undefined when not given. */
function startDelayOf(L: Lib, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = L.parseDuration(/^\d+$/.test(v) ? Number(v) : v);
  if (ms === undefined || ms > 60_000)
    throw new CliError(
      `--start-delay: expected milliseconds or a duration up to 1m such as 200ms, got "${v}"`,
    );
  return ms;
}

/** --origin-state-id: a whole number 0 … 2^32 − 1 (Unsigned32); undefined when not given. */
function originStateIdOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 0xffffffff)
    throw new CliError(`--origin-state-id: expected a whole number 0..4294967295, got "${v}"`);
  return n;
}

/** Runs `fn`; an error prints one line and sets exit status 2. */
async function guarded(source: string, fn: (L: Lib) => Promise<number>): Promise<void> {
  const L = await lib();
  try {
    process.exitCode = await fn(L);
  } catch (e) {
    // These messages already say where (FILE:LINE, or the peer's address).
    const whole = e instanceof L.ScenarioError || e instanceof L.ConnectError;
    process.stderr.write(
      `diamkit: ${whole ? (e as Error).message : describeError(e, source, L.builtinDictionary())}\n`,
    );
    process.exitCode = 2;
  }
}

// ---------------------------------------------------------------------------------------------------
// send

interface SendFlags extends ConnectionFlags {
  format: string;
  expect?: string;
  timeout?: string;
  fill: boolean;
  verbose?: boolean;
}

function readMessageJson(L: Lib, file: string): MessageJson {
  const text = readInput(file).toString('utf8');
  const doc = L.YAML.parseDocument(text, { lineCounter: new L.YAML.LineCounter() });
  const err = doc.errors[0];
  if (err)
    throw new CliError(
      `${file === '-' ? 'stdin' : file}:${err.linePos?.[0].line ?? 1}: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
    );
  const json: unknown = doc.toJS();
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new CliError(`${file === '-' ? 'stdin' : file}: expected a message: {command, avps}`);
  return json as MessageJson;
}

async function sendCommand(L: Lib, file: string, f: SendFlags): Promise<number> {
  const source = file === '-' ? 'stdin' : file;
  const format = f.format as 'text' | 'json' | 'yaml';
  if (!['text', 'json', 'yaml'].includes(format))
    throw new CliError(`--format: expected text, json or yaml, got "${f.format}"`);
  let expected: number | undefined;
  if (f.expect !== undefined) {
    expected = Number(f.expect);
    if (!/^\d+$/.test(f.expect) || expected > 0xffffffff)
      throw new CliError(`--expect: expected a Result-Code number, got "${f.expect}"`);
  }
  const timeoutMs = timeoutOf(L, f.timeout);
  const startDelayMs = startDelayOf(L, f.startDelay);
  const dict = dictionaryFor(L, f.dictionary);
  const { host, port } = peerOf(L, f);
  const tls = clientTlsFrom(f);
  const json = readMessageJson(L, file);
  L.checkPlaceholders(
    json,
    (n) => (L.BUILTIN_VARIABLES as readonly string[]).includes(n),
    (p, m) => {
      throw new CliError(
        `${source}: ${p.join('.')}: ${m} (send knows only built-ins: ${L.BUILTIN_VARIABLES.join(', ')})`,
      );
    },
  );
  const scope = (client?: DiameterClient, sessionId = '') =>
    new L.MapScope([
      new Map<string, ScopeValue>([
        ['session', sessionId],
        ['seq', 0],
        ['index', 0],
        ['iteration', 0],
        ['originHost', f.originHost],
        ['originRealm', f.originRealm],
        ['peerHost', client?.peerHost ?? ''],
        ['peerRealm', client?.peerRealm ?? ''],
      ]),
    ]);
  // Built once before connecting, so a bad message is reported without touching the network.
  const draft = L.messageFromJson(L.renderValue(json, scope(), source), dict);
  const client = await L.DiameterClient.connect({
    host,
    port,
    tls,
    dictionary: dict,
    originHost: f.originHost,
    originRealm: f.originRealm,
    applications: L.applicationsOf([draft]),
    startDelayMs,
    originStateId: originStateIdOf(f.originStateId),
  });
  const c = L.colors(L.wantColor(f.color));
  try {
    const sessionId = client.sessionIds.next();
    const msg = L.messageFromJson(L.renderValue(json, scope(client, sessionId), source), dict);
    if (f.fill) client.fill(msg, sessionId);
    if (f.verbose) process.stderr.write(`${L.formatMessage(msg, format, dict)}\n`);
    const t0 = performance.now();
    const answer = await client.request(msg, timeoutMs);
    const ms = (performance.now() - t0).toFixed(1);
    process.stdout.write(`${L.formatMessage(answer, format, dict, c)}\n`);
    const rc = L.resultCodeOf(answer);
    const ok = expected === undefined ? L.isSuccess(rc) : rc === expected;
    if (f.verbose || !ok) {
      const want = expected === undefined ? 'a success Result-Code (2xxx)' : L.describeResultCode(expected);
      process.stderr.write(
        `diamkit: ${L.describeResultCode(rc)} from ${client.peerHost ?? `${host}:${port}`} in ${ms} ms${ok ? '' : `; expected ${want}`}\n`,
      );
    }
    return ok ? 0 : 1;
  } finally {
    await client.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// run

interface RunFlags extends ConnectionFlags {
  junit?: string;
  sessions?: string;
  parallel?: string;
  var: string[];
  quiet?: boolean;
  timeout?: string;
}

function wholeFlag(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag}: expected a whole number >= 1, got "${v}"`);
  return n;
}

async function runCommand(L: Lib, files: string[], f: RunFlags): Promise<number> {
  const dict = dictionaryFor(L, f.dictionary);
  const { host, port } = peerOf(L, f);
  const tls = clientTlsFrom(f);
  const sessions = wholeFlag(f.sessions, '--sessions');
  const parallel = wholeFlag(f.parallel, '--parallel');
  const timeoutMs = f.timeout === undefined ? undefined : timeoutOf(L, f.timeout);
  const startDelayMs = startDelayOf(L, f.startDelay);
  const originStateId = originStateIdOf(f.originStateId);
  const variables = new Map<string, string>();
  for (const v of f.var) {
    const m = /^([A-Za-z_][\w-]*)=(.*)$/s.exec(v);
    if (!m) throw new CliError(`--var: expected NAME=VALUE, got "${v}"`);
    variables.set(m[1]!, m[2]!);
  }
  // Every file is read and checked before the first one runs: a typo in the last must not cost a run.
  const scenarios: Scenario[] = files.map((file) => L.loadScenario(file, dict));
  for (const name of variables.keys()) {
    if (!scenarios.some((s) => s.variables.some(([k]) => k === name)))
      throw new CliError(`--var ${name}: no scenario has a variable "${name}"`);
  }
  const c = L.colors(L.wantColor(f.color));
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const results: ScenarioResult[] = [];
  for (const s of scenarios) {
    const r = await L.runScenario(s, {
      host,
      port,
      tls,
      dictionary: dict,
      // Flags left at their defaults do not override the scenario's identity.
      originHost: f.originHost === CLIENT_ORIGIN_HOST ? undefined : f.originHost,
      originRealm: f.originRealm === CLIENT_ORIGIN_REALM ? undefined : f.originRealm,
      sessions,
      parallel,
      timeoutMs,
      startDelayMs,
      originStateId,
      variables,
      onConnect: (peer, sc, n) => out(L.formatHeader(sc, peer, n, c)),
      onStep: (st, sc) => {
        if (!f.quiet || st.status === 'failed') out(L.formatStep(st, sessions ?? sc.sessions, c));
      },
    });
    if (r.error && !r.peer) out(L.formatHeader(s, { address: `${host}:${port}` }, sessions ?? s.sessions, c));
    out(L.formatSummary(r, c));
    results.push(r);
  }
  if (scenarios.length > 1) {
    const passed = results.filter(L.scenarioPassed).length;
    out(`${passed} of ${results.length} scenarios passed`);
  }
  if (f.junit) {
    try {
      writeFileSync(f.junit, L.junitXml(results));
    } catch (e) {
      throw new CliError(`--junit: cannot write ${f.junit}: ${(e as Error).message}`);
    }
  }
  if (results.some((r) => r.error && !r.peer)) return 2;
  return results.every(L.scenarioPassed) ? 0 : 1;
}

export function registerClientCommands(program: Command): void {
  connectionOptions(
    program
      .command('send')
      .description('send one request (JSON/YAML message form) and print the answer; exit 0 on success')
      .argument('[message]', 'message file (YAML or JSON), or - for stdin', '-'),
  )
    .option('-f, --format <format>', 'answer as text, json or yaml', 'text')
    .option('--expect <code>', 'exit 0 only for this Result-Code (default: any 2xxx)')
    .option('--timeout <ms>', 'how long to wait for the answer (ms, or 5s)', String(DEFAULT_TIMEOUT_MS))
    .option('--no-fill', 'do not add Session-Id, Origin-Host/-Realm, Destination-Realm when missing')
    .option('-v, --verbose', 'print the request as sent, and the Result-Code and time, on stderr')
    .action((file: string, opts: SendFlags) =>
      guarded(file === '-' ? 'stdin' : file, (L) => sendCommand(L, file, opts)),
    );

  connectionOptions(
    program
      .command('run')
      .description('run scenario files (docs/scenarios.md); exit 0 when every expectation holds')
      .argument('<scenario...>', 'scenario files (YAML or JSON)'),
  )
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--sessions <n>', "run this many sessions (overrides the scenario's)")
    .option('--parallel <n>', 'at most this many sessions at once')
    .option('--var <name=value>', 'set a scenario variable; repeatable', collect, [])
    .option('--timeout <ms>', "answer timeout for steps without their own (ms, or 5s; wins over the file's)")
    .option('-q, --quiet', 'print only failed steps and summaries')
    .action((files: string[], opts: RunFlags) => guarded('run', (L) => runCommand(L, files, opts)));
}
