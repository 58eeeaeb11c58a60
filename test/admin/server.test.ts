/**
 * The admin server in-process, over a real CDF (test/helpers/cdf-server.ts): the bearer token, readiness
 * (listening flag and a failing store), the server-sent events the dashboard reads, the rules API's
 * errors, a server without the CDF, and that close() ends open streams and stops counting.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test } from 'node:test';
import { AdminServer } from '../../src/admin/server.js';
import { DiameterNode } from '../../src/node/node.js';
import { dictionary } from '../helpers/acr-builder.js';
import { TestCdf, waitFor } from '../helpers/cdf-server.js';
import { parsePrometheusText, sampleValue } from './prom-text.js';

async function withCdf(fn: (cdf: TestCdf) => Promise<void>): Promise<void> {
  const cdf = await TestCdf.start();
  try {
    await fn(cdf);
  } finally {
    await cdf.close();
  }
}

function adminFor(
  cdf: TestCdf,
  extra: Partial<ConstructorParameters<typeof AdminServer>[0]> = {},
): AdminServer {
  return new AdminServer({
    node: cdf.server,
    cdf: { rf: cdf.rf, store: cdf.store },
    processMetrics: false,
    ...extra,
  });
}

interface SseEvent {
  event: string;
  data: unknown;
}

/** Opens an event stream and collects its events until close(). */
function openStream(
  url: string,
): Promise<{ events: SseEvent[]; status: number; type: string; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      const events: SseEvent[] = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (ev && data !== undefined) events.push({ event: ev, data: JSON.parse(data) });
        }
      });
      res.on('error', () => undefined);
      resolve({
        events,
        status: res.statusCode ?? 0,
        type: String(res.headers['content-type']),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

describe('admin server', () => {
  test('with a token: 401 without or with a wrong one; header or access_token passes; probes stay open', async () => {
    await withCdf(async (cdf) => {
      const admin = adminFor(cdf, { token: 's3cret' });
      try {
        const app = admin.app;
        const none = await app.inject({ url: '/api/peers' });
        assert.equal(none.statusCode, 401);
        assert.match(String(none.headers['www-authenticate']), /^Bearer/);
        assert.equal(
          (await app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode,
          401,
        );
        assert.equal(
          (await app.inject({ url: '/', headers: { authorization: 'Bearer s3cret-and-more' } })).statusCode,
          401,
        );
        assert.equal(
          (await app.inject({ url: '/api/peers', headers: { authorization: 'Bearer s3cret' } })).statusCode,
          200,
        );
        assert.equal((await app.inject({ url: '/metrics?access_token=s3cret' })).statusCode, 200);
        assert.equal((await app.inject({ url: '/api/cdrs?limit=5&access_token=s3cret' })).statusCode, 200);
        assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
        assert.equal((await app.inject({ url: '/readyz' })).statusCode, 503);
      } finally {
        await admin.close();
      }
    });
  });

  test('readyz: 503 until ready, 200 when ready, 503 after a store commit failed', async () => {
    await withCdf(async (cdf) => {
      // A switch in front of the real store, installed before the admin server wraps commit().
      let failing = false;
      const real = cdf.store.commit.bind(cdf.store);
      const switched = (batch: Parameters<typeof real>[0]) =>
        failing ? Promise.reject(new Error('disk full')) : real(batch);
      cdf.store.commit = switched;
      const admin = adminFor(cdf);
      try {
        const ready = async () => (await admin.app.inject({ url: '/readyz' })).statusCode;
        assert.equal(await ready(), 503);
        admin.setReady(true);
        assert.equal(await ready(), 200);
        assert.equal(
          (await cdf.sendJson({ sessionId: 'ok-1', recordType: 'EVENT_RECORD', recordNumber: 0 })).avps.find(
            (a) => 'Result-Code' in a,
          )?.['Result-Code'],
          2001,
        );
        // The store fails underneath the CDF: the ACR is answered 4002 and the server is no longer ready.
        failing = true;
        const aca = await cdf.sendJson({ sessionId: 'fail-1', recordType: 'EVENT_RECORD', recordNumber: 0 });
        failing = false;
        assert.equal(aca.avps.find((a) => 'Result-Code' in a)?.['Result-Code'], 4002);
        const r = await admin.app.inject({ url: '/readyz' });
        assert.equal(r.statusCode, 503);
        assert.equal(r.json().checks.store, 'last commit failed');
        const m = parsePrometheusText((await admin.app.inject({ url: '/metrics' })).body);
        assert.equal(sampleValue(m, 'diamkit_store_commit_failures_total'), 1);
        // A later commit that succeeds makes it ready again.
        await cdf.sendJson({ sessionId: 'ok-2', recordType: 'EVENT_RECORD', recordNumber: 0 });
        assert.equal(await ready(), 200);
      } finally {
        await admin.close();
      }
      assert.equal(cdf.store.commit, switched, 'close() puts back the commit it wrapped');
    });
  });

  test('the event stream: history first, then samples and snapshots that show the traffic', async () => {
    await withCdf(async (cdf) => {
      const admin = adminFor(cdf, { history: { intervalMs: 100 } });
      await admin.listen({ port: 0 });
      const s = await openStream(`${admin.url}/api/events`);
      try {
        assert.equal(s.status, 200);
        assert.match(s.type, /^text\/event-stream/);
        await waitFor(() => s.events.length >= 2, 'history and a first snapshot');
        assert.equal(s.events[0]!.event, 'history');
        assert.ok(Array.isArray(s.events[0]!.data));
        for (let i = 0; i < 5; i++)
          await cdf.send({ sessionId: `sse-${i}`, recordType: 'EVENT_RECORD', recordNumber: 0 });
        const sample = await waitFor<SseEvent | undefined>(
          () => s.events.find((e) => e.event === 'sample' && (e.data as { rx: number }).rx > 0),
          'a sample with a non-zero rate',
        );
        assert.ok(
          ((sample!.data as { rc: Record<string, number> }).rc['2001'] ?? 0) > 0,
          'answers 2001 per second',
        );
        const snap = await waitFor<SseEvent | undefined>(
          () =>
            s.events.find(
              (e) =>
                e.event === 'snapshot' &&
                ((e.data as { cdf: { cdrs: { sessionId: string }[] } }).cdf?.cdrs ?? []).some(
                  (c) => c.sessionId === 'sse-4',
                ),
            ),
          'a snapshot listing the last CDR',
        );
        const d = snap!.data as {
          peers: { originHost: string; state: string }[];
          cdf: { cdrsBuilt: number };
        };
        assert.deepEqual(
          d.peers.map((p) => [p.originHost, p.state]),
          [['ctf.example.com', 'R-Open']],
        );
        assert.equal(d.cdf.cdrsBuilt, 5);
      } finally {
        s.close();
        await admin.close();
      }
    });
  });

  test('close() ends open streams promptly and stops counting; the store gets its own commit back', async () => {
    await withCdf(async (cdf) => {
      const admin = adminFor(cdf);
      await admin.listen({ port: 0 });
      const s = await openStream(`${admin.url}/api/events`);
      await waitFor(() => s.events.length >= 1, 'history');
      assert.ok(
        Object.prototype.hasOwnProperty.call(cdf.store, 'commit'),
        'commit is timed while the admin runs',
      );
      const t = Date.now();
      await admin.close();
      assert.ok(Date.now() - t < 3000, 'close did not wait for the stream');
      s.close();
      assert.ok(!Object.prototype.hasOwnProperty.call(cdf.store, 'commit'));
      const before = admin.metrics.totals().received;
      await cdf.send({ sessionId: 'after-close', recordType: 'EVENT_RECORD', recordNumber: 0 });
      assert.equal(admin.metrics.totals().received, before);
    });
  });

  test('rules API: a bad rule is 400 naming the field; unknown ids are 404; ?at= places the rule', async () => {
    await withCdf(async (cdf) => {
      const admin = adminFor(cdf);
      try {
        const app = admin.app;
        const bad = await app.inject({
          method: 'POST',
          url: '/api/rules',
          payload: { match: { avp: { 'No-Such-AVP': 1 } }, action: { result: 5012 } },
        });
        assert.equal(bad.statusCode, 400);
        assert.deepEqual(bad.json().field, ['match', 'avp', 'No-Such-AVP']);
        assert.match(bad.json().error, /No-Such-AVP/);
        assert.equal(
          (
            await app.inject({
              method: 'POST',
              url: '/api/rules',
              payload: '[1,2]',
              headers: { 'content-type': 'application/json' },
            })
          ).statusCode,
          400,
        );
        const a = await app.inject({
          method: 'POST',
          url: '/api/rules',
          payload: { id: 'a', action: { delay: 0.01 } },
        });
        assert.equal(a.statusCode, 201);
        assert.equal(a.headers.location, '/api/rules/a');
        const b = await app.inject({
          method: 'POST',
          url: '/api/rules?at=0',
          payload: { id: 'b', action: { drop: true }, match: { command: 'ACR' } },
        });
        assert.equal(b.statusCode, 201);
        assert.deepEqual(
          (await app.inject({ url: '/api/rules' })).json().map((r: { id: string }) => r.id),
          ['b', 'a'],
        );
        assert.equal(
          (
            await app.inject({
              method: 'POST',
              url: '/api/rules',
              payload: { id: 'a', action: { drop: true } },
            })
          ).statusCode,
          400,
          'duplicate id',
        );
        assert.equal((await app.inject({ url: '/api/rules/zzz' })).statusCode, 404);
        assert.equal((await app.inject({ method: 'DELETE', url: '/api/rules/zzz' })).statusCode, 404);
        assert.equal((await app.inject({ method: 'DELETE', url: '/api/rules/b' })).statusCode, 204);
        assert.deepEqual(
          cdf.server.rules.list().map((r) => r.id),
          ['a'],
        );
      } finally {
        await admin.close();
      }
    });
  });

  test('without the CDF: sessions and CDRs are 404, the snapshot says so, peers and metrics work', async () => {
    const node = new DiameterNode({
      dictionary: dictionary(),
      identity: { originHost: 'bare.example.net', originRealm: 'example.net' },
    });
    const admin = new AdminServer({ node, processMetrics: false });
    try {
      const app = admin.app;
      assert.equal((await app.inject({ url: '/api/cdrs' })).statusCode, 404);
      assert.equal((await app.inject({ url: '/api/sessions' })).statusCode, 404);
      assert.deepEqual((await app.inject({ url: '/api/peers' })).json(), []);
      assert.equal(JSON.parse(await admin.snapshot()).cdf, null);
      const m = parsePrometheusText((await app.inject({ url: '/metrics' })).body);
      assert.equal(sampleValue(m, 'diamkit_open_sessions'), 0);
      const page = await app.inject({ url: '/' });
      assert.equal(page.statusCode, 200);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    } finally {
      await admin.close();
    }
  });
});
