/**
 * /metrics of a running `diamkit serve` against the traffic a test sent it: a client node (the CTF) sends
 * a known mix of ACRs built with test/helpers/acr-builder.ts — EVENTs, START/STOP pairs, sessions left
 * open, a STOP and an INTERIM without START, a duplicate, and two requests a behaviour rule (added over
 * the admin API) answers 5012. The exposition must parse as Prometheus text and every counter must match
 * what was sent. The JSON API is checked against the same traffic, and /api/cdrs against
 * `diamkit cdrs list --format json` on the same store.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Message } from '../../src/codec/types.js';
import { DiameterNode } from '../../src/node/node.js';
import { acr, dictionary, type AcrSpec } from '../helpers/acr-builder.js';
import { parsePrometheusText, sampleValue, samplesMatching } from './prom-text.js';
import { ROOT, startServeProcess, type ServeProcess } from './serve-process.js';

const tmp = mkdtempSync(join(tmpdir(), 'diamkit-admin-metrics-'));
const servers: ServeProcess[] = [];
after(async () => {
  for (const s of servers) await s.stop(2000);
  rmSync(tmp, { recursive: true, force: true });
});

const CTF = { originHost: 'ctf-metrics.example.com', originRealm: 'example.com' };

function resultCode(m: Message): number | undefined {
  const a = m.avps.find((x) => x.code === 268 && x.vendorId === 0);
  return typeof a?.value === 'number' ? a.value : undefined;
}

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url);
  assert.equal(r.status, 200, `${url}: ${r.status} ${await r.clone().text()}`);
  return (await r.json()) as T;
}

describe('the Prometheus text reader used below', () => {
  test('refuses expositions that break the format', () => {
    const ok = '# HELP x_total a counter\n# TYPE x_total counter\nx_total{a="1"} 3\n';
    assert.equal(sampleValue(parsePrometheusText(ok), 'x_total', { a: '1' }), 3);
    const bad = [
      '# TYPE x counter\nx 1', // no final line feed
      '# TYPE x counter\nx{a="1"} 1\nx{a="1"} 2\n', // same series twice
      '# TYPE x counter\nx{a="\\q"} 1\n', // bad escape
      '# TYPE x counter\nx -1\n', // negative counter
      '# TYPE h histogram\nh_bucket{le="1"} 5\nh_bucket{le="+Inf"} 4\nh_sum 1\nh_count 4\n', // not cumulative
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n', // count ≠ +Inf
      '# TYPE x counter\nx 1\n# TYPE y counter\ny 1\nx{b="2"} 1\n', // not contiguous
      '# TYPE x counter\nx 1\n# TYPE x gauge\n', // TYPE twice
      'x{1a="v"} 1\n', // bad label name
    ];
    for (const text of bad) assert.throws(() => parsePrometheusText(text), Error, JSON.stringify(text));
  });
});

describe('diamkit serve /metrics', () => {
  test('counters match the ACRs a client node sent; the JSON API shows the same traffic', async () => {
    const store = join(tmp, 'cdr.db');
    const srv = await startServeProcess([
      '--store',
      store,
      '--origin-host',
      'cdf.example.net',
      '--origin-realm',
      'example.net',
    ]);
    servers.push(srv);

    // A rule added over the API takes the ACRs whose Session-Id starts with "reject-".
    const rule = await fetch(`${srv.admin}/api/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'reject-test',
        match: { command: 'ACR', sessionId: { regex: '^reject-' } },
        action: { result: 5012 },
      }),
    });
    assert.equal(rule.status, 201, await rule.clone().text());

    const client = new DiameterNode({ dictionary: dictionary(), identity: CTF, shutdownTimeoutMs: 1000 });
    client.register({ id: 3, name: 'rf-client', kind: 'acct', commands: new Map() });
    const peer = await client.connect({ host: '127.0.0.1', port: srv.port }, { timeoutMs: 20_000 });
    const codes: number[] = [];
    const send = async (s: AcrSpec) => {
      const a = await peer.request(acr({ ...s, originHost: CTF.originHost, originRealm: CTF.originRealm }), {
        timeoutMs: 10_000,
      });
      codes.push(resultCode(a) ?? -1);
    };
    try {
      const EVENTS = 6;
      for (let i = 0; i < EVENTS; i++)
        await send({ sessionId: `ev-${i}`, recordType: 'EVENT_RECORD', recordNumber: 0 });
      for (let i = 0; i < 3; i++) {
        await send({ sessionId: `pair-${i}`, recordType: 'START_RECORD', recordNumber: 0 });
        await send({ sessionId: `pair-${i}`, recordType: 'STOP_RECORD', recordNumber: 1 });
      }
      for (let i = 0; i < 2; i++)
        await send({ sessionId: `open-${i}`, recordType: 'START_RECORD', recordNumber: 0 });
      await send({ sessionId: 'orphan-stop', recordType: 'STOP_RECORD', recordNumber: 1 }); // aCRStartLost, a CDR
      await send({ sessionId: 'orphan-interim', recordType: 'INTERIM_RECORD', recordNumber: 1 }); // aCRStartLost, opens
      await send({ sessionId: 'ev-0', recordType: 'EVENT_RECORD', recordNumber: 0 }); // a duplicate
      for (let i = 0; i < 2; i++)
        await send({ sessionId: `reject-${i}`, recordType: 'EVENT_RECORD', recordNumber: 0 });

      const ACRS = EVENTS + 6 + 2 + 1 + 1 + 1 + 2;
      const REJECTED = 2;
      const CDRS = EVENTS + 3 + 1;
      const OPEN = 2 + 1;
      assert.equal(codes.length, ACRS);
      assert.equal(codes.filter((c) => c === 2001).length, ACRS - REJECTED, `answers: ${codes.join(',')}`);
      assert.equal(codes.filter((c) => c === 5012).length, REJECTED);

      const res = await fetch(`${srv.admin}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const m = parsePrometheusText(await res.text());
      for (const name of [
        'diamkit_messages_received_total',
        'diamkit_messages_sent_total',
        'diamkit_answer_latency_seconds',
        'diamkit_peers',
      ]) {
        assert.ok(m.get(name)?.help, `${name} has a HELP line`);
      }
      assert.equal(m.get('diamkit_answer_latency_seconds')?.type, 'histogram');
      assert.equal(m.get('diamkit_messages_received_total')?.type, 'counter');

      const peerLabel = CTF.originHost;
      const msg = (command: string, result_code: string) => ({
        command,
        application: '3',
        peer: peerLabel,
        result_code,
      });
      assert.equal(sampleValue(m, 'diamkit_messages_received_total', msg('ACR', '')), ACRS);
      assert.equal(sampleValue(m, 'diamkit_messages_sent_total', msg('ACA', '2001')), ACRS - REJECTED);
      assert.equal(sampleValue(m, 'diamkit_messages_sent_total', msg('ACA', '5012')), REJECTED);
      // The capabilities exchange: one CER in, one CEA 2001 out (application 0, the base protocol).
      assert.equal(
        sampleValue(m, 'diamkit_messages_received_total', {
          command: 'CER',
          application: '0',
          peer: peerLabel,
          result_code: '',
        }),
        1,
      );
      assert.equal(
        sampleValue(m, 'diamkit_messages_sent_total', {
          command: 'CEA',
          application: '0',
          peer: peerLabel,
          result_code: '2001',
        }),
        1,
      );
      // Nothing else was received from this peer.
      const received = samplesMatching(m, 'diamkit_messages_received_total', { peer: peerLabel }).reduce(
        (a, s) => a + s.value,
        0,
      );
      assert.equal(received, ACRS + 1);

      const lat = { command: 'ACR', application: '3', peer: peerLabel, role: 'server' };
      assert.equal(sampleValue(m, 'diamkit_answer_latency_seconds_count', lat), ACRS);
      assert.equal(sampleValue(m, 'diamkit_answer_latency_seconds_bucket', { ...lat, le: '+Inf' }), ACRS);
      const sum = sampleValue(m, 'diamkit_answer_latency_seconds_sum', lat)!;
      assert.ok(sum > 0 && sum < ACRS * 10, `latency sum ${sum}`);

      assert.equal(
        sampleValue(m, 'diamkit_peers', { peer: peerLabel, state: 'R-Open', watchdog: 'OKAY' }),
        1,
      );
      assert.equal(
        sampleValue(m, 'diamkit_acrs_total'),
        ACRS - REJECTED,
        'requests a rule took never reach the CDF',
      );
      assert.equal(sampleValue(m, 'diamkit_acr_duplicates_total'), 1);
      assert.equal(sampleValue(m, 'diamkit_open_sessions'), OPEN);
      assert.equal(sampleValue(m, 'diamkit_anomalies_total', { kind: 'aCRStartLost' }), 2);
      const written = samplesMatching(m, 'diamkit_cdrs_written_total');
      assert.equal(
        written.reduce((a, s) => a + s.value, 0),
        CDRS,
      );
      const commits = sampleValue(m, 'diamkit_store_commit_seconds_count')!;
      assert.ok(commits >= 1 && commits <= ACRS, `store commits ${commits}`);
      assert.equal(sampleValue(m, 'diamkit_store_commit_failures_total'), 0);
      assert.equal(sampleValue(m, 'diamkit_rule_hits_total', { rule: 'reject-test' }), REJECTED);
      assert.equal(sampleValue(m, 'diamkit_admin_metric_errors_total'), 0);
      assert.ok(
        (sampleValue(m, 'diamkit_peer_transitions_total', {
          peer: peerLabel,
          from: 'Closed',
          to: 'R-Open',
        }) ?? 0) >= 1,
      );

      // ---- the JSON API over the same traffic ----
      const peers = await getJson<{ originHost: string; state: string; requestsIn: number }[]>(
        `${srv.admin}/api/peers`,
      );
      const p = peers.find((x) => x.originHost === peerLabel);
      assert.equal(p?.state, 'R-Open');
      assert.equal(p?.requestsIn, ACRS);

      const sessions = await getJson<{ open: number; sessions: { sessionId: string; data?: unknown }[] }>(
        `${srv.admin}/api/sessions`,
      );
      assert.equal(sessions.open, OPEN);
      assert.deepEqual(sessions.sessions.map((s) => s.sessionId).sort(), [
        'open-0',
        'open-1',
        'orphan-interim',
      ]);
      assert.ok(
        sessions.sessions.every((s) => s.data === undefined),
        'the session manager state is not shown',
      );
      const one = await getJson<{ sessions: { sessionId: string }[] }>(
        `${srv.admin}/api/sessions?sessionId=open-1`,
      );
      assert.deepEqual(
        one.sessions.map((s) => s.sessionId),
        ['open-1'],
      );
      const none = await getJson<{ sessions: unknown[] }>(
        `${srv.admin}/api/sessions?originHost=nobody.example.com`,
      );
      assert.equal(none.sessions.length, 0);

      interface CdrJson {
        seq: number;
        sessionId: string;
        kind: string;
      }
      const all = await getJson<{ cdrs: CdrJson[]; total: number; next: unknown }>(
        `${srv.admin}/api/cdrs?order=asc&limit=100&count=true`,
      );
      assert.equal(all.total, CDRS);
      assert.equal(all.cdrs.length, CDRS);
      assert.equal(all.next, null);
      // Per kind, the metric and the store agree.
      for (const s of written)
        assert.equal(
          all.cdrs.filter((c) => c.kind === s.labels.kind).length,
          s.value,
          `kind ${s.labels.kind}`,
        );
      // Keyset pages of 4, newest first, cover every CDR once.
      const seen: number[] = [];
      let url = `${srv.admin}/api/cdrs?limit=4`;
      for (let i = 0; i < 10; i++) {
        const page = await getJson<{ cdrs: CdrJson[]; next: { afterSeq: number } | null }>(url);
        seen.push(...page.cdrs.map((c) => c.seq));
        if (!page.next) break;
        url = `${srv.admin}/api/cdrs?limit=4&afterSeq=${page.next.afterSeq}`;
      }
      assert.deepEqual(seen, all.cdrs.map((c) => c.seq).reverse());
      const pair = await getJson<{ cdrs: CdrJson[] }>(`${srv.admin}/api/cdrs?session=pair-1`);
      assert.deepEqual(
        pair.cdrs.map((c) => c.sessionId),
        ['pair-1'],
      );
      const bad = await fetch(`${srv.admin}/api/cdrs?since=yesterday`);
      assert.equal(bad.status, 400);

      // The same data as `diamkit cdrs list --format json` reads from the store.
      const cli = await promisify(execFile)(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli/main.ts',
          'cdrs',
          'list',
          '--store',
          store,
          '-n',
          '100',
          '--format',
          'json',
        ],
        {
          cwd: ROOT,
        },
      );
      assert.deepEqual(all.cdrs, JSON.parse(cli.stdout));

      // Removing the rule: the next reject-* ACR reaches the CDF.
      const del = await fetch(`${srv.admin}/api/rules/reject-test`, { method: 'DELETE' });
      assert.equal(del.status, 204);
      await send({ sessionId: 'reject-9', recordType: 'EVENT_RECORD', recordNumber: 0 });
      assert.equal(codes[codes.length - 1], 2001);
    } finally {
      await client.stop();
    }
    await srv.stop();
    assert.deepEqual(await srv.exit, { code: 0, signal: null });
  });
});
