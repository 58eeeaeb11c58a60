/**
 * Opening a load connection's socket: TCP, or TLS from the first byte (RFC 6733 §2.1, §13.1), with one
 * deadline for the connect and the handshake together, so that a server that takes the connection and
 * says nothing fails the run instead of hanging it.
 */
import net from 'node:net';
import tls from 'node:tls';
import { socketErrorReason, tlsConnectOptions, type ClientTls } from '../client-tls.js';

/** TCP connect and TLS handshake together. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** The run cannot start: the peer is unreachable, the handshake failed, or the CER was refused. */
export class ConnectError extends Error {}

/**
 * Resolves with the socket once it can carry the CER: connected, and over TLS with the handshake done
 * (secureConnect). Rejects with ConnectError naming `peer` and the reason.
 */
export function connectSocket(host: string, port: number, options: ClientTls | undefined, peer: string): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const s = options ? tls.connect({ host, port, ...tlsConnectOptions(options) }) : net.connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      fail(new Error(`no ${options ? 'TLS handshake' : 'connection'} within ${CONNECT_TIMEOUT_MS} ms`));
    }, CONNECT_TIMEOUT_MS);
    timer.unref();
    // (Left attached after a failure: a late error of the destroyed socket must not go unheard.)
    const fail = (e: Error) => {
      clearTimeout(timer);
      reject(new ConnectError(`cannot connect to ${peer}: ${socketErrorReason(e)}`));
    };
    s.once('error', fail);
    s.once(options ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      s.off('error', fail);
      resolve(s);
    });
  });
}
