/**
 * The admin HTTP server of `diamkit serve` (fastify): Prometheus metrics, a JSON API over the peer table,
 * the CDF's sessions and CDRs and the behaviour rules, health and readiness probes, and the live dashboard
 * (one page fed by server-sent events). It listens on 127.0.0.1:8080 unless told otherwise; with a token,
 * every route but /healthz and /readyz wants `Authorization: Bearer TOKEN` (or `?access_token=TOKEN`,
 * which is how the dashboard page, its fetches and its EventSource carry it).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import type { GroupCommitter } from '../cdf/group-commit.js';
import type { SessionManager } from '../cdf/session-manager.js';
import type { CdrFilter, CdrListQuery, CdrStore } from '../cdf/store.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { RuleError, type RuleEngine, type RuleSpec } from '../node/rules.js';
import type { Peer } from '../peer/peer.js';
import { DASHBOARD_HTML } from './dashboard.js';
import { TrafficHistory, type HistoryOptions, type Sample } from './history.js';
import { AdminMetrics, openSessionCount } from './metrics.js';
import { SseHub } from './sse.js';
import { cdrRow, jsonText, peerViews, ruleView, sessionView } from './views.js';

/** What the admin server reads from the node: DiameterNode has all of it. */
export interface AdminNode {
  readonly peers: Map<string, Peer>;
  readonly rules: RuleEngine;
  readonly dictionary: Dictionary;
}

/** The CDF: RfApplication (sessions, committer) and the store it writes. */
export interface AdminCdf {
  rf: { sessions: SessionManager; committer?: GroupCommitter };
  store: CdrStore;
}

export interface AdminOptions {
  node: AdminNode;
  cdf?: AdminCdf;
  /** Bearer token; unset = no authentication (the server listens on loopback by default). */
  token?: string;
  logger?: Logger;
  /** Metrics to expose; default a new AdminMetrics watching `node` and `cdf`. */
  metrics?: AdminMetrics;
  /** Node.js process metrics in /metrics (default true). */
  processMetrics?: boolean;
  history?: HistoryOptions;
  /** CDRs and sessions on the dashboard (default 15 and 10). */
  dashboardRows?: { cdrs?: number; sessions?: number };
}

export interface ListenAddress {
  host?: string;
  port?: number;
}

export class AdminServer {
  readonly app: FastifyInstance;
  readonly metrics: AdminMetrics;
  readonly history: TrafficHistory;
  private readonly hub = new SseHub();
  private ready = false;
  private closing = false;
  private snapshotRunning = false;
  private readonly ownMetrics: boolean;
  private readonly stopSampling: () => void;

  constructor(private readonly opts: AdminOptions) {
    this.ownMetrics = !opts.metrics;
    this.metrics =
      opts.metrics ??
      new AdminMetrics({ dictionary: opts.node.dictionary, processMetrics: opts.processMetrics });
    if (this.ownMetrics) {
      this.metrics.watchNode(opts.node);
      if (opts.cdf) this.metrics.watchCdf(opts.cdf.rf, opts.cdf.store);
    }
    this.history = new TrafficHistory(this.metrics, opts.history);
    this.stopSampling = this.history.onSample((s) => void this.tick(s));
    this.app = Fastify({
      ...(opts.logger ? { loggerInstance: opts.logger as FastifyBaseLogger } : { logger: false }),
      logController: new LogController({ disableRequestLogging: true }),
      // SSE streams are never idle: close() ends them itself (preClose), the rest are closed with the server.
      forceCloseConnections: true,
    });
    this.routes();
  }

  /** Readiness: set once the Diameter listeners are up, cleared when stopping. */
  setReady(ready: boolean): void {
    this.ready = ready;
  }

  async listen(addr: ListenAddress = {}): Promise<AddressInfo> {
    await this.app.listen({ host: addr.host ?? '127.0.0.1', port: addr.port ?? 8080 });
    this.history.start();
    return this.app.server.address() as AddressInfo;
  }

  /** The base URL it listens on, e.g. http://127.0.0.1:8080. */
  get url(): string {
    const a = this.app.server.address() as AddressInfo | null;
    if (!a) return '';
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}`;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.ready = false;
    this.stopSampling();
    this.history.stop();
    this.hub.close();
    await this.app.close();
    if (this.ownMetrics) this.metrics.close();
  }

  // -------------------------------------------------------------------------------------------------

  private routes(): void {
    const app = this.app;
    const { node, cdf } = this.opts;

    app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
      if (status >= 500) this.opts.logger?.error({ err: err.message }, 'admin request failed');
      void reply
        .code(status)
        .type('application/json')
        .send(jsonText({ error: err.message }));
    });

    app.addHook('onRequest', async (req, reply) => {
      if (!this.opts.token) return;
      const path = req.url.split('?', 1)[0];
      if (path === '/healthz' || path === '/readyz') return;
      if (!this.authorized(req)) {
        await reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="diamkit"')
          .type('application/json')
          .send(
            jsonText({
              error: 'missing or wrong bearer token (Authorization: Bearer TOKEN, or ?access_token=TOKEN)',
            }),
          );
      }
    });

    app.get('/', async (_req, reply) => {
      void reply
        .type('text/html; charset=utf-8')
        // The page is one file with inline script and style; it talks only to this server.
        .header(
          'content-security-policy',
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
        )
        .header('cache-control', 'no-store');
      return DASHBOARD_HTML;
    });

    app.get('/healthz', async (_req, reply) => sendJson(reply, { status: 'ok' }));

    app.get('/readyz', async (_req, reply) => {
      const checks = {
        listening: this.ready,
        store: cdf ? (this.metrics.lastCommitOk ? 'ok' : 'last commit failed') : 'none',
      };
      const ready = this.ready && !this.closing && (!cdf || this.metrics.lastCommitOk);
      return sendJson(reply.code(ready ? 200 : 503), { ready, checks });
    });

    app.get('/metrics', async (_req, reply) => {
      const text = await this.metrics.text();
      return reply.type(this.metrics.contentType).send(text);
    });

    app.get('/api/peers', async (_req, reply) => sendJson(reply, peerViews(node.peers)));

    app.get<{ Querystring: { originHost?: string; sessionId?: string; limit?: number } }>(
      '/api/sessions',
      {
        schema: {
          querystring: {
            type: 'object',
            properties: {
              originHost: { type: 'string' },
              sessionId: { type: 'string' },
              limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
            },
            additionalProperties: false,
          },
        },
      },
      async (req, reply) => {
        const c = needCdf(cdf);
        const q = req.query;
        const sessions = await c.store.listOpenSessions({
          originHost: q.originHost,
          sessionId: q.sessionId,
          limit: q.limit,
        });
        return sendJson(reply, {
          open: openSessionCount(c.rf.sessions),
          sessions: sessions.map(sessionView),
        });
      },
    );

    app.get<{ Querystring: CdrQuery }>(
      '/api/cdrs',
      { schema: { querystring: CDR_QUERY_SCHEMA } },
      async (req, reply) => {
        const c = needCdf(cdf);
        const { filter, page } = cdrQuery(req.query);
        const cdrs = await c.store.listCdrs({ ...filter, ...page });
        const last = cdrs[cdrs.length - 1];
        const out: Record<string, unknown> = {
          cdrs,
          // Keyset paging: pass next.afterSeq (and the same order and filters) for the following page.
          next: cdrs.length === page.limit && last?.seq !== undefined ? { afterSeq: last.seq } : null,
        };
        if (req.query.count === 'true' || req.query.count === '1')
          out.total = await c.store.countCdrs(filter);
        return sendJson(reply, out);
      },
    );

    app.get('/api/rules', async (_req, reply) => sendJson(reply, node.rules.list().map(ruleView)));

    app.post<{ Body: RuleSpec; Querystring: { at?: number } }>(
      '/api/rules',
      {
        schema: {
          querystring: {
            type: 'object',
            properties: { at: { type: 'integer', minimum: 0 } },
            additionalProperties: false,
          },
          body: { type: 'object' },
        },
      },
      async (req, reply) => {
        let id: string;
        try {
          id = node.rules.add(req.body, { at: req.query.at });
        } catch (e) {
          if (e instanceof RuleError) {
            const error = e.field.length ? `${e.field.join('.')}: ${e.detail}` : e.detail;
            return sendJson(reply.code(400), { error, code: e.code, field: e.field });
          }
          throw e;
        }
        this.opts.logger?.info({ rule: id }, 'rule added (admin API)');
        return sendJson(
          reply.code(201).header('location', `/api/rules/${encodeURIComponent(id)}`),
          ruleView(node.rules.get(id)!),
        );
      },
    );

    app.get<{ Params: { id: string } }>('/api/rules/:id', async (req, reply) => {
      const r = node.rules.get(req.params.id);
      if (!r) return sendJson(reply.code(404), { error: `no rule "${req.params.id}"` });
      return sendJson(reply, ruleView(r));
    });

    app.delete<{ Params: { id: string } }>('/api/rules/:id', async (req, reply) => {
      if (!node.rules.remove(req.params.id))
        return sendJson(reply.code(404), { error: `no rule "${req.params.id}"` });
      this.opts.logger?.info({ rule: req.params.id }, 'rule removed (admin API)');
      return reply.code(204).send();
    });

    app.get('/api/summary', async (_req, reply) =>
      reply.type('application/json').send(await this.snapshot()),
    );

    app.get('/api/history', async (_req, reply) => sendJson(reply, this.history.samples()));

    app.get('/api/events', async (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      this.hub.add(res);
      this.hub.send(res, 'history', jsonText(this.history.samples()));
      // The reply is ours now (hijacked): a failure here can only be logged; the next tick sends a snapshot.
      await this.snapshot().then(
        (snap) => this.hub.send(res, 'snapshot', snap),
        (e: unknown) =>
          this.opts.logger?.warn({ err: (e as Error)?.message ?? String(e) }, 'dashboard snapshot failed'),
      );
      req.raw.on('close', () => res.end());
    });

    app.addHook('preClose', async () => this.hub.close());
  }

  private authorized(req: FastifyRequest): boolean {
    const h = req.headers.authorization;
    let given: string | undefined;
    if (typeof h === 'string' && /^bearer\s+/i.test(h)) given = h.replace(/^bearer\s+/i, '').trim();
    else {
      const q = (req.query as Record<string, unknown> | undefined)?.access_token;
      if (typeof q === 'string') given = q;
    }
    return given !== undefined && sameSecret(given, this.opts.token!);
  }

  /** Once a second: the new sample, and (while a page is open) the current state. */
  private async tick(s: Sample): Promise<void> {
    if (this.hub.size === 0) return;
    this.hub.broadcast('sample', jsonText(s));
    // A slow store must not pile up queries: skip a tick rather than run two at once.
    if (this.snapshotRunning) return;
    this.snapshotRunning = true;
    try {
      this.hub.broadcast('snapshot', await this.snapshot());
    } catch (e) {
      this.opts.logger?.warn({ err: (e as Error)?.message ?? String(e) }, 'dashboard snapshot failed');
    } finally {
      this.snapshotRunning = false;
    }
  }

  /** Everything the dashboard shows besides the charts, as JSON text. */
  async snapshot(): Promise<string> {
    const { node, cdf } = this.opts;
    const rows = this.opts.dashboardRows ?? {};
    const totals = this.metrics.totals();
    const out: Record<string, unknown> = {
      t: Date.now(),
      peers: peerViews(node.peers).slice(0, 100),
      peerCount: node.peers.size,
      received: totals.received,
      sent: totals.sent,
      rules: node.rules.list().map(ruleView),
      cdf: null,
    };
    if (cdf) {
      const sm = cdf.rf.sessions;
      const c: Record<string, unknown> = {
        openSessions: openSessionCount(sm),
        acrs: sm.counters.acrs,
        duplicates: sm.counters.duplicates,
        cdrsBuilt: sm.counters.cdrs,
        anomalies: { ...sm.counters.anomalies },
        pendingRows: cdf.rf.committer?.stats().pendingItems ?? 0,
        storeOk: this.metrics.lastCommitOk,
        backend: cdf.store.backend,
        sessions: [],
        cdrs: [],
      };
      try {
        const [sessions, cdrs] = await Promise.all([
          cdf.store.listOpenSessions({ limit: rows.sessions ?? 10 }),
          cdf.store.listCdrs({ limit: rows.cdrs ?? 15, order: 'desc' }),
        ]);
        c.sessions = sessions.map(sessionView);
        c.cdrs = cdrs.map(cdrRow);
      } catch (e) {
        c.error = (e as Error)?.message ?? String(e);
      }
      out.cdf = c;
    }
    return jsonText(out);
  }
}

/** Builds the admin server and starts listening. */
export async function startAdmin(opts: AdminOptions & ListenAddress): Promise<AdminServer> {
  const s = new AdminServer(opts);
  await s.listen({ host: opts.host, port: opts.port });
  return s;
}

// ---------------------------------------------------------------------------------------------------

function sendJson(reply: FastifyReply, v: unknown): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(jsonText(v));
}

function needCdf(cdf: AdminCdf | undefined): AdminCdf {
  if (!cdf)
    throw Object.assign(new Error('this server runs without the CDF (--no-cdf): no sessions or CDRs'), {
      statusCode: 404,
    });
  return cdf;
}

/** Compares two secrets in time independent of where they differ (hashes first: lengths may differ). */
function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

interface CdrQuery {
  limit: number;
  offset?: number;
  afterSeq?: number;
  order: 'asc' | 'desc';
  since?: string;
  until?: string;
  time: 'written' | 'closed';
  session?: string;
  kind?: string;
  originHost?: string;
  count?: 'true' | 'false' | '1' | '0';
}

const CDR_QUERY_SCHEMA = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
    offset: { type: 'integer', minimum: 0 },
    afterSeq: { type: 'integer', minimum: 0 },
    order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
    since: { type: 'string' },
    until: { type: 'string' },
    time: { type: 'string', enum: ['written', 'closed'], default: 'written' },
    session: { type: 'string' },
    kind: { type: 'string' },
    originHost: { type: 'string' },
    /** Also count every CDR matching the filter (a COUNT over the table: slow on millions of rows). */
    count: { type: 'string', enum: ['true', 'false', '1', '0'] },
  },
  additionalProperties: false,
} as const;

/** The same filters as `diamkit cdrs export` (--since, --until, --time, --session), plus kind and origin. */
function cdrQuery(q: CdrQuery): { filter: CdrFilter; page: CdrListQuery & { limit: number } } {
  return {
    filter: {
      since: time(q.since, 'since'),
      until: time(q.until, 'until'),
      timeField: q.time === 'closed' ? 'recordClosingTime' : 'createdAt',
      sessionId: q.session,
      kind: q.kind,
      originHost: q.originHost,
    },
    page: { limit: q.limit, offset: q.offset, afterSeq: q.afterSeq, order: q.order },
  };
}

function time(v: string | undefined, name: string): Date | undefined {
  if (v === undefined) return undefined;
  const d = /^\d+$/.test(v) ? new Date(Number(v)) : new Date(v);
  if (Number.isNaN(d.getTime()))
    throw Object.assign(
      new Error(
        `${name}: expected an ISO 8601 time (2024-01-01T00:00:00Z) or epoch milliseconds, got "${v}"`,
      ),
      { statusCode: 400 },
    );
  return d;
}
