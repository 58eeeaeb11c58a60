#!/usr/bin/env -S node --max-semi-space-size=64
/**
 * The `diamkit` command. Subcommands are thin: they wire the folders of DESIGN.md.
 *
 * The shebang, `npm start` and the server benchmark start Node with a 64 MB young-generation semi-space
 * (V8's default here is 16 MB). What the CDF allocates per ACR (the decoded request, its answer, row and
 * CDR text) is almost all short-lived, and each young-generation collection costs what is still alive (the
 * requests waiting for their commit), not what died: four times fewer collections cost a third of the CPU
 * they took (docs/perf.md). The flag must be given at start: V8 sizes the young generation once.
 */
import { Command } from 'commander';
import { builtinDictionary } from '../dictionary/builtin.js';
import { loadDictionaries } from '../dictionary/load.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { registerCdrCommands } from './cdr-commands.js';
import { registerClientCommands } from './client-commands.js';
import { decodeCommand, encodeCommand } from './codec-commands.js';
import { describeError } from './io.js';
import type { ServeOptions } from './serve.js';

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function dictionaryFor(files: string[]): Dictionary {
  const dict = builtinDictionary();
  if (files.length) loadDictionaries(files, dict);
  return dict;
}

/** Runs `fn`; a failure prints one line and exits 2 (bad input or arguments). */
function run(source: string | undefined, dictFiles: string[], fn: (d: Dictionary) => string | void): void {
  let dict: Dictionary | undefined;
  try {
    dict = dictionaryFor(dictFiles);
    const out = fn(dict);
    if (out !== undefined) process.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
  } catch (e) {
    process.stderr.write(`diamkit: ${describeError(e, source && source !== '-' ? source : 'stdin', dict ?? builtinDictionary())}\n`);
    process.exitCode = 2;
  }
}

const program = new Command();
program.name('diamkit').description('Diameter toolkit: codec, test server / simulated CDF, client').version('0.1.0');

program
  .command('decode')
  .description('decode one Diameter message (hex, or raw bytes with --raw) and print it')
  .argument('[file]', 'input file, or - for stdin', '-')
  .option('--raw', 'input is raw bytes, not hex')
  .option('-f, --format <format>', 'json, yaml or text', 'json')
  .option('-d, --dictionary <file>', 'extra dictionary (our JSON/YAML or Wireshark XML); repeatable', collect, [])
  .action((file: string, opts: { raw?: boolean; format: string; dictionary: string[] }) =>
    run(file, opts.dictionary, (d) => decodeCommand(file, opts, d)),
  );

program
  .command('encode')
  .description('encode a message given in the JSON/YAML form and print lowercase hex')
  .argument('[file]', 'input file, or - for stdin', '-')
  .option('-d, --dictionary <file>', 'extra dictionary (our JSON/YAML or Wireshark XML); repeatable', collect, [])
  .action((file: string, opts: { dictionary: string[] }) => run(file, opts.dictionary, (d) => encodeCommand(file, d)));

program
  .command('serve')
  .description('run the Diameter terminator / simulated CDF (default 127.0.0.1:3868)')
  .option('--host <address>', 'listen address (loopback by default)', '127.0.0.1')
  .option('--port <port>', 'TCP port', '3868')
  .option('--tls-port <port>', 'TLS port (RFC 6733: 5868), TLS from the first byte')
  .option('--tls-cert <file>', 'TLS certificate (PEM)')
  .option('--tls-key <file>', 'TLS private key (PEM)')
  .option('--tls-ca <file>', 'CA for client certificates (PEM)')
  .option('--tls-require-client-cert', 'refuse TLS clients without a certificate signed by --tls-ca')
  .option('--origin-host <fqdn>', 'our Origin-Host', 'diamkit.localdomain')
  .option('--origin-realm <realm>', 'our Origin-Realm', 'localdomain')
  .option('--unsupported-command <code>', 'answer for unimplemented commands: 5012 or 3001', '5012')
  .option('--watchdog <seconds>', 'Tw, the watchdog interval (>= 6)')
  .option('--realm <realm>', 'a realm we serve (repeatable); others get 3003', collect, [])
  .option('--allow-peer <fqdn>', 'a peer allowed to connect (repeatable); others get 3010', collect, [])
  .option('--multiple-connections', 'accept several connections with the same Origin-Host')
  .option('--allow-unknown-mandatory', 'accept unknown AVPs with the M bit (vendor AVPs of real CTFs) instead of answering 5001')
  .option('--store <path|url>', 'CDR store: SQLite file or postgres:// URL', './data/diamkit.db')
  .option('--interim-interval <seconds>', 'Acct-Interim-Interval the CDF imposes in ACA')
  .option('--no-cdf', 'run as a bare terminator, without the Rf application')
  .option('--admin-host <address>', 'admin HTTP address: metrics, API, dashboard (default 127.0.0.1)')
  .option('--admin-port <port>', 'admin HTTP port (default 8080; 0 = any free port)')
  .option('--admin-token <token>', 'require Authorization: Bearer TOKEN on the admin HTTP (or set DIAMKIT_ADMIN_TOKEN)')
  .option('--no-admin', 'run without the admin HTTP server')
  .option('--log-level <level>', 'pino log level', 'info')
  .option('--trace', 'log every message in the one-line text form')
  .option('-d, --dictionary <file>', 'extra dictionary (our JSON/YAML or Wireshark XML); repeatable', collect, [])
  .option('--config <file>', 'YAML config file (docs/config.md); flags given on the command line override it')
  .action(async (cli: ServeOptions & { dictionary: string[]; config?: string }, cmd: Command) => {
    try {
      // --config FILE: the file first, then the flags typed on the command line (src/cli/config-commands.ts).
      const { opts, dict } = cli.config
        ? await (await import('./config-commands.js')).withConfigFile(cli, cmd)
        : { opts: cli, dict: dictionaryFor(cli.dictionary) };
      // Loaded on demand: decode/encode should not pay for the store, logger and node at start-up.
      const { serve } = await import('./serve.js');
      await serve({ ...opts, realm: opts.realm?.length ? opts.realm : undefined, allowPeer: opts.allowPeer?.length ? opts.allowPeer : undefined }, dict);
    } catch (e) {
      process.stderr.write(`diamkit: ${describeError(e, 'serve', builtinDictionary())}\n`);
      process.exit(2);
    }
  });

// CDR store reading: `diamkit cdrs list|export`, `diamkit sessions` (src/cli/cdr-commands.ts).
registerCdrCommands(program);

// The client: `diamkit send`, `diamkit run` (src/cli/client-commands.ts).
registerClientCommands(program);

(await import('./load-command.js')).registerLoadCommand(program); // `diamkit load` (src/cli/load-command.ts)

(await import('./config-commands.js')).registerConfigCommands(program); // `diamkit config check|schema`

await program.parseAsync(process.argv);
