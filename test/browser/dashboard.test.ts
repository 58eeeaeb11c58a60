/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core opens the page of a
 * running `diamkit serve` while a client node sends a steady Rf load (sessions START/INTERIM/STOP, some
 * left open, EVENTs, STOPs without START, and a behaviour rule answering a few percent 5012). The page
 * must show the peer, a non-zero message rate and CDR rows, all arriving over server-sent events; then
 * it saves a screenshot (to $DIAMKIT_DASHBOARD_PNG, e.g. docs/dashboard.png, else a temp file).
 *
 * Outside CI it skips when Chromium is missing (apt-get install chromium); in CI it must run.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { DiameterNode } from '../../src/node/node.js';
import { acr, dictionary, type AcrSpec } from '../helpers/acr-builder.js';
import { ROOT, startServeProcess, type ServeProcess } from '../admin/serve-process.js';

const CHROMIUM = process.env.DIAMKIT_CHROMIUM ?? '/usr/bin/chromium';
const CI = process.env.CI === 'true';
const tmp = mkdtempSync(join(tmpdir(), 'diamkit-dashboard-'));
let srv: ServeProcess | undefined;
let browser: Browser | undefined;
after(async () => {
  await browser?.close();
  await srv?.stop(2000);
  rmSync(tmp, { recursive: true, force: true });
});

const CTF = { originHost: 'ctf-load.example.com', originRealm: 'example.com' };
/** Bounds of the load: it stops when the test is done, or at these limits, whichever comes first. */
const LOAD_MAX_MS = 60_000;
const LOAD_MAX_REQUESTS = 100_000;

test('the dashboard shows the peer, a message rate and CDRs while a load runs', async (t) => {
  if (!existsSync(CHROMIUM) && !CI) {
    t.skip(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set DIAMKIT_CHROMIUM)`);
    return;
  }
  srv = await startServeProcess([
    '--store',
    join(tmp, 'cdr.db'),
    '--origin-host',
    'cdf.example.net',
    '--origin-realm',
    'example.net',
  ]);
  const rule = await fetch(`${srv.admin}/api/rules`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      id: 'refuse-3pct',
      match: { command: 'ACR', percent: 3 },
      action: { result: 5012, errorMessage: 'refused by a test rule' },
    }),
  });
  assert.equal(rule.status, 201);

  const client = new DiameterNode({ dictionary: dictionary(), identity: CTF, shutdownTimeoutMs: 1000 });
  client.register({ id: 3, name: 'rf-client', kind: 'acct', commands: new Map() });
  const peer = await client.connect({ host: '127.0.0.1', port: srv.port }, { timeoutMs: 20_000 });

  // The load: four loops, each a little paced, until told to stop or a bound is reached.
  let stop = false;
  let sent = 0;
  const started = Date.now();
  const running = () => !stop && sent < LOAD_MAX_REQUESTS && Date.now() - started < LOAD_MAX_MS;
  const send = async (s: AcrSpec) => {
    sent++;
    await peer
      .request(acr({ ...s, originHost: CTF.originHost, originRealm: CTF.originRealm }), { timeoutMs: 10_000 })
      .catch(() => undefined);
  };
  const loop = async (k: number) => {
    for (let i = 0; running(); i++) {
      const id = `load-${k}-${i}`;
      if (i % 25 === 0) await send({ sessionId: id, recordType: 'EVENT_RECORD', recordNumber: 0 });
      else if (i % 40 === 7) await send({ sessionId: id, recordType: 'STOP_RECORD', recordNumber: 2 });
      else {
        await send({ sessionId: id, recordType: 'START_RECORD', recordNumber: 0 });
        await send({ sessionId: id, recordType: 'INTERIM_RECORD', recordNumber: 1 });
        if (i % 10 !== 3) await send({ sessionId: id, recordType: 'STOP_RECORD', recordNumber: 2 });
      }
      await new Promise((r) => setTimeout(r, 4));
    }
  };
  const load = Promise.all([0, 1, 2, 3].map(loop));

  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // As root, without a GPU, on a machine with no network beyond loopback (see the env notes).
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(srv.admin, { waitUntil: 'domcontentloaded' });

    // Locators and function predicates only: the page's Content-Security-Policy forbids eval, which
    // string predicates would need.
    await page.locator('#conn-text', { hasText: /^live$/ }).waitFor({ timeout: 20_000 });
    // The peer, open.
    const peerRow = page.locator('#peers tbody tr', { hasText: CTF.originHost });
    await peerRow.waitFor({ timeout: 20_000 });
    assert.match(await peerRow.innerText(), /R-Open/);
    // A non-zero rate in the KPI ("176.1", "0.5", "1.2k") and a drawn line in the chart.
    await page.locator('#rate-in', { hasText: /^([1-9]|0\.\d*[1-9])/ }).waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('#chart-rate polyline[data-series="in"]').count(), 1);
    // CDR rows from the store (the first cell is the CDR's seq number).
    await page.locator('#cdrs tbody tr td:first-child:not(.empty)').nth(4).waitFor({ timeout: 20_000 });
    const seqs = await page.locator('#cdrs tbody tr td:first-child').allInnerTexts();
    assert.ok(
      seqs.every((s) => /^\d+$/.test(s)),
      `CDR seq cells: ${seqs.join(',')}`,
    );
    // Both Result-Codes the traffic produces appear in the legend of the Result-Code chart.
    await page.locator('#legend-rc span', { hasText: /^2001$/ }).waitFor({ timeout: 30_000 });
    await page.locator('#legend-rc span', { hasText: /^5012$/ }).waitFor({ timeout: 30_000 });
    // Let the charts gather some seconds of history for the picture.
    await page.waitForFunction(
      () => {
        const doc = (
          globalThis as unknown as {
            document: { getElementById(id: string): { dataset: { samples?: string } } | null };
          }
        ).document;
        return Number(doc.getElementById('chart-rate')?.dataset.samples) >= 12;
      },
      undefined,
      { timeout: 30_000 },
    );
    assert.deepEqual(errors, [], 'no script errors on the page');

    const out = resolve(ROOT, process.env.DIAMKIT_DASHBOARD_PNG ?? join(tmp, 'dashboard.png'));
    await page.screenshot({ path: out, fullPage: true });
    const png = readFileSync(out);
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.ok(png.length > 20_000, `screenshot of ${png.length} bytes`);
    t.diagnostic(`screenshot: ${out}; ${sent} requests sent during the test`);
  } finally {
    stop = true;
    await load;
    await client.stop();
  }
});
