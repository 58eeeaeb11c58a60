/**
 * The client TLS flags, shared by `diamkit send`, `run` and `load` so they mean the same everywhere:
 * `--tls` (TLS from the first byte, RFC 6733 §2.1), `--tls-cert`/`--tls-key` (ours, for a server that
 * asks: mutual TLS, §13.1), `--tls-ca` (verify the server), `--tls-servername` (SNI and the name checked).
 * The files are read here, once, so a worker thread gets their contents, never a path.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ClientTls } from '../client/client-tls.js';
import { CliError } from './io.js';

export interface TlsFlags {
  tls?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsServername?: string;
}

export function addClientTlsFlags(c: Command): Command {
  return c
    .option('--tls', 'connect with TLS from the first byte (RFC 6733 §2.1, port 5868)')
    .option('--tls-cert <file>', 'our TLS certificate (PEM), when the server asks for one')
    .option('--tls-key <file>', 'our TLS private key (PEM)')
    .option('--tls-ca <file>', "CA (PEM) to verify the server's certificate; without it it is not verified")
    .option('--tls-servername <name>', 'server name for SNI and certificate verification');
}

function readPem(file: string | undefined, flag: string): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (e) {
    throw new CliError(`${flag}: cannot read ${file}: ${(e as Error).message}`);
  }
}

/** The flags' TLS settings with the files read; undefined for plain TCP. Throws CliError naming the flag. */
export function clientTlsFrom(f: TlsFlags): ClientTls | undefined {
  const any = f.tlsCert ?? f.tlsKey ?? f.tlsCa ?? f.tlsServername;
  if (!f.tls && any === undefined) return undefined;
  if (!f.tls) throw new CliError('--tls-cert/--tls-key/--tls-ca/--tls-servername need --tls');
  if ((f.tlsCert === undefined) !== (f.tlsKey === undefined))
    throw new CliError('--tls-cert and --tls-key go together');
  return {
    cert: readPem(f.tlsCert, '--tls-cert'),
    key: readPem(f.tlsKey, '--tls-key'),
    ca: readPem(f.tlsCa, '--tls-ca'),
    servername: f.tlsServername,
  };
}
