/**
 * `diamkit config check FILE` (validate without starting), `diamkit config schema` (JSON Schema for
 * editors), and the `--config FILE` of `diamkit serve`: the file first, flags given on the command line
 * override it. The config modules (zod, yaml) are loaded only when one of these runs.
 */
import type { Command } from 'commander';
import type { Dictionary } from '../dictionary/dictionary.js';
import { CliError } from './io.js';
import type { ServeOptions } from './serve.js';

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export function registerConfigCommands(program: Command): void {
  const config = program
    .command('config')
    .description('check a config file, or print its JSON Schema (docs/config.md)');

  config
    .command('check')
    .description(
      'validate a config file without starting the server; prints every problem as file:line: field: message',
    )
    .argument('<file>', 'the YAML config file')
    .option(
      '-d, --dictionary <file>',
      'extra dictionary the rules may use (as serve -d); repeatable',
      collect,
      [],
    )
    .action(async (file: string, opts: { dictionary: string[] }) => {
      const { ConfigError, formatProblem, loadConfigFile } = await import('../config/load.js');
      try {
        const { config: c } = loadConfigFile(file, { extraDictionaries: opts.dictionary });
        const listeners = c.listeners ?? [{ transport: 'tcp', port: 3868 }];
        process.stdout.write(
          `${file}: ok (${c.identity.originHost}; ${listeners.map((l) => `${l.transport} ${l.host ?? '127.0.0.1'}:${l.port}`).join(', ')}; ` +
            `${c.rules?.length ?? 0} rule${c.rules?.length === 1 ? '' : 's'})\n`,
        );
      } catch (e) {
        if (e instanceof ConfigError)
          for (const p of e.problems) process.stderr.write(`${formatProblem(p)}\n`);
        else process.stderr.write(`diamkit: ${(e as Error).message}\n`);
        process.exitCode = 2;
      }
    });

  config
    .command('schema')
    .description('print the JSON Schema of the config file (for yaml-language-server and other editors)')
    .action(async () => {
      const { configJsonSchema } = await import('../config/schema.js');
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
}

type CliServeOptions = ServeOptions & { dictionary: string[]; config?: string };

/**
 * `serve --config FILE`: the file's values where no flag was given on the command line (commander tells a
 * typed flag from its default), plus the settings that have no flag (ServeExtras). A bad file throws a
 * CliError whose message is the one line naming file:line and field.
 */
export async function withConfigFile(
  cli: CliServeOptions,
  cmd: Command,
): Promise<{ opts: ServeOptions; dict: Dictionary }> {
  const { ConfigError, loadConfigFile } = await import('../config/load.js');
  const { flagListeners, serveExtras } = await import('../config/to-options.js');
  let loaded;
  try {
    loaded = loadConfigFile(cli.config!, { extraDictionaries: cli.dictionary });
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.summary);
    throw e;
  }
  const c = loaded.config;
  const { tcp, tls } = flagListeners(c);
  const str = (v: number | undefined) => (v === undefined ? undefined : String(v));
  const fromFile: Partial<ServeOptions> = {
    host: tcp?.host,
    port: str(tcp?.port),
    tlsPort: str(tls?.port),
    tlsCert: tls?.cert,
    tlsKey: tls?.key,
    tlsCa: tls?.ca,
    tlsRequireClientCert: tls?.requireClientCert,
    originHost: c.identity.originHost,
    originRealm: c.identity.originRealm,
    logLevel: c.logging?.level,
    trace: c.logging?.trace,
    unsupportedCommand: str(c.unsupportedCommand),
    watchdog: str(c.timers?.watchdog),
    realm: c.identity.realms,
    allowPeer: c.peers?.allow,
    multipleConnections: c.peers?.multipleConnections,
    allowUnknownMandatory: c.allowUnknownMandatory,
    store: c.store,
    interimInterval: str(c.cdf?.interimInterval),
    cdf: c.cdf?.enabled,
  };
  const opts: ServeOptions = { ...cli };
  const target = opts as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(fromFile)) {
    if (v !== undefined && cmd.getOptionValueSource(k) !== 'cli') target[k] = v;
  }
  opts.config = serveExtras(c, cli.config!);
  return { opts, dict: loaded.dictionary };
}
