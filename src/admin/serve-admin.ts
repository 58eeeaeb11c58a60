/**
 * How `diamkit serve` starts its admin server: on --admin-host/--admin-port (127.0.0.1:8080 by default),
 * with the bearer token from --admin-token or DIAMKIT_ADMIN_TOKEN, printing
 * "diamkit admin on http://HOST:PORT" on stdout (tests and wrappers read it to learn the port with
 * --admin-port 0, as they read the Diameter "listening" line).
 */
import type { Logger } from 'pino';
import type { AdminCdf, AdminNode, AdminServer } from './server.js';

export const DEFAULT_ADMIN_PORT = 8080;

export interface ServeAdminOptions {
  node: AdminNode;
  cdf?: AdminCdf;
  log: Logger;
  host?: string;
  /** Undefined: the default port, which may be taken (then serve goes on without admin, with a warning). */
  port?: number;
  token?: string;
}

export async function startServeAdmin(o: ServeAdminOptions): Promise<AdminServer | undefined> {
  const token = o.token ?? (process.env.DIAMKIT_ADMIN_TOKEN || undefined);
  // Loaded here, not at start-up: `serve --no-admin` (and every other subcommand) never pays for fastify.
  const { AdminServer } = await import('./server.js');
  const admin = new AdminServer({
    node: o.node,
    cdf: o.cdf,
    token,
    logger: o.log.child({ component: 'admin' }),
  });
  try {
    await admin.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? DEFAULT_ADMIN_PORT });
  } catch (e) {
    await admin.close();
    const err = e as NodeJS.ErrnoException;
    // Only the default port is allowed to be busy (another diamkit, a dev server): the Diameter side
    // matters more than its dashboard. A port the user asked for must be had.
    if (o.port === undefined && err.code === 'EADDRINUSE') {
      o.log.warn(
        { port: DEFAULT_ADMIN_PORT },
        'admin port in use: running without the admin server (give --admin-port or --no-admin)',
      );
      process.stderr.write(
        `diamkit: admin port ${DEFAULT_ADMIN_PORT} is in use; running without the admin server (use --admin-port PORT or --no-admin)\n`,
      );
      return undefined;
    }
    throw Object.assign(
      new Error(
        `--admin-port: cannot listen on ${o.host ?? '127.0.0.1'}:${o.port ?? DEFAULT_ADMIN_PORT}: ${err.message}`,
      ),
      { cause: e },
    );
  }
  o.log.info({ url: admin.url, auth: token ? 'bearer' : 'none' }, 'admin HTTP (metrics, API, dashboard)');
  process.stdout.write(`diamkit admin on ${admin.url}\n`);
  return admin;
}
