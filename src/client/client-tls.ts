/**
 * TLS for our client connections (`diamkit send`, `run` and `load`): Diameter over TLS from the first
 * byte (RFC 6733 §2.1, §13.1; base-protocol.md §16), and the one place that turns the `--tls*` flags'
 * contents into the options of `tls.connect`, so every client command verifies the server the same way.
 */
import type { ConnectionOptions } from 'node:tls';

export interface ClientTls {
  /** Our certificate and key (PEM), when the server asks for one. */
  cert?: Buffer;
  key?: Buffer;
  /** CA to verify the server's certificate; without it the certificate is not verified. */
  ca?: Buffer;
  servername?: string;
}

/**
 * The `tls.connect` options for `t` (host and port aside). The server's certificate is verified only
 * against a CA given to us: without one (a test CDF with a throwaway certificate) any certificate is
 * taken, as `--tls-ca` documents.
 */
export function tlsConnectOptions(
  t: ClientTls,
): Pick<ConnectionOptions, 'cert' | 'key' | 'ca' | 'servername' | 'rejectUnauthorized'> {
  return {
    cert: t.cert,
    key: t.key,
    ca: t.ca,
    servername: t.servername,
    rejectUnauthorized: t.ca !== undefined,
  };
}

/**
 * `t` after a trip through postMessage/workerData (a load worker thread): the structured clone of a
 * Buffer is a plain Uint8Array; this gives Buffers again (views of the same memory, no copy).
 */
export function clientTlsFromClone(t: ClientTls | undefined): ClientTls | undefined {
  if (!t) return undefined;
  const buf = (b: Uint8Array | undefined) =>
    b === undefined || Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return { cert: buf(t.cert), key: buf(t.key), ca: buf(t.ca), servername: t.servername };
}

/**
 * What went wrong with a socket, in one line: an OpenSSL error's reason ("tlsv13 alert certificate
 * required", the alert of a server that wanted our certificate) instead of its message, which carries
 * OpenSSL's error-queue dump and a line break; any other error's message.
 */
export function socketErrorReason(e: Error): string {
  // (A certificate-name mismatch has a `reason` too, but not OpenSSL's `library`, and a clear message.)
  const { library, reason } = e as { library?: unknown; reason?: unknown };
  return typeof library === 'string' && typeof reason === 'string' && reason !== '' ? reason : e.message;
}
